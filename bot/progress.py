"""Progress bars on a terminal (tqdm) for the core's `Progress` port; silent anywhere else.

A bar shows on stderr only when stderr is a terminal: piped, redirected or under a service
manager, nothing is written (the logs stay what they were). While a bar shows, log records go
through tqdm so that a warning does not tear the bar.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from typing import Any, TextIO

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm


class TerminalProgress:
    """`Progress` as a tqdm bar on `stream` (default stderr), when it is a terminal."""

    def __init__(self, description: str, *, stream: TextIO | None = None) -> None:
        self.description = description
        self.stream = stream if stream is not None else sys.stderr
        self._bar: tqdm[Any] | None = None
        self._redirect: contextlib.ExitStack | None = None

    @property
    def enabled(self) -> bool:
        """True when the stream is a terminal (checked when a bar would start)."""
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def start(self, total: int, unit: str) -> None:
        """Open the bar; a total of 0 (not yet known) shows a count and a rate until `expect`."""
        self.close()
        if not self.enabled:
            return
        self._redirect = contextlib.ExitStack()
        root = logging.getLogger()
        if any(_on_console(h) for h in root.handlers):  # else there is nothing to redirect
            self._redirect.enter_context(logging_redirect_tqdm([root]))
        sized = _width(self.stream) > 0
        self._bar = tqdm(
            total=total or None,
            unit=f" {unit}",
            desc=self.description,
            file=self.stream,
            # A terminal that reports no size (a fresh pseudo-terminal) would get no bar at all.
            dynamic_ncols=sized,
            ncols=None if sized else 80,
            nrows=None if sized else 24,
            smoothing=0.1,
            mininterval=0.25,
        )

    def expect(self, n: int) -> None:
        """Grow the total by `n`."""
        if self._bar is not None and n:
            self._bar.total = (self._bar.total or 0) + n
            self._bar.refresh()

    def advance(self, n: int = 1) -> None:
        """Count `n` units done."""
        if self._bar is not None and n:
            self._bar.update(n)

    def close(self) -> None:
        """Close the bar (it stays on screen with its final figures); idempotent."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._redirect is not None:
            self._redirect.close()
            self._redirect = None


def _on_console(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and handler.stream in (
        sys.stderr,
        sys.stdout,
    )


def _width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, io.UnsupportedOperation):
        return 0

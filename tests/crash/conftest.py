"""The crash suite's figures, printed after the test report."""

from __future__ import annotations

import pytest

FIGURES: dict[str, object] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Kill/restart cycles, items, posts, lost and duplicated, as the kill test counted them."""
    if FIGURES:
        terminalreporter.section("crash safety")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")

"""Figures the subprocess suites print after the report, whether pytest runs them in one
process or spread over pytest-xdist workers.

Under xdist each worker measures its share; the worker hands its figures to the controller in
`workeroutput` at the end of its session, and the controller merges them before printing. This
conftest sits at the root of `testpaths`, so the controller loads it (it collects nothing itself).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.crash.figures import FIGURES as CRASH
from tests.hostile.runner import FIGURES as HOSTILE

_KEY = "watchbot_figures"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker: hand what this worker measured to the controller."""
    workeroutput: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_KEY] = json.dumps({"hostile": HOSTILE.to_json(), "crash": CRASH})


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the xdist controller: merge a finished worker's figures."""
    data = json.loads(getattr(node, "workeroutput", {}).get(_KEY, "null") or "null")
    if data:
        HOSTILE.merge(data["hostile"])
        CRASH.update(data["crash"])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The hostile inputs tried and the crash cycles, after the test report."""
    sections = [
        ("hostile inputs", HOSTILE.lines()),
        ("crash safety", [f"{k}: {v}" for k, v in CRASH.items()]),
    ]
    for title, lines in sections:
        if lines:
            terminalreporter.section(title)
            for line in lines:
                terminalreporter.write_line(line)

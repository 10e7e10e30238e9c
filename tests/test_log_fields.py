"""Every `extra=` field the bot logs is free to use: a field named like a LogRecord attribute
(`thread`, `name`, `message`…) makes logging raise KeyError, but only when the record is
actually emitted, so a test that runs with that level off never sees it."""

from __future__ import annotations

import ast
import logging

from tests.fakes import REPO

RESERVED = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {
    "message",
    "asctime",
}


def test_no_log_call_uses_a_reserved_field_name() -> None:
    clashes = []
    for path in sorted((REPO / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg == "extra" and isinstance(kw.value, ast.Dict):
                    for key in kw.value.keys:
                        if isinstance(key, ast.Constant) and key.value in RESERVED:
                            clashes.append(f"{path.relative_to(REPO)}:{node.lineno} {key.value}")
    assert clashes == []

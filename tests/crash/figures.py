"""The crash suite's figures: filled by the kill test, printed after the report (tests/conftest.py)."""

from __future__ import annotations

FIGURES: dict[str, object] = {}

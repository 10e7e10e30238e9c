"""The RegexEngine of channel filters: RE2, whose matching time is linear in the text.

Filter rules are written by chat users; a backtracking engine would let one pattern such as
`(a+)+$` stall every poll. RE2 refuses look-around and back-references instead, and caps the
memory one compiled expression may take.
"""

from __future__ import annotations

import re2

from bot.core.filters import Searcher, use_regex_engine

MAX_MEM = 1 << 20  # bytes for one compiled expression; past that RE2 refuses it


class Re2Engine:
    """Compiles case-insensitive RE2 expressions (`(?-i:NATO)` asks for exact case)."""

    def compile(self, pattern: str) -> Searcher:
        """The compiled expression; ValueError with RE2's reason when it cannot be used."""
        options = re2.Options()
        options.case_sensitive = False  # like word rules
        options.log_errors = False
        options.max_mem = MAX_MEM
        try:
            compiled: Searcher = re2.compile(pattern, options)
        except re2.error as exc:
            detail = exc.args[0] if exc.args else exc
            if isinstance(detail, bytes):
                detail = detail.decode("utf-8", "replace")
            raise ValueError(str(detail)) from None
        return compiled


def install() -> None:
    """Make RE2 the engine of every filter rule in this process."""
    use_regex_engine(Re2Engine())

"""Where digests (and long replies) are split to fit Slack's message limits.

Slack refuses a message with more than 50 blocks, a section whose text exceeds 3,000 characters or a
header over 150, and — undocumented, observed at about 12,000 — blocks whose texts add up to too
much (`msg_blocks_too_long`, see slackapi/bolt-js#2509). A digest is therefore cut into parts
between items, never inside one: each item is one block, every item lands in exactly one part, a
topic heading never ends a part, and a topic that continues in the next part repeats its heading.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.messages import DigestMessage, DigestSection, ItemLine

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


@dataclass(frozen=True, slots=True)
class SlackLimits:
    """Slack's per-message limits, with a margin on the undocumented cumulative one."""

    max_blocks: int = 50
    max_section_chars: int = 3000
    max_header_chars: int = 150
    max_message_chars: int = 11_000


LIMITS = SlackLimits()
FRAME_BLOCKS = 2  # each part has a header block and a footer block
FRAME_CHARS = 600  # generous estimate of the header + footer text
HEADING_CHARS = 120  # estimate of one topic heading's text


@dataclass(frozen=True, slots=True)
class PartSection:
    """The run of one topic's items inside one part."""

    section: DigestSection
    continued: bool  # the topic began in an earlier part


@dataclass(frozen=True, slots=True)
class DigestPart:
    """One message's share of a digest."""

    number: int
    total: int
    sections: tuple[PartSection, ...]

    @property
    def item_count(self) -> int:
        """Items in this part."""
        return sum(len(p.section.lines) for p in self.sections)


def split_digest(
    digest: DigestMessage,
    measure: Callable[[ItemLine], int],
    limits: SlackLimits = LIMITS,
    *,
    tail: tuple[int, int] = (0, 0),
) -> list[DigestPart]:
    """Cut `digest` into parts within `limits`; `measure(line)` is the rendered length of an item
    and `tail` the (blocks, characters) the last part must also hold (the "who moved" section).

    Greedy and deterministic, so a resend of the same digest yields the same parts (the sender's
    per-part idempotency keys rely on it). A digest without items is one empty part.
    """
    parts: list[list[tuple[str, list[ItemLine], bool]]] = []
    current: list[tuple[str, list[ItemLine], bool]] = []
    blocks, chars = FRAME_BLOCKS, FRAME_CHARS

    for section in digest.sections:
        run: list[ItemLine] | None = None
        for placed, line in enumerate(section.lines):
            size = measure(line)
            need_blocks, need_chars = (1, size) if run is not None else (2, size + HEADING_CHARS)
            if current and (
                blocks + need_blocks > limits.max_blocks
                or chars + need_chars > limits.max_message_chars
            ):
                parts.append(current)
                current, blocks, chars = [], FRAME_BLOCKS, FRAME_CHARS
                run, need_blocks, need_chars = None, 2, size + HEADING_CHARS
            if run is None:
                run = []
                current.append((section.topic, run, placed > 0))  # continued after a cut
            run.append(line)
            blocks += need_blocks
            chars += need_chars
    if current or not parts:
        parts.append(current)
    tail_blocks, tail_chars = tail
    if tail_blocks and (
        blocks + tail_blocks > limits.max_blocks or chars + tail_chars > limits.max_message_chars
    ):
        parts.append([])  # the tail gets a part of its own
    total = len(parts)
    return [
        DigestPart(
            n,
            total,
            tuple(PartSection(DigestSection(t, tuple(ls)), cont) for t, ls, cont in part),
        )
        for n, part in enumerate(parts, 1)
    ]


def pack_lines(lines: Sequence[str], max_chars: int) -> list[str]:
    """Join lines into chunks of at most `max_chars` characters, breaking only between lines.

    A single line longer than `max_chars` is cut (with `…`) so that every chunk fits.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for raw in lines:
        line = raw if len(raw) <= max_chars else _PARTIAL_ENTITY.sub("", raw[: max_chars - 1]) + "…"
        extra = len(line) + (1 if current else 0)
        if current and size + extra > max_chars:
            chunks.append("\n".join(current))
            current, size = [], 0
            extra = len(line)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(current))
    return chunks

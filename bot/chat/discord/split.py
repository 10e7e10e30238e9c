"""Where digests are split for Discord's limits: items packed into embeds, embeds into messages.

Discord refuses a message with more than 10 embeds, an embed title over 256 characters, a
description over 4096, more than 25 fields, a field value over 1024, a footer over 2048, or more
than 6000 characters across all embeds of the message (titles, descriptions, field names and
values, footers, author names). Items are blocks of text that are never cut: each lands in
exactly one embed, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Limits:
    """Discord's documented message and embed limits (characters unless noted)."""

    embeds: int = 10  # embeds per message
    title: int = 256
    description: int = 4096
    fields: int = 25  # fields per embed
    field_name: int = 256
    field_value: int = 1024
    footer: int = 2048
    author: int = 256
    total: int = 6000  # all embeds of one message together
    content: int = 2000  # the message text outside embeds


LIMITS = Limits()
SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class SectionText:
    """One digest section ready for packing: an escaped title, a colour and item blocks."""

    title: str
    colour: int
    blocks: Sequence[str]


@dataclass(slots=True)
class EmbedDraft:
    """An embed being filled; `blocks` are kept so tests and callers can count items."""

    title: str
    colour: int
    blocks: list[str] = field(default_factory=list)
    footer: str = ""

    @property
    def description(self) -> str:
        """The blocks joined as Discord shows them."""
        return SEPARATOR.join(self.blocks)

    def size(self) -> int:
        """Characters this embed counts towards the 6000 per message."""
        return len(self.title) + len(self.description) + len(self.footer)


def continued(title: str, limits: Limits = LIMITS) -> str:
    """The title of a section's next embed."""
    suffix = " (cont.)"
    return (title[: limits.title - len(suffix)] + suffix) if title else ""


def pack(
    sections: Sequence[SectionText], *, footer_reserve: int = 0, limits: Limits = LIMITS
) -> list[list[EmbedDraft]]:
    """Pack sections into messages of embeds within `limits`; every block exactly once, in order.

    `footer_reserve` characters are kept free in every message for a footer added afterwards.
    A block that cannot fit even in an empty message is a renderer bug: ValueError.
    """
    messages: list[list[EmbedDraft]] = []
    current: list[EmbedDraft] = []
    used = footer_reserve

    for section in sections:
        title = section.title[: limits.title]
        embed: EmbedDraft | None = None
        for block in section.blocks:
            if embed is not None:
                grow = len(SEPARATOR) + len(block)
                if len(embed.description) + grow <= limits.description and (
                    used + grow <= limits.total
                ):
                    embed.blocks.append(block)
                    used += grow
                    continue
            head = title if embed is None else continued(title, limits)
            need = len(head) + len(block)
            if current and (len(current) >= limits.embeds or used + need > limits.total):
                messages.append(current)
                current, used = [], footer_reserve
            if len(block) > limits.description or used + need > limits.total:
                raise ValueError(f"a digest item of {len(block)} characters cannot fit a message")
            embed = EmbedDraft(head, section.colour, [block])
            current.append(embed)
            used += need
    if current:
        messages.append(current)
    return messages


def within_limits(embeds: Sequence[EmbedDraft], limits: Limits = LIMITS) -> bool:
    """True when a message of these embeds respects every limit packing cares about (tests)."""
    return (
        0 < len(embeds) <= limits.embeds
        and all(len(e.title) <= limits.title for e in embeds)
        and all(len(e.description) <= limits.description for e in embeds)
        and all(len(e.footer) <= limits.footer for e in embeds)
        and sum(e.size() for e in embeds) <= limits.total
    )

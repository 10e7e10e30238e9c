"""Where digests are split for Discord's limits: items packed into embeds, embeds into messages.

Discord refuses a message with more than 10 embeds, an embed title over 256 characters, a
description over 4096, more than 25 fields, a field value over 1024, a footer over 2048, or more
than 6000 characters across all embeds of the message (titles, descriptions, field names and
values, footers, author names). Items are blocks of text that are never cut: each lands in
exactly one embed, in order. Short lines (a weekly digest's "who moved") are packed into embed
fields instead, a field holding whole lines only.
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


@dataclass(slots=True)
class FieldsDraft:
    """An embed of fields being filled: each field a name and whole lines (joined by newlines)."""

    title: str
    colour: int
    fields: list[tuple[str, list[str]]] = field(default_factory=list)
    footer: str = ""

    @property
    def values(self) -> list[tuple[str, str]]:
        """(name, value) of each field as Discord shows it."""
        return [(name, "\n".join(lines)) for name, lines in self.fields]

    @property
    def lines(self) -> list[str]:
        """Every line, in order."""
        return [line for _, lines in self.fields for line in lines]

    def size(self) -> int:
        """Characters this embed counts towards the 6000 per message."""
        fields = sum(len(name) + len(value) for name, value in self.values)
        return len(self.title) + fields + len(self.footer)


def pack_lines(
    title: str,
    colour: int,
    lines: Sequence[str],
    *,
    first_name: str,
    budget: int,
    embeds: int,
    next_name: str = "\u200b",
    limits: Limits = LIMITS,
) -> list[FieldsDraft]:
    """As many of `lines` as fit (a prefix, in order) in fields of at most `embeds` embeds
    totalling at most `budget` characters. The first field is named `first_name`, later ones
    `next_name` (a zero-width space by default: they read as one list); embeds after the first
    get a continued title. A line is never cut; one longer than a field value is a bug.
    """
    drafts: list[FieldsDraft] = []
    used = 0
    for line in lines:
        if len(line) > limits.field_value:
            raise ValueError(f"a line of {len(line)} characters cannot fit an embed field")
        embed = drafts[-1] if drafts else None
        if embed is not None:
            _, current = embed.fields[-1]
            grow = 1 + len(line)  # the newline before it
            if len("\n".join(current)) + grow <= limits.field_value and used + grow <= budget:
                current.append(line)
                used += grow
                continue
            need = len(next_name) + len(line)
            if len(embed.fields) < limits.fields and used + need <= budget:
                embed.fields.append((next_name, [line]))
                used += need
                continue
        name = next_name if drafts else first_name
        head = continued(title, limits) if drafts else title[: limits.title]
        need = len(head) + len(name) + len(line)
        if len(drafts) >= embeds or used + need > budget:
            break
        drafts.append(FieldsDraft(head, colour, [(name, [line])]))
        used += need
    return drafts


def within_limits(embeds: Sequence[EmbedDraft], limits: Limits = LIMITS) -> bool:
    """True when a message of these embeds respects every limit packing cares about (tests)."""
    return (
        0 < len(embeds) <= limits.embeds
        and all(len(e.title) <= limits.title for e in embeds)
        and all(len(e.description) <= limits.description for e in embeds)
        and all(len(e.footer) <= limits.footer for e in embeds)
        and sum(e.size() for e in embeds) <= limits.total
    )

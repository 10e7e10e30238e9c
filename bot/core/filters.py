"""A channel's filters: include/exclude rules on top of the classifier, as MonitoRSS users know them.

A rule is words (every word must appear, whole words, case-insensitive, any script) or a regular
expression written /REGEX/ (RE2: linear-time, so a hostile pattern cannot stall a poll), looked for
in the title, the text or both, optionally only for feeds with a tag or for one feed. An item
passes a channel's filters when no exclude rule matches it and, if include rules apply to it, at
least one of them matches. Rules restricted to a tag or feed apply only to that tag's or feed's
items, so `include troops tag:Russia` narrows the Russia feeds and leaves the others alone.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from bot.core.errors import CommandError

if TYPE_CHECKING:
    from bot.core.models import Feed, Item

Action = Literal["include", "exclude"]
Scope = Literal["title", "text", "both"]

MAX_RULES = 50  # per channel: enough for a MonitoRSS-style list, bounded cost per item
MAX_PATTERN = 300  # characters of words or of a regular expression
MAX_WORDS = 12  # words in one rule
MAX_OPTION = 200  # characters of a tag:/feed: value

_WORD = re.compile(r"\w+")
# `in:title`, `tag:Ukraine`, `tag:"Eastern Europe"`, `feed:https://…` standing alone.
_OPTION = re.compile(r"""(?<!\S)(in|tag|feed):(?:"([^"]*)"|'([^']*)'|(\S+))(?!\S)""", re.I)


class Searcher(Protocol):
    """What filters need of a compiled regular expression."""

    def search(self, text: str) -> object | None: ...


class RegexEngine(Protocol):
    """Compiles the /REGEX/ of a rule (the adapter is bot.patterns: RE2, linear time)."""

    def compile(self, pattern: str) -> Searcher:
        """The compiled, case-insensitive expression; ValueError with the reason when unusable."""
        ...


# One engine for the process, installed by the composition root (bot.patterns.install): rules
# are parsed and compiled wherever they come from (config, commands, stored rows), and the core
# imports nothing outside itself.
_engine: list[RegexEngine] = []


def use_regex_engine(engine: RegexEngine) -> None:
    """Make `engine` compile every rule's regular expression from now on."""
    _engine[:] = [engine]
    clear_filter_cache()


class FilterError(CommandError):
    """A filter rule that cannot be used; the message says what to write instead."""


@dataclass(frozen=True, slots=True)
class FilterRule:
    """One include or exclude rule as the user wrote it (words, or a regex without slashes)."""

    action: Action
    pattern: str
    regex: bool = False
    scope: Scope = "both"
    tag: str | None = None
    feed: str | None = None

    def describe(self) -> str:
        """The rule as `filter add` takes it, e.g. `exclude /opinion/ in:title tag:Ukraine`."""
        parts = [self.action, f"/{self.pattern}/" if self.regex else self.pattern]
        if self.scope != "both":
            parts.append(f"in:{self.scope}")
        if self.tag is not None:
            parts.append(f"tag:{_quoted(self.tag)}")
        if self.feed is not None:
            parts.append(f"feed:{_quoted(self.feed)}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class FilterSubject:
    """What rules look at in an item: its title, its text, its outlet and its feed."""

    title: str
    text: str
    source: str = ""
    feed_name: str = ""
    feed_url: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FilterVerdict:
    """Whether an item passes a channel's filters, the deciding rule (1-based) and why."""

    passed: bool
    rule: int | None
    reason: str


PASS = FilterVerdict(True, None, "no filters")


def _quoted(value: str) -> str:
    return f'"{value}"' if any(ch.isspace() for ch in value) else value


def _fold(text: str) -> str:
    """Case- and form-insensitive text: `ŻOŁNIERZE` and `żołnierze` compare equal."""
    return unicodedata.normalize("NFKC", text).casefold()


def _words(text: str) -> list[str]:
    return _WORD.findall(_fold(text))


def rule_text(
    action: str,
    pattern: str,
    *,
    scope: str | None = None,
    tag: str | None = None,
    feed: str | None = None,
) -> str:
    """The `filter add` line for options given one by one (Discord's slash command options)."""
    parts = ["filter", "add", action, pattern]
    if scope:
        parts.append(f"in:{scope}")
    if tag:
        parts.append(f"tag:{_quoted(tag)}")
    if feed:
        parts.append(f"feed:{_quoted(feed)}")
    return " ".join(parts)


def _options(text: str) -> tuple[dict[str, str], str]:
    """The `in:`/`tag:`/`feed:` options in `text` and what is left once they are taken out."""
    found: dict[str, str] = {}
    for m in _OPTION.finditer(text):
        key = m.group(1).lower()
        if key in found:
            raise FilterError(f"`{key}:` is given twice; a rule takes one of each")
        found[key] = next(g for g in m.groups()[1:] if g is not None)
    return found, _OPTION.sub(" ", text)


def _split_regex(body: str) -> tuple[str, dict[str, str]]:
    """`/REGEX/ [options]` → (REGEX, options): the first closing slash after which only
    options follow, so a slash inside the expression or in a feed URL needs no escaping."""
    for end in range(1, len(body)):
        if body[end] != "/":
            continue
        rest = body[end + 1 :]
        if rest and not rest[0].isspace():
            continue
        options, left = _options(rest)
        if not left.strip():
            return body[1:end], options
    raise FilterError(
        "a regular expression is written between slashes, e.g. `/troops?|soldiers?/`; "
        "this one has no closing slash"
    )


def parse_rule(text: str) -> FilterRule:
    """`include|exclude WORDS|/REGEX/ [in:title|in:text] [tag:TAG] [feed:NAME-or-URL]` → a
    checked rule; FilterError says what is wrong (bad regex, unknown scope, too long...)."""
    head, _, body = text.strip().partition(" ")
    action = head.lower()
    if action not in ("include", "exclude"):
        raise FilterError(f"a rule starts with include or exclude, not “{head}”")
    body = body.strip()
    if body.startswith("/"):
        pattern, options = _split_regex(body)
        regex = True
    else:
        options, left = _options(body)
        pattern, regex = " ".join(left.split()), False
    rule = FilterRule(
        action="include" if action == "include" else "exclude",
        pattern=pattern,
        regex=regex,
        scope=_scope(options.get("in")),
        tag=_option_value(options, "tag"),
        feed=_option_value(options, "feed"),
    )
    check_rule(rule)
    return rule


def _scope(value: str | None) -> Scope:
    if value is None:
        return "both"
    if value.lower() == "title":
        return "title"
    if value.lower() == "text":
        return "text"
    raise FilterError(f"unknown scope `in:{value}`; use in:title or in:text (default: both)")


def _option_value(options: Mapping[str, str], key: str) -> str | None:
    value = options.get(key)
    if value is None:
        return None
    value = " ".join(value.split())
    if not value or len(value) > MAX_OPTION:
        raise FilterError(f"`{key}:` needs a value of 1 to {MAX_OPTION} characters")
    return value


def check_rule(rule: FilterRule) -> None:
    """Raise FilterError when a rule is empty, too long or its expression does not compile."""
    if len(rule.pattern) > MAX_PATTERN:
        raise FilterError(
            f"the pattern is {len(rule.pattern)} characters long; {MAX_PATTERN} at most"
        )
    if rule.regex:
        _compile_regex(rule.pattern)
        return
    words = _words(rule.pattern)
    if not words:
        raise FilterError(
            "a rule needs words or a /REGEX/ to look for, e.g. `exclude sport in:title`"
        )
    if len(words) > MAX_WORDS:
        raise FilterError(f"a rule takes {MAX_WORDS} words at most; this one has {len(words)}")


def check_rules(rules: Sequence[FilterRule]) -> None:
    """Raise FilterError past MAX_RULES rules for one channel."""
    if len(rules) > MAX_RULES:
        raise FilterError(
            f"a channel takes {MAX_RULES} filter rules at most; remove some first "
            "(`filter list`, `filter remove N`)"
        )


def _compile_regex(pattern: str) -> Searcher:
    if not pattern:
        raise FilterError("the regular expression between the slashes is empty")
    if not _engine:
        raise FilterError("regular expressions are not available here; use words instead")
    try:
        return _engine[0].compile(pattern)
    except ValueError as exc:
        raise FilterError(
            f"/{pattern}/ is not a usable regular expression: {exc} "
            "(RE2 syntax: no look-around or back-references)"
        ) from None


def rule_to_dict(rule: FilterRule) -> dict[str, object]:
    """A rule as stored (JSON): only what differs from the defaults besides action and pattern."""
    out: dict[str, object] = {"action": rule.action, "pattern": rule.pattern}
    if rule.regex:
        out["regex"] = True
    if rule.scope != "both":
        out["in"] = rule.scope
    if rule.tag is not None:
        out["tag"] = rule.tag
    if rule.feed is not None:
        out["feed"] = rule.feed
    return out


def rule_from_dict(data: Mapping[str, object]) -> FilterRule:
    """A stored rule back (trusted: it was checked when it was added)."""
    scope = str(data.get("in", "both"))
    return FilterRule(
        action="include" if data.get("action") == "include" else "exclude",
        pattern=str(data.get("pattern", "")),
        regex=bool(data.get("regex", False)),
        scope="title" if scope == "title" else "text" if scope == "text" else "both",
        tag=str(data["tag"]) if data.get("tag") is not None else None,
        feed=str(data["feed"]) if data.get("feed") is not None else None,
    )


def subject_of(title: str, text: str, source: str, feed: Feed | None) -> FilterSubject:
    """What the rules of every channel look at for one item of `feed`."""
    return FilterSubject(
        title=title,
        text=text,
        source=source,
        feed_name=feed.name if feed else "",
        feed_url=feed.url if feed else "",
        tags=feed.tags if feed else (),
    )


def item_subject(item: Item, feed: Feed | None) -> FilterSubject:
    """A stored item as rules see it; its text is the stored summary, as when it was polled."""
    return subject_of(item.title, item.summary, item.source, feed)


class PreparedSubject:
    """An item folded and split into words once, for every rule of every channel: routing one
    item to twenty channels reads it once, not twenty times."""

    __slots__ = ("_words", "feed_keys", "subject", "tags")

    def __init__(self, subject: FilterSubject) -> None:
        self.subject = subject
        self.tags = frozenset(_fold(t) for t in subject.tags)
        self.feed_keys = frozenset(
            _fold(v).rstrip("/") for v in (subject.feed_name, subject.feed_url, subject.source) if v
        )
        self._words: dict[str, frozenset[str]] = {}

    def words(self, part: str) -> frozenset[str]:
        """The folded words of the title or the text."""
        if part not in self._words:
            self._words[part] = frozenset(_words(self.raw(part)))
        return self._words[part]

    def raw(self, part: str) -> str:
        """The title or the text as written."""
        return self.subject.title if part == "title" else self.subject.text


def prepare(subject: FilterSubject | PreparedSubject) -> PreparedSubject:
    """`subject` ready for rules (as is when it already is)."""
    return subject if isinstance(subject, PreparedSubject) else PreparedSubject(subject)


class _Compiled:
    """One rule ready to match."""

    def __init__(self, number: int, rule: FilterRule) -> None:
        self.number = number
        self.rule = rule
        self.parts = ("title", "text") if rule.scope == "both" else (rule.scope,)
        self.words = frozenset(_words(rule.pattern)) if not rule.regex else frozenset()
        self.regex = _compile_regex(rule.pattern) if rule.regex else None
        self.tag = _fold(rule.tag) if rule.tag is not None else None
        self.feed = _fold(rule.feed).rstrip("/") if rule.feed is not None else None

    def applies(self, s: PreparedSubject) -> bool:
        if self.tag is not None and self.tag not in s.tags:
            return False
        return self.feed is None or self.feed in s.feed_keys

    def matches(self, texts: PreparedSubject) -> bool:
        if self.regex is not None:
            return any(self.regex.search(texts.raw(p)) is not None for p in self.parts)
        return any(self.words <= texts.words(p) for p in self.parts)


class ChannelFilter:
    """A channel's rules compiled once, judging items.

    Rules are grouped by what they are restricted to, so an item meets only the rules for its
    tags and feed besides the unrestricted ones; within each kind they keep the channel's order.
    """

    def __init__(self, rules: Sequence[FilterRule]) -> None:
        self.rules = tuple(rules)
        compiled = [_Compiled(n, r) for n, r in enumerate(self.rules, 1)]
        self._plain = [c for c in compiled if c.tag is None and c.feed is None]
        self._restricted = [c for c in compiled if c.tag is not None or c.feed is not None]

    def _applying(self, item: PreparedSubject) -> list[_Compiled]:
        if not self._restricted:
            return self._plain
        extra = [c for c in self._restricted if c.applies(item)]
        return sorted([*self._plain, *extra], key=lambda c: c.number) if extra else self._plain

    def verdict(self, subject: FilterSubject | PreparedSubject) -> FilterVerdict:
        """Pass or hold back `subject`, naming the rule that decided."""
        if not self.rules:
            return PASS
        item = prepare(subject)
        includes: list[_Compiled] = []
        for c in self._applying(item):
            if c.rule.action == "include":
                includes.append(c)
            elif c.matches(item):
                return FilterVerdict(
                    False, c.number, f"held back by filter #{c.number} `{c.rule.describe()}`"
                )
        if not includes:
            return FilterVerdict(True, None, "no filter here held it back")
        for c in includes:
            if c.matches(item):
                return FilterVerdict(
                    True, c.number, f"let through by filter #{c.number} `{c.rule.describe()}`"
                )
        numbers = ", ".join(f"#{c.number}" for c in includes)
        return FilterVerdict(False, None, f"held back: no include filter ({numbers}) matched")

    def passes(self, subject: FilterSubject | PreparedSubject) -> bool:
        """True when the item goes to the channel as far as its filters are concerned."""
        return self.verdict(subject).passed


@functools.lru_cache(maxsize=512)
def _compiled_filter(rules: tuple[FilterRule, ...]) -> ChannelFilter:
    return ChannelFilter(rules)


# The same rules tuple (a channel read once per poll cycle) is found by identity: hashing fifty
# rules for every item and channel cost more than the rules themselves. The entry holds the
# tuple, so its id cannot be reused while it is cached.
_BY_ID: dict[int, tuple[tuple[FilterRule, ...], ChannelFilter]] = {}
_BY_ID_MAX = 1024


def channel_filter(rules: tuple[FilterRule, ...]) -> ChannelFilter:
    """The compiled filter of a rule list, cached: every item routed asks for every channel's."""
    hit = _BY_ID.get(id(rules))
    if hit is not None and hit[0] is rules:
        return hit[1]
    compiled = _compiled_filter(rules)
    if len(_BY_ID) >= _BY_ID_MAX:
        _BY_ID.clear()
    _BY_ID[id(rules)] = (rules, compiled)
    return compiled


def clear_filter_cache() -> None:
    """Forget every compiled filter (benchmarks measure compiling from scratch)."""
    _BY_ID.clear()
    _compiled_filter.cache_clear()

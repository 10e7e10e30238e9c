"""Feed lists in and out (`feed import`, `feed export`): plan, check, apply all or nothing.

The file format is a port (FeedListCodec: OPML in bot.ingest.opml); this module decides what an
import does. Every URL goes through the same UrlChecker as `feed add` (and the fetcher checks
again on every poll). One bad URL, or a file that cannot be read, refuses the whole file with one
message: a half-imported list is harder to fix than a refused one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.errors import CommandError, FeedError, ParseError
from bot.core.messages import Attachment, TextReply
from bot.core.models import Feed, FeedSpec, Upload, normalise_tags
from bot.core.ports import FeedListCodec, ListedFeed, Store, UrlChecker

MAX_FILE_BYTES = 2 * 1024 * 1024  # a 5,000-feed Feedly export is about 1 MB
MAX_FEEDS = 2000  # feeds in one imported file
MAX_URL = 2000  # characters, as for `feed add`
MAX_NAME = 100
CHECKS_AT_ONCE = 16  # URL checks (DNS lookups) in flight at once
SHOWN = 15  # lines listed per group in the reply


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What importing a file does: feeds to add, feeds already watched, repeats in the file."""

    filename: str
    new: tuple[ListedFeed, ...]
    known: tuple[tuple[ListedFeed, Feed], ...]
    repeated: tuple[ListedFeed, ...]


async def plan_import(
    upload: Upload, *, codec: FeedListCodec, store: Store, checker: UrlChecker
) -> ImportPlan:
    """Read and vet `upload`; ParseError or CommandError (one message) when it cannot be imported."""
    try:
        listed = codec.parse(upload.data)
    except ParseError as exc:
        raise CommandError(f"{upload.filename}: {exc}; nothing was imported") from None
    if not listed:
        raise CommandError(
            f"{upload.filename} lists no feeds (no outline has an xmlUrl); nothing was imported"
        )
    if len(listed) > MAX_FEEDS:
        raise CommandError(
            f"{upload.filename} lists {len(listed):,} feeds, over the limit of {MAX_FEEDS:,} "
            "per file; split it and import the parts"
        )
    unique: dict[str, ListedFeed] = {}
    repeated: list[ListedFeed] = []
    for entry in listed:
        first = unique.get(entry.url)
        if first is None:
            unique[entry.url] = entry
        else:
            # Feedly lists a feed in every category it is in: one feed, all those tags.
            repeated.append(entry)
            unique[entry.url] = replace(first, tags=normalise_tags([*first.tags, *entry.tags]))
    await _check_urls(upload.filename, list(unique), checker)
    watched = {f.url: f for f in store.list_feeds()}
    known = tuple((e, watched[u]) for u, e in unique.items() if u in watched)
    new = tuple(e for u, e in unique.items() if u not in watched)
    return ImportPlan(upload.filename, new, known, tuple(repeated))


async def _check_urls(filename: str, urls: Sequence[str], checker: UrlChecker) -> None:
    """Every URL through the guard; all refusals gathered into one message."""
    gate = asyncio.Semaphore(CHECKS_AT_ONCE)

    async def one(url: str) -> str | None:
        if len(url) > MAX_URL:
            return f"{url[:80]}…: longer than {MAX_URL} characters"
        async with gate:
            try:
                await checker.check(url)
            except FeedError as exc:
                return f"{url[:200]}: {exc}"
        return None

    refused = [r for r in await asyncio.gather(*(one(u) for u in urls)) if r]
    if refused:
        more = f" (and {len(refused) - 3} more)" if len(refused) > 3 else ""
        raise CommandError(
            f"{filename}: {len(refused)} feed URL(s) may not be watched, so nothing was "
            f"imported — {'; '.join(refused[:3])}{more}"
        )


def apply_import(
    plan: ImportPlan, *, store: Store, now: datetime, added_by: str, interval_s: int
) -> list[Feed]:
    """Store the plan's new feeds in one transaction (all or none)."""
    specs = [
        FeedSpec(
            url=e.url,
            name=(e.title or e.url)[:MAX_NAME],
            poll_interval_s=interval_s,
            tags=e.tags,
        )
        for e in plan.new
    ]
    return store.add_feeds(specs, now, added_by=added_by) if specs else []


def import_reply(plan: ImportPlan, added: Sequence[Feed] | None) -> TextReply:
    """What an import did (`added`) or would do (None: a dry run)."""
    count = len(added) if added is not None else len(plan.new)
    verb = "Imported" if added is not None else "Dry run: importing would add"
    parts = [f"{count} new feed(s)"]
    if plan.known:
        parts.append(f"{len(plan.known)} already watched")
    if plan.repeated:
        parts.append(f"{len(plan.repeated)} repeated in the file")
    head = f"{verb} {', '.join(parts)} from {plan.filename}."
    if added is None:
        head += " Nothing was changed."
    elif added:
        head += " Their current items are stored silently (digest only); new ones alert."
    lines: list[str] = []
    if added is not None:
        lines += _listed("Added", [f"#{f.id} {f.name}{_tags(f.tags)}" for f in added])
    else:
        lines += _listed("Would add", [f"{e.title or e.url}{_tags(e.tags)}" for e in plan.new])
    lines += _listed("Already watched", [f"{e.url} (feed #{f.id})" for e, f in plan.known])
    lines += _listed("Repeated in the file", [e.url for e in plan.repeated])
    return TextReply(head, tuple(lines), ephemeral=added is None)


def _tags(tags: Sequence[str]) -> str:
    return f" [{', '.join(tags)}]" if tags else ""


def _listed(label: str, entries: Sequence[str]) -> list[str]:
    if not entries:
        return []
    lines = [f"{label}:"] + [f"  {e}" for e in entries[:SHOWN]]
    if len(entries) > SHOWN:
        lines.append(f"  … and {len(entries) - SHOWN} more")
    return lines


def export_attachment(feeds: Sequence[Feed], *, codec: FeedListCodec, now: datetime) -> Attachment:
    """The watched feeds as a feed list file (local file and folder feeds are left out)."""
    data = codec.render(feeds, title="Watchbot feeds", now=now)
    return Attachment(
        filename=f"watchbot-feeds-{now:%Y%m%d}.{codec.extension}",
        data=data,
        media_type=codec.media_type,
        title="Watchbot feeds",
    )


def export_reply(feeds: Sequence[Feed], *, codec: FeedListCodec, now: datetime) -> TextReply:
    """`feed export`: the file, and a line saying what it holds."""
    listed = [f for f in feeds if f.kind == "rss"]
    attachment = export_attachment(listed, codec=codec, now=now)
    folders = {f.tags[0].casefold() for f in listed if f.tags}
    return TextReply(
        f"Exported {len(listed)} feed(s) in {len(folders)} folder(s) as {attachment.filename} "
        "(OPML 2.0: folders are each feed's first tag; `category` lists all its tags).",
        attachments=(attachment,),
    )


async def feed_list_command(
    verb: str,
    args: Sequence[str],
    upload: Upload | None,
    *,
    user: str,
    actor: str,
    codec: FeedListCodec,
    store: Store,
    checker: UrlChecker,
    now: datetime,
    interval_s: int,
) -> TextReply:
    """`feed export` and `feed import [--dry-run]` with the command's file (`upload`); `user`
    is recorded as the added feeds' author, `actor` in the audit log."""
    if verb == "export":
        if args:
            raise CommandError("feed export takes no arguments")
        return export_reply(store.list_feeds(), codec=codec, now=now)
    if list(args) not in ([], ["--dry-run"]):
        raise CommandError(f"feed import takes only --dry-run, not “{' '.join(args)}”")
    if upload is None:
        raise CommandError(
            "feed import needs an OPML file: attach it to the command on Discord; on Slack "
            "share it in this conversation first, then run the command; on the command line "
            "`watchbot feeds import FILE`"
        )
    plan = await plan_import(upload, codec=codec, store=store, checker=checker)
    if args:
        return import_reply(plan, None)
    added = apply_import(plan, store=store, now=now, added_by=user, interval_s=interval_s)
    store.audit(actor, "feed.import", f"{upload.filename}: {len(added)} added", now)
    return import_reply(plan, added)

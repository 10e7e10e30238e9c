"""Local documents as a feed: the bundled seed corpus and `watchbot ingest PATH`.

A folder is watched by content: its signature (names, sizes, content hashes) is the feed's ETag, so a
poll with no new or changed file is "not modified". Text documents take their title, date and source
from a sidecar `index.toml` when it lists them; otherwise the first line is the title and the file
time the date. Feed files (RSS/Atom/RDF) on disk are parsed like fetched ones.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.core.errors import FeedError, ParseError
from bot.core.models import Feed, ParsedEntry, ParsedFeed
from bot.core.ports import FeedParser, SourceResult
from bot.ingest.limits import RAW_TEXT_CHARS

TEXT_SUFFIXES = frozenset({".txt", ".md", ".text"})
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".feed"})
SIDECAR = "index.toml"
MAX_FILE_BYTES = 5_000_000
MAX_FILES = 5000
MAX_NOTES = 5  # files named in a folder's recovery note; the rest are counted


def local_path(feed_url: str) -> Path:
    """The path of a `local:` feed URL (relative paths are taken from the working directory)."""
    return Path(feed_url.removeprefix("local:")).expanduser()


def documents(root: Path) -> list[Path]:
    """Every document a `local:` feed of `root` reads (the file itself, or the folder's text
    and feed files by name), before the MAX_FILES cap."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise FeedError(f"{root} does not exist or is not a file or folder", permanent=True)
    return sorted(
        p
        for p in root.iterdir()
        if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | FEED_SUFFIXES and p.name != SIDECAR
    )


def folder_limit_note(root: Path, max_entries: int) -> str | None:
    """What a poll of the folder `root` leaves out, in words; None when it reads everything.

    A folder is one document to the pipeline: at most MAX_FILES files are read and the newest
    `max_entries` of their entries kept, so that one poll holds a bounded amount in memory.
    """
    count = len(documents(root)) if root.is_dir() else 0
    limit = min(MAX_FILES, max_entries)
    if count <= limit:
        return None
    return (
        f"{count:,} documents, but one folder is read {limit:,} at a time "
        f"(polling.max_entries {max_entries:,}, at most {MAX_FILES:,} files): "
        f"{count - limit:,} are left out; split it into folders of at most {limit:,} documents"
    )


def _read(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParseError(f"{path.name} is larger than {MAX_FILE_BYTES} bytes")
    return path.read_bytes()


def _signature(digests: list[tuple[str, bytes]], sidecar: dict[str, dict[str, Any]]) -> str:
    """The folder's ETag: file names with their content hashes, and the sidecar's metadata."""
    signature = hashlib.sha1()
    for name, digest in digests:
        signature.update(name.encode() + b"\0" + digest)
    signature.update(repr(sorted(sidecar.items())).encode())
    return signature.hexdigest()


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 12, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _as_datetime(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def load_sidecar(folder: Path) -> dict[str, dict[str, Any]]:
    """Metadata per file name from `index.toml` (`[documents."name.txt"] title/date/source/url`)."""
    path = folder / SIDECAR
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParseError(f"{path}: invalid TOML ({exc})") from exc
    docs = data.get("documents", {})
    return {str(k): v for k, v in docs.items() if isinstance(v, dict)}


def text_entry(path: Path, body: bytes, meta: dict[str, Any]) -> ParsedEntry:
    """An entry for a plain-text document: sidecar metadata first, then first line and file time."""
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = [line.strip() for line in text.splitlines()]
    first = next((line for line in lines if line), path.stem)
    title = str(meta.get("title") or first)
    rest = text if meta.get("title") else text.split(first, 1)[-1]
    rest = rest[:RAW_TEXT_CHARS]  # the normaliser reads a fraction of it (see limits.py)
    published = _as_datetime(meta.get("date")) or datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return ParsedEntry(
        guid=f"file:{path.name}",
        link=str(meta["url"]) if meta.get("url") else None,
        title=title,
        summary=rest,
        published=published,
        author=str(meta["author"]) if meta.get("author") else None,
        source=str(meta["source"]) if meta.get("source") else None,
    )


class LocalSource:
    """Reads `local:` feeds: a folder of documents and feed files, or one file."""

    def __init__(self, parser: FeedParser) -> None:
        self.parser = parser

    async def read(self, feed: Feed) -> SourceResult:
        """All documents of the folder, or None when nothing changed since `feed.etag`.

        One document is in memory at a time: a folder read before is hashed file by file first,
        and read again, file by file, only when it changed (a folder never read is read once).
        What a parser left out or recovered from is said in the result's `bozo_reason`, per file.
        """
        root = local_path(feed.url)
        files = documents(root)[:MAX_FILES]
        sidecar = load_sidecar(root if root.is_dir() else root.parent)
        if feed.etag is not None:
            digests = [(p.name, hashlib.sha1(_read(p)).digest()) for p in files]
            if feed.etag == _signature(digests, sidecar):
                return SourceResult(feed=None, etag=feed.etag)
        entries: list[ParsedEntry] = []
        notes: list[str] = []
        digests = []  # of what is parsed now: a file changed since it was hashed is seen next time
        for path in files:
            body = _read(path)
            digests.append((path.name, hashlib.sha1(body).digest()))
            if path.suffix.lower() in FEED_SUFFIXES:
                parsed = self.parser.parse(body, url=path.resolve().as_uri(), headers={})
                entries.extend(parsed.entries)
                if parsed.bozo_reason:
                    notes.append(
                        f"{path.name}: {parsed.bozo_reason}"
                        if root.is_dir()
                        else parsed.bozo_reason
                    )
            else:
                entries.append(text_entry(path, body, sidecar.get(path.name, {})))
        if len(notes) > MAX_NOTES:
            notes[MAX_NOTES:] = [f"and {len(notes) - MAX_NOTES} more files"]
        return SourceResult(
            feed=ParsedFeed(
                title=root.name,
                entries=tuple(entries),
                bozo=bool(notes),
                bozo_reason="; ".join(notes) or None,
            ),
            base_url="",
            etag=_signature(digests, sidecar),
        )

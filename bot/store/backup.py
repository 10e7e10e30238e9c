"""Online backup of the SQLite database (readers and the running bot are not blocked)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.core.errors import StorageError


def sqlite_path(url: str) -> Path:
    """The database file of a `sqlite:///` URL; StorageError for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise StorageError(
            f"backup copies SQLite databases; for {parsed.get_backend_name()} use its own tools "
            "(e.g. pg_dump)"
        )
    if not parsed.database or parsed.database == ":memory:":
        raise StorageError("an in-memory database has nothing to back up")
    return Path(parsed.database)


def backup_sqlite(url: str, target: Path) -> int:
    """Copy the live database to `target` page by page with SQLite's backup API.

    Returns the size of the copy in bytes. The copy is consistent even while the bot writes.
    """
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise StorageError(f"{source_path} does not exist")
    if target.exists():
        raise StorageError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sqlite3.connect(f"file:{source_path}?mode=ro", uri=True) as src:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst, pages=1024)
            finally:
                dst.close()
    except sqlite3.Error as exc:
        raise StorageError(f"backup to {target} failed: {exc}") from exc
    return target.stat().st_size

"""Backups of a live database, and secrets that never reach logs, errors or reprs."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.errors import StorageError
from bot.logs import KeyValueFormatter, RedactingFilter
from bot.store.backup import backup_sqlite
from bot.store.sql import SqlStore
from tests.fakes import FakeClock

SECRET = "xoxb-1234567890-very-secret-token"


def test_backup_copies_a_live_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = SqlStore(url)
    store.audit("alice", "feed.add", "x", FakeClock().now())
    size = backup_sqlite(url, tmp_path / "copy.db")
    assert size > 0
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("select count(*) from audit_log").fetchone() == (1,)
    with pytest.raises(StorageError, match="already exists"):
        backup_sqlite(url, tmp_path / "copy.db")
    with pytest.raises(StorageError, match="pg_dump"):
        backup_sqlite("postgresql+psycopg://u@h/db", tmp_path / "x.db")
    store.close()


def test_logs_redact_secrets_in_messages_context_and_tracebacks() -> None:
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Capture()
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(RedactingFilter([SECRET]))
    log = logging.getLogger("test.secrets")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("token %s rejected", SECRET, extra={"url": f"https://h/?t={SECRET}"})
        try:
            raise RuntimeError(f"auth failed for {SECRET}")
        except RuntimeError:
            log.exception("boom")
    finally:
        log.removeHandler(handler)
    text = "\n".join(records)
    assert SECRET not in text
    assert text.count("***") >= 3


def test_settings_repr_and_errors_hide_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", SECRET)
    monkeypatch.setenv("DISCORD_TOKEN", SECRET + "d")
    path = tmp_path / "w.toml"
    path.write_text("[storage]\nurl = 'sqlite:///x.db'\n", encoding="utf-8")
    settings = load_settings(path)
    assert SECRET not in repr(settings) and SECRET not in str(settings.secrets)
    assert settings.secrets.slack_bot_token is not None
    assert settings.secrets.slack_bot_token.get_secret_value() == SECRET

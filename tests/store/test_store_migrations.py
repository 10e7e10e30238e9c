"""Migrations: idempotent, reversible, identical to the table definitions, per-dialect search."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, UniqueConstraint, create_engine, inspect, text
from sqlalchemy.pool import NullPool

from bot.core.models import FeedSpec
from bot.store.engine import make_engine
from bot.store.migrate import alembic_config, migrate, upgrade
from bot.store.schema import is_search_object, metadata
from bot.store.sql import SqlStore
from tests.store.store_builders import T0, add_feed


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _newest_version_file() -> str:
    """The revision of the highest-numbered migration file: the chain must end there."""
    versions = Path(__file__).parents[2] / "bot" / "store" / "migrations" / "versions"
    return max(p.name.split("_", 1)[0] for p in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))


def _revision(url: str) -> str | None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def test_migrate_twice_is_a_noop_and_keeps_data(db_url: str) -> None:
    migrate(db_url)
    store = SqlStore(db_url, migrate=False)
    add_feed(store, "kept")
    store.close()

    migrate(db_url)
    store = SqlStore(db_url)  # migrates a third time on construction
    try:
        assert [f.name for f in store.list_feeds()] == ["kept"]
    finally:
        store.close()
    assert _revision(db_url) == _head() == _newest_version_file()


def test_migrated_schema_matches_table_definitions(db_url: str) -> None:
    migrate(db_url)
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": lambda _o, name, *_: not is_search_object(name),
                },
            )
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_constraint_names_follow_the_naming_convention(db_url: str) -> None:
    """Autogenerate does not compare CHECK constraints or names, so compare those here."""
    migrate(db_url)
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table in metadata.sorted_tables:
                expected = {
                    str(c.name)
                    for c in table.constraints
                    if isinstance(c, CheckConstraint | UniqueConstraint)
                }
                reflected = {c["name"] for c in inspector.get_check_constraints(table.name)}
                reflected |= {c["name"] for c in inspector.get_unique_constraints(table.name)}
                assert reflected == expected, table.name
                fks = {fk["name"] for fk in inspector.get_foreign_keys(table.name)}
                assert fks == {str(fk.name) for fk in table.foreign_key_constraints}
    finally:
        engine.dispose()


def test_fulltext_objects_exist_for_the_dialect_only(db_url: str) -> None:
    migrate(db_url)
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            indexes = {ix["name"] for ix in inspect(conn).get_indexes("items")}
            if conn.dialect.name == "sqlite":
                triggers = set(
                    conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
                    .scalars()
                    .all()
                )
                assert "items_fts" in tables
                assert triggers == {"items_fts_ai", "items_fts_ad", "items_fts_au"}
                assert "ix_items_fts" not in indexes
            else:
                assert "items_fts" not in tables
                assert "ix_items_fts" in indexes
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
    finally:
        engine.dispose()
    assert _revision(db_url) == _newest_version_file()


def test_sqlite_file_settings_and_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "watchbot.db"
    store = SqlStore(f"sqlite:///{path}")
    store.close()
    assert path.exists()
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            }
    finally:
        engine.dispose()
    assert pragma == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1}


def test_in_memory_sqlite_keeps_one_database() -> None:
    store = SqlStore("sqlite:///:memory:")
    try:
        store.add_feed(FeedSpec(url="https://a.example/rss", name="a"), T0)
        assert [f.name for f in store.list_feeds()] == ["a"]
        assert store.stats().feeds == 1
    finally:
        store.close()

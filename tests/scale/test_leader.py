"""The chat leader: one replica at a time holds the PostgreSQL advisory lock; SQLite always leads."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bot.leader import AdvisoryLockLeader, SoleLeader, leadership_for


async def test_one_leader_and_takeover_when_it_goes(pg_url: str) -> None:
    first, second = AdvisoryLockLeader(pg_url), AdvisoryLockLeader(pg_url)
    try:
        assert await first.check() and first.is_leader
        assert not await second.check()
        assert await first.check()  # still holding it
        await first.close()  # a replica that stops (or dies) lets go
        assert await second.check() and second.is_leader
        assert not await first.check()  # back as a follower
    finally:
        await first.close()
        await second.close()


async def test_a_leader_that_lost_its_session_steps_down(pg_url: str) -> None:
    first, second = AdvisoryLockLeader(pg_url), AdvisoryLockLeader(pg_url)
    admin = create_engine(pg_url, poolclass=NullPool)
    try:
        assert await first.check()
        # The server drops the leader's session (a network failure, a restart of the server).
        with admin.begin() as conn:
            killed = conn.execute(
                # Only this schema's lock: other tests (and other runs) on the server hold theirs.
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND classid = :ns AND objsubid = 2 "
                    "AND objid::text::bigint = (hashtext(current_schema())::bigint & 4294967295)"
                ),
                {"ns": 0x77626C64},
            ).scalars()
            assert list(killed) == [True]
        assert not await first.check()
        assert await second.check()
    finally:
        await first.close()
        await second.close()
        admin.dispose()


async def test_each_schema_elects_its_own_leader(pg_url: str) -> None:
    # Two deployments sharing a server, one schema each: the lock key includes the schema.
    other_schema = pg_url.replace("search_path%3D", "search_path%3Dpublic%2C")
    mine, theirs = AdvisoryLockLeader(pg_url), AdvisoryLockLeader(other_schema)
    try:
        assert await mine.check()
        assert await theirs.check()
    finally:
        await mine.close()
        await theirs.close()


async def test_sqlite_always_leads() -> None:
    leader = leadership_for("sqlite:///data/watchbot.db")
    assert isinstance(leader, SoleLeader)
    assert leader.is_leader and await leader.check()

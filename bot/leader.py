"""Which replica leads: holds the chat connections (Socket Mode, the Discord gateway) and sends.

On PostgreSQL the leader is the replica holding a session-level advisory lock on a connection of
its own. The lock lives as long as that connection: a replica that dies (killed, crashed, its
machine gone) loses it, and the next replica to try takes over. Every replica tries on a period;
the leader uses the same period to confirm its connection is still alive, and steps down when it
is not. On SQLite there is one process, and it always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger("watchbot.leader")

# First half of the two-integer lock key ("wbld"); the second is the schema's hash, so that
# several deployments sharing one database (one schema each) elect one leader each.
LOCK_NAMESPACE = 0x77626C64
# The server drops a vanished client's session, and with it the lock, within about 25 s
# (instead of the kernel's two-hour default).
_KEEPALIVE = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)


class Leadership(Protocol):
    """Tells whether this replica leads; `check` tries to become (or stay) the leader."""

    @property
    def is_leader(self) -> bool: ...

    async def check(self) -> bool: ...

    async def close(self) -> None: ...


class SoleLeader:
    """A single process (SQLite): always the leader."""

    is_leader = True

    async def check(self) -> bool:
        """Always True."""
        return True

    async def close(self) -> None:
        """Nothing to release."""


class AdvisoryLockLeader:
    """Leader while holding `pg_try_advisory_lock` on a dedicated PostgreSQL connection."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self._engine: Engine = create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": 5},
        )
        self.timeout_s = timeout_s
        self._conn: Connection | None = None
        self._leader = False

    @property
    def is_leader(self) -> bool:
        """Whether the last check found (or kept) the lock."""
        return self._leader

    def _attempt(self, conn: Connection | None, leading: bool) -> tuple[Connection, bool]:
        """Blocking: connect if needed, then confirm the connection (leader) or try the lock."""
        if conn is None:
            conn = self._engine.connect()
            for statement in _KEEPALIVE:
                conn.exec_driver_sql(statement)
        if leading:
            conn.exec_driver_sql("SELECT 1")  # a session lock lasts as long as its session
            return conn, True
        got = conn.execute(
            text("SELECT pg_try_advisory_lock(:ns, hashtext(current_schema()))"),
            {"ns": LOCK_NAMESPACE},
        ).scalar()
        return conn, bool(got)

    async def check(self) -> bool:
        """Try to take the lock, or confirm it is still held; False on any database trouble.

        The blocking call runs in a thread under a deadline: a leader whose database went quiet
        steps down rather than waiting, and a connection that comes back late is closed so that
        a lock it may have won is not held by nobody.
        """
        conn, self._conn = self._conn, None
        was = self._leader
        future = asyncio.ensure_future(asyncio.to_thread(self._attempt, conn, was))
        try:
            self._conn, self._leader = await asyncio.wait_for(
                asyncio.shield(future), self.timeout_s
            )
        except (SQLAlchemyError, TimeoutError) as exc:
            self._leader = False
            future.add_done_callback(_close_late)
            if conn is not None:
                await asyncio.to_thread(_close_quietly, conn)
            log.warning("leader.check_failed", extra={"error": str(exc) or type(exc).__name__})
        if self._leader != was:
            log.info("leader.elected" if self._leader else "leader.deposed")
        return self._leader

    async def close(self) -> None:
        """Give up the lock (closing the session releases it) and the engine."""
        conn, self._conn = self._conn, None
        self._leader = False
        if conn is not None:
            await asyncio.to_thread(_close_quietly, conn)
        self._engine.dispose()


def _close_quietly(conn: Connection) -> None:
    with contextlib.suppress(SQLAlchemyError):
        conn.close()


def _close_late(future: asyncio.Future[tuple[Connection, bool]]) -> None:
    """A check that finished after its deadline: drop its connection, and any lock it won."""
    if not future.cancelled() and future.exception() is None:
        _close_quietly(future.result()[0])


def leadership_for(url: str) -> Leadership:
    """An advisory-lock election on PostgreSQL; the sole leader on SQLite."""
    if url.startswith("postgresql"):
        return AdvisoryLockLeader(url)
    return SoleLeader()

"""The embedded default: room logs in one SQLite file, durable on one machine.

Durability: WAL mode with ``synchronous=FULL``, so a committed transaction is
fsynced before ``append()`` returns and survives a crash of the process or of
the machine. To keep that from costing one fsync per message, appends are
committed in groups: ``append()`` queues its entry and waits; one writer task
takes every entry queued at that moment, writes them in one transaction on the
writer thread (one fsync) and then resolves all their futures. A lone append
goes out at once (no timer); under load, the entries that arrive during one
fsync form the next group.

Threads: all writes run on one dedicated thread (which owns the write
connection), reads on another with their own connection, so the event loop
never waits on the disk. Numbering happens inside the write transaction from
the ``rooms`` table, so even a second process writing the same file (say, a
command-line tool) cannot break the dense sequence; only this process's
listeners hear about this process's appends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

from ..core.types import Entry, Json
from ..readiness import Readiness
from .base import (
    AudioListener,
    BackendUnavailable,
    Clock,
    Fanout,
    Listener,
    RecordedFrame,
    ResetListener,
    StoredFrame,
    dense,
    is_room_log,
    next_stamp,
    pack_body,
    unpack_entry,
)
from .disk_space import DiskSpace
from .sqlite_schema import SCHEMA, private_files

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Bounds one transaction (and the memory it holds) when a burst queues many entries;
# the rest go in the next group, right after.
MAX_GROUP = 1000


@dataclass(slots=True)
class _Pending:
    room_id: str
    now: int
    body: bytes
    future: asyncio.Future[Entry]


class SqliteBackend:
    """A :class:`~yishi.backends.base.LogBackend` in one SQLite file (``sqlite:///path``)."""

    def __init__(
        self,
        *,
        path: str | Path,
        clock: Clock,
        node_id: str | None = None,
        readiness: Readiness | None = None,
    ) -> None:
        self.node_id = node_id if node_id is not None else secrets.token_hex(8)
        self.commits = 0
        self.single_node = True  # see LogBackend.single_node
        self.repair_reads = 0  # every append is heard: nothing to repair
        self.reconnects = 0
        self.path = Path(path)
        self._space = DiskSpace(readiness or Readiness(), self.path)
        self._clock = clock
        self._fanout = Fanout()
        self._pending: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._writer_task: asyncio.Task[None] | None = None
        self._write_pool: ThreadPoolExecutor | None = None
        self._read_pool: ThreadPoolExecutor | None = None
        self._wconn: sqlite3.Connection | None = None  # used on the write thread only
        self._rconn: sqlite3.Connection | None = None  # used on the read thread only
        self._open = False

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        self._write_pool = ThreadPoolExecutor(1, thread_name_prefix="yishi-sqlite-write")
        self._read_pool = ThreadPoolExecutor(1, thread_name_prefix="yishi-sqlite-read")
        try:
            await self._run(self._write_pool, self._open_writer)
            await self._run(self._read_pool, self._open_reader)
        except BaseException as exc:
            await self._release()
            if isinstance(exc, sqlite3.Error | OSError):
                raise BackendUnavailable(f"cannot open sqlite {self.path}: {exc}") from exc
            raise
        self._writer_task = asyncio.create_task(self._write_loop(), name="yishi-sqlite-writer")
        self._open = True

    async def close(self) -> None:
        if not self._open:
            return
        self._open = False
        self._wakeup.set()
        if self._writer_task is not None:
            await self._writer_task  # drains every append accepted before close()
        await self._release()

    async def _release(self) -> None:
        if self._write_pool is not None:
            await self._run(self._write_pool, _close_connection, self._wconn)
            self._write_pool.shutdown()
        if self._read_pool is not None:
            await self._run(self._read_pool, _close_connection, self._rconn)
            self._read_pool.shutdown()
        self._write_pool = self._read_pool = None
        self._wconn = self._rconn = None

    def _open_writer(self) -> None:
        private_files(self.path)
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        # Deleted rows (a destroyed ballot key) are overwritten, not left in free pages.
        conn.execute("PRAGMA secure_delete = ON")
        conn.executescript(SCHEMA)
        self._wconn = conn

    def _open_reader(self) -> None:
        # Autocommit: each SELECT sees everything committed before it started, so a
        # read after append() returns always finds the entry.
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        self._rconn = conn

    # -- appends (group commit) -----------------------------------------------------

    async def append(
        self,
        room_id: str,
        kind: str,
        *,
        actor: str | None = None,
        args: Json | None = None,
        nonce: str | None = None,
    ) -> Entry:
        self._check_open()
        body = pack_body(
            kind, actor=actor, args=args, nonce=nonce
        )  # TypeError here, not in a group
        future: asyncio.Future[Entry] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(room_id, self._clock(), body, future))
        self._wakeup.set()
        return await future

    async def _write_loop(self) -> None:
        assert self._write_pool is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                group = self._pending[:MAX_GROUP]
                del self._pending[:MAX_GROUP]
                try:
                    stamps = await self._run(self._write_pool, self._write_group, group)
                except Exception as exc:
                    # Any failure must fail this group, not kill the writer (which would
                    # hang every later append). Whether a failed COMMIT reached the disk
                    # is unknowable: "unavailable", and a retry with the nonce settles it.
                    if not isinstance(exc, sqlite3.Error | OSError):
                        logger.exception("sqlite writer failed on a group of %d", len(group))
                    self._space.written(exc)
                    for pending in group:
                        if not pending.future.done():
                            pending.future.set_exception(
                                BackendUnavailable(f"sqlite append failed: {exc}")
                            )
                    continue
                self.commits += 1
                self._space.written(None)
                for pending, (seq, at) in zip(group, stamps):
                    entry = unpack_entry(seq, at, pending.body)
                    # Listeners first: a waiter resumes only on a later loop turn anyway,
                    # and a cancelled waiter's entry is still in the log.
                    self._fanout.notify(pending.room_id, entry)
                    if not pending.future.done():
                        pending.future.set_result(entry)
            if not self._open:
                return

    def _write_group(self, group: list[_Pending]) -> list[tuple[int, int]]:
        conn = self._connection(self._wconn)
        with _transaction(conn):
            last: dict[str, tuple[int, int] | None] = {}
            stamps: list[tuple[int, int]] = []
            for pending in group:
                if pending.room_id not in last:
                    last[pending.room_id] = conn.execute(
                        "SELECT last_seq, last_at FROM rooms WHERE room = ?", (pending.room_id,)
                    ).fetchone()
                stamp = next_stamp(last[pending.room_id], pending.now)
                last[pending.room_id] = stamp
                stamps.append(stamp)
            conn.executemany(
                "INSERT INTO entries (room, seq, at, body) VALUES (?, ?, ?, ?)",
                [(p.room_id, seq, at, p.body) for p, (seq, at) in zip(group, stamps)],
            )
            conn.executemany(
                "INSERT INTO rooms (room, last_seq, last_at) VALUES (?, ?, ?)"
                " ON CONFLICT (room) DO UPDATE"
                " SET last_seq = excluded.last_seq, last_at = excluded.last_at",
                [(room, *stamp) for room, stamp in last.items() if stamp is not None],
            )
        return stamps

    # -- reads ------------------------------------------------------------------------

    async def read(self, room_id: str, *, after: int = 0, limit: int = 10_000) -> list[Entry]:
        return await self._read(self._read_entries, room_id, after, limit)

    def _read_entries(self, room_id: str, after: int, limit: int) -> list[Entry]:
        rows = (
            self._connection(self._rconn)
            .execute(
                "SELECT seq, at, body FROM entries WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?",
                (room_id, after, max(limit, 0)),
            )
            .fetchall()
        )  # all rows first: a cursor left open would hold its read snapshot
        return dense(after, [unpack_entry(seq, at, body) for seq, at, body in rows])

    async def last_seq(self, room_id: str) -> int:
        return await self._read(self._query_last_seq, room_id)

    def _query_last_seq(self, room_id: str) -> int:
        row = (
            self._connection(self._rconn)
            .execute("SELECT last_seq FROM rooms WHERE room = ?", (room_id,))
            .fetchone()
        )
        return int(row[0]) if row else 0

    async def room_ids(self) -> list[str]:
        return await self._read(self._query_room_ids)

    def _query_room_ids(self) -> list[str]:
        rows = self._connection(self._rconn).execute("SELECT room FROM rooms ORDER BY room")
        return [str(room) for (room,) in rows if is_room_log(str(room))]

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._fanout.subscribe(listener)

    def publish_audio(self, room_id: str, frame: bytes) -> None:
        """One node on the file: nobody else to hear it."""

    def release(self, room_id: str) -> None:
        """Nothing to release: every room is heard through one path."""

    def subscribe_resets(self, listener: ResetListener) -> Callable[[], None]:
        return lambda: None  # what it delivered, it keeps

    async def epoch(self, room_id: str) -> str:
        return ""  # one history per log, ever: it never resets

    async def new_epoch(self, room_id: str, replacing: str) -> str:
        return ""  # never called: it never resets

    def subscribe_audio(self, listener: AudioListener) -> Callable[[], None]:
        return lambda: None

    # -- secrets and snapshots (rare: one transaction each, on the write thread) --------

    async def get_or_create_secret(self, name: str, make: Callable[[], str]) -> str:
        stored = await self._read(self._query_secret, name)
        if stored is not None:
            return stored
        return await self._write(self._store_secret, name, make())

    def _query_secret(self, name: str) -> str | None:
        row = (
            self._connection(self._rconn)
            .execute("SELECT value FROM secrets WHERE name = ?", (name,))
            .fetchone()
        )
        return str(row[0]) if row else None

    def _store_secret(self, name: str, value: str) -> str:
        conn = self._connection(self._wconn)
        # The first value stored wins, also against another process racing us.
        conn.execute("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)", (name, value))
        row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return str(row[0])

    async def put_ballot_key(self, key_id: str, key: bytes) -> None:
        await self._write(self._store_ballot_key, key_id, bytes(key))

    def _store_ballot_key(self, key_id: str, key: bytes) -> None:
        self._connection(self._wconn).execute(
            "INSERT OR IGNORE INTO ballot_keys (key_id, key) VALUES (?, ?)", (key_id, key)
        )

    async def get_ballot_key(self, key_id: str) -> bytes | None:
        return await self._read(self._query_ballot_key, key_id)

    def _query_ballot_key(self, key_id: str) -> bytes | None:
        row = (
            self._connection(self._rconn)
            .execute("SELECT key FROM ballot_keys WHERE key_id = ?", (key_id,))
            .fetchone()
        )
        return bytes(row[0]) if row else None

    async def drop_ballot_key(self, key_id: str) -> None:
        await self._write(self._delete_ballot_key, key_id)

    def _delete_ballot_key(self, key_id: str) -> None:
        conn = self._connection(self._wconn)
        conn.execute("DELETE FROM ballot_keys WHERE key_id = ?", (key_id,))
        self._truncate_wal("a key was destroyed")

    def _truncate_wal(self, why: str) -> None:
        """After a secure delete: a deleted row is zeroed (secure_delete) once its page is
        back in the main file; the write-ahead log still holds the page images that had
        it until a checkpoint truncates it. A reader in the middle of a query can hold
        that up: try again a few times (the row is gone from every read regardless)."""
        conn = self._connection(self._wconn)
        for _ in range(50):
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            time.sleep(0.01)
        logger.warning(
            "sqlite: the write-ahead log could not be truncated after %s;"
            " it will be at the next checkpoint",
            why,
        )

    # -- recordings (batches of audio frames, on the write thread between appends) ------

    async def add_recording_frames(self, room_id: str, frames: list[RecordedFrame]) -> None:
        await self._write(self._store_frames, room_id, list(frames))

    def _store_frames(self, room_id: str, frames: list[RecordedFrame]) -> None:
        conn = self._connection(self._wconn)
        with _transaction(conn):  # one fsync for the batch, never one per frame
            conn.executemany(
                "INSERT INTO recordings (room, turn, speaker, seq, ts, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (room_id, turn, speaker, seq, ts, bytes(data))
                    for turn, speaker, seq, ts, data in frames
                ],
            )

    async def recording_frames(self, room_id: str, turn_id: str) -> list[StoredFrame]:
        return await self._read(self._query_frames, room_id, turn_id)

    def _query_frames(self, room_id: str, turn_id: str) -> list[StoredFrame]:
        rows = self._connection(self._rconn).execute(
            "SELECT speaker, seq, ts, data FROM recordings WHERE room = ? AND turn = ? ORDER BY id",
            (room_id, turn_id),
        )
        return [(str(speaker), int(seq), int(ts), bytes(data)) for speaker, seq, ts, data in rows]

    async def recorded_turns(self, room_id: str) -> list[str]:
        return await self._read(self._query_recorded_turns, room_id)

    def _query_recorded_turns(self, room_id: str) -> list[str]:
        rows = self._connection(self._rconn).execute(
            "SELECT DISTINCT turn FROM recordings WHERE room = ? ORDER BY turn", (room_id,)
        )
        return [str(turn) for (turn,) in rows]

    async def drop_recordings(self, room_id: str) -> None:
        await self._write(self._delete_recordings, room_id)

    def _delete_recordings(self, room_id: str) -> None:
        conn = self._connection(self._wconn)
        conn.execute("DELETE FROM recordings WHERE room = ?", (room_id,))
        self._truncate_wal("recordings were erased")

    async def save_snapshot(self, room_id: str, seq: int, blob: bytes) -> None:
        await self._write(self._store_snapshot, room_id, seq, bytes(blob))

    def _store_snapshot(self, room_id: str, seq: int, blob: bytes) -> None:
        self._connection(self._wconn).execute(
            "INSERT INTO snapshots (room, seq, blob) VALUES (?, ?, ?)"
            " ON CONFLICT (room) DO UPDATE SET seq = excluded.seq, blob = excluded.blob"
            " WHERE excluded.seq >= snapshots.seq",
            (room_id, seq, blob),
        )

    async def load_snapshot(self, room_id: str) -> tuple[int, bytes] | None:
        return await self._read(self._query_snapshot, room_id)

    def _query_snapshot(self, room_id: str) -> tuple[int, bytes] | None:
        row = (
            self._connection(self._rconn)
            .execute("SELECT seq, blob FROM snapshots WHERE room = ?", (room_id,))
            .fetchone()
        )
        return (int(row[0]), bytes(row[1])) if row else None

    async def ping(self) -> None:
        await self._read(self._query_ping)

    def _query_ping(self) -> None:
        self._connection(self._rconn).execute("SELECT 1 FROM rooms LIMIT 1").fetchall()

    async def alive_nodes(self) -> set[str]:
        self._check_open()
        return {self.node_id}  # the only node

    # -- plumbing ------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self._open:
            raise BackendUnavailable(f"sqlite backend {self.path} is not started or is closed")

    async def _read(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        self._check_open()
        assert self._read_pool is not None
        return await self._guarded(self._read_pool, fn, *args, **kwargs)

    async def _write(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        self._check_open()
        assert self._write_pool is not None
        try:
            result = await self._guarded(self._write_pool, fn, *args, **kwargs)
        except BackendUnavailable as exc:
            self._space.written(exc.__cause__)
            raise
        self._space.written(None)
        return result

    async def _guarded(
        self, pool: ThreadPoolExecutor, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        try:
            return await self._run(pool, fn, *args, **kwargs)
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"sqlite {self.path}: {exc}") from exc

    @staticmethod
    async def _run(
        pool: ThreadPoolExecutor, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, lambda: fn(*args, **kwargs))

    @staticmethod
    def _connection(conn: sqlite3.Connection | None) -> sqlite3.Connection:
        if conn is None:
            raise BackendUnavailable("sqlite backend is closed")
        return conn


def _close_connection(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        conn.close()


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (the connection is in autocommit mode): committed if the
    block ends, rolled back if it raises (a cancellation included)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise

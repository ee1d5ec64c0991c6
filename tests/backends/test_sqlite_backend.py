"""What only the SQLite backend promises: the file's mode, group commit, crash safety."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from yishi.backends import BackendUnavailable
from yishi.backends.sqlite import SqliteBackend

from .conftest import FakeClock

# Appends forever from 8 tasks over 2 rooms, printing each append once it is
# acknowledged: "seq worker i room".
CHILD = """
import asyncio, sys, time
from yishi.backends import BackendUnavailable
from yishi.backends.sqlite import SqliteBackend

async def main() -> None:
    backend = SqliteBackend(path=sys.argv[1], clock=lambda: int(time.time() * 1000))
    await backend.start()

    async def worker(w: int) -> None:
        i = 0
        while True:
            room = f"room-{w % 2}"
            entry = await backend.append(room, "test.append", args={"w": w, "i": i})
            sys.stdout.write(f"{entry.seq} {w} {i} {room}\\n")
            sys.stdout.flush()
            i += 1

    await asyncio.gather(*(worker(w) for w in range(8)))

asyncio.run(main())
"""


@pytest.fixture
async def sqlite_backend(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SqliteBackend]:
    backend = SqliteBackend(path=tmp_path / "yishi.db", clock=clock)
    await backend.start()
    yield backend
    await backend.close()


async def test_file_is_in_wal_mode(sqlite_backend: SqliteBackend) -> None:
    await sqlite_backend.append("r", "tick")
    with sqlite3.connect(sqlite_backend.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


async def test_concurrent_appends_are_committed_in_groups(sqlite_backend: SqliteBackend) -> None:
    before = sqlite_backend.commits
    entries = await asyncio.gather(
        *(sqlite_backend.append("r", "tick", args={"i": i}) for i in range(200))
    )
    assert sorted(e.seq for e in entries) == list(range(1, 201))
    assert sqlite_backend.commits - before <= 10  # 200 appends, a handful of fsyncs


async def test_a_lone_append_is_committed_at_once(sqlite_backend: SqliteBackend) -> None:
    # Sequential appends each get their own commit: nothing waits for company.
    before = sqlite_backend.commits
    for i in range(20):
        await sqlite_backend.append("r", "tick", args={"i": i})
    assert sqlite_backend.commits - before == 20


async def test_two_writers_on_one_file_keep_the_sequence_dense(
    tmp_path: Path, clock: FakeClock
) -> None:
    # A second process (say, a command-line tool) writing the same file while the server runs.
    a = SqliteBackend(path=tmp_path / "yishi.db", clock=clock)
    b = SqliteBackend(path=tmp_path / "yishi.db", clock=clock)
    await a.start()
    await b.start()
    try:
        await asyncio.gather(
            *((a if i % 2 else b).append("r", "tick", args={"i": i}) for i in range(100))
        )
        assert [e.seq for e in await a.read("r")] == list(range(1, 101))
        assert await b.last_seq("r") == 100
    finally:
        await a.close()
        await b.close()


async def test_acknowledged_appends_survive_kill_9(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "yishi.db"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(path), stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None
    acked: list[tuple[str, int, int, int]] = []  # (room, seq, worker, i)

    def take(line: bytes) -> None:
        if line.endswith(b"\n"):  # a line cut by the kill was never fully acknowledged
            seq, w, i, room = line.decode().split()
            acked.append((room, int(seq), int(w), int(i)))

    try:
        async with asyncio.timeout(60):
            while len(acked) < 300:
                line = await child.stdout.readline()
                assert line, "the child exited before appending enough"
                take(line)
    finally:
        os.kill(child.pid, signal.SIGKILL)
    # Lines written before the kill are acknowledged appends too.
    async with asyncio.timeout(30):
        while line := await child.stdout.readline():
            take(line)
        assert await child.wait() == -signal.SIGKILL

    reopened = SqliteBackend(path=path, clock=clock)
    await reopened.start()
    try:
        for room in ["room-0", "room-1"]:
            log = await reopened.read(room, limit=1_000_000)
            assert [e.seq for e in log] == list(range(1, len(log) + 1))
            by_seq = {e.seq: e.args for e in log}
            for acked_room, seq, w, i in acked:
                if acked_room == room:
                    assert by_seq.get(seq) == {"w": w, "i": i}
    finally:
        await reopened.close()


async def test_an_unopenable_file_is_unavailable(tmp_path: Path, clock: FakeClock) -> None:
    (tmp_path / "not-a-folder").write_text("")
    backend = SqliteBackend(path=tmp_path / "not-a-folder" / "yishi.db", clock=clock)
    with pytest.raises(BackendUnavailable):
        await backend.start()

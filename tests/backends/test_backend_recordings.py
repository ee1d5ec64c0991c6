"""The side store of recorded audio frames, on every backend: kept in order per turn
beside the log (never in it), read back after a restart and from another node,
erased for good per room."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from yishi.backends.base import BackendUnavailable
from yishi.backends.sqlite import SqliteBackend

from .conftest import FakeClock, Store


def packet(n: int) -> bytes:
    return b"OPUS" + n.to_bytes(4, "big") + bytes(range(40))


async def test_frames_are_kept_per_turn_in_order_and_erased_per_room(
    store: Store, clock: FakeClock
) -> None:
    first = store.open(clock=clock)
    await first.start()
    await first.add_recording_frames(
        "r1", [("t5", "u4", 0, 1000, packet(0)), ("", "u1", 7, 1010, packet(100))]
    )
    await first.add_recording_frames(
        "r1", [("t5", "u4", n, 1000 + 60 * n, packet(n)) for n in range(1, 50)]
    )
    await first.add_recording_frames("r2", [("t9", "u2", 0, 5, packet(9))])
    await first.add_recording_frames("r2", [])
    await first.close()
    second = store.open(clock=clock)
    await second.start()
    try:
        frames = await second.recording_frames("r1", "t5")
        assert frames == [("u4", n, 1000 + 60 * n, packet(n)) for n in range(50)]
        assert await second.recording_frames("r1", "") == [("u1", 7, 1010, packet(100))]
        assert await second.recording_frames("r1", "t6") == []
        assert await second.recorded_turns("r1") == ["", "t5"]
        assert await second.room_ids() == []  # frames are not entries
        await second.drop_recordings("r1")
        await second.drop_recordings("r1")  # twice: harmless
        await second.drop_recordings("never")
        assert await second.recorded_turns("r1") == []
        assert await second.recording_frames("r1", "t5") == []
        assert await second.recording_frames("r2", "t9") == [("u2", 0, 5, packet(9))]
    finally:
        await second.close()
    with pytest.raises(BackendUnavailable):
        await second.recording_frames("r2", "t9")


async def test_sqlite_erased_frames_leave_no_trace_in_the_files(tmp_path: Path) -> None:
    """After erasing, no byte of a kept packet is in the database or its -wal/-shm."""
    folder = tmp_path / "data"
    path = folder / "yishi.db"
    backend = SqliteBackend(path=path, clock=FakeClock())
    await backend.start()
    known = b"KNOWN-OPUS-PACKET-" + bytes(range(200, 256))
    try:
        await backend.add_recording_frames(
            "r", [("t3", "u2", n, n * 60, known + bytes([n])) for n in range(200)]
        )
        for i in range(5):
            await backend.append("r", "tick", args={"i": i})
        assert any(known in f.read_bytes() for f in folder.iterdir())
        await backend.drop_recordings("r")
        await backend.append("r", "tick")
        for file in sorted(folder.iterdir()):
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
            assert known not in file.read_bytes(), file
    finally:
        await backend.close()

"""The recorder never blocks the relay and never grows without bound: frames wait in
a bounded buffer and are written in batches; a full buffer drops (counted), a store
that refuses a batch loses it (counted), and neither is an error for anyone."""

from __future__ import annotations

import time

from yishi.backends.memory import MemoryBackend
from yishi.host.recordings import MAX_PENDING, Recordings


def clock() -> int:
    return time.time_ns() // 1_000_000


async def test_keep_is_bounded_and_written_in_batches() -> None:
    backend = MemoryBackend(clock=clock)
    await backend.start()
    recordings = Recordings(backend)
    recordings.start()
    try:
        for n in range(MAX_PENDING + 500):  # faster than any writer: nothing awaited
            recordings.keep("r1", "t3", "u2", n, n * 60, b"\xf8\xff\xfe")
        assert recordings.dropped == 500
        frames = await recordings.frames("r1", "t3")
        assert [seq for _, seq, _, _ in frames] == list(range(MAX_PENDING))
        assert recordings.kept == MAX_PENDING and recordings.lost == 0
        recordings.keep("r1", "", "u1", 0, 1, b"\xf8\xff\xfe")  # room for more again
        assert await recordings.frames("r1", "") == [("u1", 0, 1, b"\xf8\xff\xfe")]
        await recordings.erase("r1")
        assert await backend.recorded_turns("r1") == []
    finally:
        await recordings.close()
        await backend.close()


async def test_a_refused_write_is_counted_not_raised() -> None:
    backend = MemoryBackend(clock=clock)
    await backend.start()
    recordings = Recordings(backend)
    recordings.start()
    await backend.close()  # the store is gone: every write fails
    for n in range(10):
        recordings.keep("r1", "t3", "u2", n, n * 60, b"\xf8\xff\xfe")
    await recordings.flush("r1")
    assert recordings.lost == 10 and recordings.kept == 0
    await recordings.close()
    recordings.keep("r1", "t3", "u2", 11, 0, b"x")  # after close: dropped, not an error
    assert recordings.dropped == 1

"""How long a room snapshot stalls the event loop, in a big room with a full ring.

    python3 bench/snapshot_stall.py [--people 5000] [--events 12000] [--runs 5]

Builds, with a real node over the memory backend, a room of ``--people``
residents whose replay ring holds ``--events`` events (presence changes), then
appends entries until the node takes a snapshot (every ``SNAPSHOT_EVERY``
entries), ``--runs`` times. A probe task wakes every millisecond and records
the longest gap between its wake-ups while each snapshot is being taken and
stored: that is how long no socket was served. It also reports the blob size.
A script, not a test: figures go into docs/operations.md ("Snapshots").
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from yishi.backends.memory import MemoryBackend
from yishi.host.node import SNAPSHOT_EVERY, Node

ROOM = "stallroom01"


def wall() -> int:
    return time.time_ns() // 1_000_000


class Probe:
    """The longest time between two wake-ups of a task that asks for 1 ms sleeps."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last)
            last = now

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> float:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return self.worst * 1000


class Saves(MemoryBackend):
    """A memory backend that says when a snapshot has been stored."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.saved = asyncio.Event()
        self.sizes: list[int] = []

    async def save_snapshot(self, room_id: str, seq: int, blob: bytes) -> None:
        await super().save_snapshot(room_id, seq, blob)
        self.sizes.append(len(blob))
        self.saved.set()


async def main(people: int, events: int, runs: int) -> None:
    backend = Saves(clock=wall)
    await backend.start()
    node = Node(backend, clock=wall)
    await node.start()
    created = await node.submit(ROOM, "room.create", args={"title": "t", "invite_code": "c"})
    assert created.result is not None
    ids = []
    for i in range(people):
        joined = await node.submit(
            ROOM, "participant.join", args={"invite": "c", "name": f"p{i}", "role": "participant"}
        )
        assert joined.result is not None
        ids.append(joined.result["participant_id"])
    host = await node.host(ROOM)
    assert host is not None
    i = 0
    while len(host.recent) < events:  # presence flips: one event each
        pid = ids[i % people]
        await node.submit(
            ROOM,
            "presence",
            args={"participant_id": pid, "node": "n", "online": (i // people) % 2 == 0},
        )
        i += 1
    stalls = []
    probe = Probe()
    for _ in range(runs):
        # Up to one entry short of the next snapshot, then the one that takes it.
        while (host.applied_seq + 1) % SNAPSHOT_EVERY:
            await node.submit(ROOM, "tick")
        backend.saved.clear()
        await asyncio.sleep(0.01)
        probe.start()
        await asyncio.sleep(0.005)  # the probe is running
        await node.submit(ROOM, "tick")
        await asyncio.wait_for(backend.saved.wait(), 30)
        stalls.append(await probe.stop())
    print(
        f"room of {len(host.state.participants)} people, {len(host.recent)} events kept, "
        f"snapshot {backend.sizes[-1] / 1e6:.1f} MB"
    )
    print(
        "max loop stall during a snapshot, ms: "
        + ", ".join(f"{s:.1f}" for s in stalls)
        + f"  (median {statistics.median(stalls):.1f}, max {max(stalls):.1f})"
    )
    await node.stop()
    await backend.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--events", type=int, default=12000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    asyncio.run(main(options.people, options.events, options.runs))

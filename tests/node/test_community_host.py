"""A community on a node (server/host/communities.py): read your writes across two nodes on
one store, loading from a snapshot plus the tail gives the replayed state and digest,
and a snapshot naming anything but the community's records is refused."""

from __future__ import annotations

import os
import pickle

from yishi.backends.memory import MemoryBackend, MemoryStore
from yishi.core.community.reducer import replay
from yishi.host.communities import Communities, Community, dump, load, log_id
from yishi.minutes.digest import log_digest


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600_000

    def __call__(self) -> int:
        self.now += 1000
        return self.now


async def populate(community: Community, topics: int) -> None:
    await community.submit("community.create", actor=None, args={"name": "幸福里"})
    for n in range(topics):
        outcome = await community.submit(
            "topic.submit",
            actor=None,
            args={"title": f"议题{n}", "description": "说明", "device": f"d{n}"},
        )
        assert outcome.error is None
        await community.submit(
            "topic.cosign",
            actor=None,
            args={"topic_id": outcome.result["topic_id"] if outcome.result else "", "device": "x"},
        )


async def test_a_write_on_one_node_is_read_on_the_next() -> None:
    store, clock = MemoryStore(), Clock()
    a, b = MemoryBackend(clock=clock, store=store), MemoryBackend(clock=clock, store=store)
    await a.start()
    await b.start()
    try:
        first = Community(a, "c1")
        await populate(first, 2)
        node_b = Communities(b)
        on_b = await node_b.get("c1")
        assert on_b is not None and len(on_b.state.topics) == 2
        await first.submit(
            "topic.transition", actor="s1", args={"topic_id": "t1", "to": "accepted"}
        )
        again = await node_b.get("c1")  # the next read on b catches up first
        assert again is on_b and on_b.state.topics["t1"].state == "accepted"
        assert await node_b.get("nosuch") is None
    finally:
        await a.close()
        await b.close()


async def test_snapshot_plus_tail_equals_replay() -> None:
    backend = MemoryBackend(clock=Clock())
    await backend.start()
    try:
        writer = Community(backend, "c1", snapshot_every=7)
        await populate(writer, 10)  # 21 entries: snapshots at 7, 14, 21
        await writer.submit(
            "topic.transition",
            actor="s1",
            args={"topic_id": "t2", "to": "declined", "reason": "不受理"},
        )
        stored = await backend.load_snapshot(log_id("c1"))
        assert stored is not None and stored[0] == 21  # one entry of tail after it
        loaded = await Communities(backend).get("c1")
        entries = await backend.read(log_id("c1"))
        assert loaded is not None and loaded.snapshot_seq == 21
        assert loaded.state == replay("c1", entries) == writer.state
        assert loaded.digest["digest"] == log_digest(entries) == writer.digest["digest"]
    finally:
        await backend.close()


class Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("true",))


async def test_a_snapshot_naming_anything_else_is_refused_and_the_log_replayed() -> None:
    backend = MemoryBackend(clock=Clock())
    await backend.start()
    try:
        await populate(Community(backend, "c1"), 2)
        await backend.save_snapshot(log_id("c1"), 3, pickle.dumps((1, Evil(), b"")))
        loaded = await Communities(backend).get("c1")
        assert loaded is not None and loaded.snapshot_seq == 0
        assert len(loaded.state.topics) == 2
        state, chain = load(dump(loaded.state, loaded.chain))
        assert state == loaded.state and chain == loaded.chain
    finally:
        await backend.close()

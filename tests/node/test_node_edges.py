"""The node in-process: timers against a lagging log clock, loading while entries
arrive, and the edge's refusals (the review's findings, kept fixed)."""

from __future__ import annotations

import asyncio
import time

from yishi.backends.memory import MemoryBackend, MemoryStore
from yishi.core.types import Role
from yishi.core.views import Viewer
from yishi.host.node import Node

LAG_MS = 300


def wall() -> int:
    return time.time_ns() // 1_000_000


async def wait_until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)  # the node's state has no event to wait on here

    await asyncio.wait_for(poll(), timeout)


async def make_room(node: Node, room_id: str, *, turn_seconds: int) -> str:
    created = await node.submit(
        room_id,
        "room.create",
        args={"title": "t", "invite_code": "c", "settings": {"turn_seconds": turn_seconds}},
    )
    mod = created.result["participant_id"]  # type: ignore[index]
    joined = await node.submit(
        room_id, "participant.join", args={"invite": "c", "name": "a", "role": "participant"}
    )
    assert joined.ok
    await node.submit(room_id, "session.start", actor=mod)
    return str(mod)


async def test_a_log_clock_behind_the_node_does_not_cause_a_tick_storm() -> None:
    backend = MemoryBackend(clock=lambda: wall() - LAG_MS)
    await backend.start()
    node = Node(backend, clock=wall)
    await node.start()
    try:
        mod = await make_room(node, "r1", turn_seconds=1)
        host = await node.host("r1")
        assert host is not None
        resident = next(
            p.participant_id for p in host.state.participants.values() if p.role is Role.PARTICIPANT
        )
        host.presence.connected(resident)  # online, so only the limit can end the turn
        granted = await node.submit(
            "r1", "turn.grant", actor=mod, args={"participant_id": resident}
        )
        assert granted.ok
        await wait_until(lambda: host.state.turn is None)
        ended = [e for e in host.recent if e.type == "turn.ended"]
        assert ended[-1].data["reason"] == "expired" and ended[-1].data["duration_ms"] == 1000
        ticks = [e for e in await backend.read("r1") if e.kind == "tick"]
        assert 1 <= len(ticks) <= 5, len(ticks)
    finally:
        await node.stop()
        await backend.close()


class SlowSnapshots(MemoryBackend):
    """A real memory backend whose snapshot read waits until the test lets it go."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.release = asyncio.Event()
        self.asked = asyncio.Event()

    async def load_snapshot(self, room_id: str):  # type: ignore[no-untyped-def]
        self.asked.set()
        await self.release.wait()
        return await super().load_snapshot(room_id)


async def test_a_room_loaded_while_entries_arrive_keeps_one_ordered_event_stream() -> None:
    store = MemoryStore()
    first = MemoryBackend(clock=wall, store=store)
    await first.start()
    writer = Node(first, clock=wall)
    await writer.start()
    second = SlowSnapshots(clock=wall, store=store)
    await second.start()
    reader = Node(second, clock=wall)
    await reader.start()
    try:
        mod = await make_room(writer, "r2", turn_seconds=60)
        for i in range(1500):  # past a snapshot (every 1000 entries)
            await writer.submit("r2", "chat.send", actor=mod, args={"text": f"m{i}"})
        # The reader must load from that snapshot: wait until it is stored, however the
        # node stores it (a task, a thread) and however long that takes.
        await wait_until(lambda: "r2" in store.snapshots)
        loading = asyncio.ensure_future(reader.host("r2"))
        await asyncio.wait_for(second.asked.wait(), 5)
        for i in range(20):  # arrive while the second node loads
            await writer.submit("r2", "chat.send", actor=mod, args={"text": f"late{i}"})
        second.release.set()
        host = await loading
        assert host is not None
        await wait_until(lambda: host.applied_seq == writer.hosts["r2"].applied_seq)
        seqs = [e.seq for e in host.recent]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        replay = host.events_since(seqs[-1] - 10, Viewer(mod, Role.MODERATOR))
        assert replay is not None and [e.seq for e in replay] == seqs[-10:]
    finally:
        await reader.stop()
        await writer.stop()
        await second.close()
        await first.close()

"""Entries applied as no-ops because their handler failed (``room.fault`` events) are
counted on /metrics as ``yishi_room_faults_total``.

No skip: if the core stops recording the fault, or the node stops counting it, this
fails."""

from __future__ import annotations

import time

from yishi.backends.memory import MemoryBackend
from yishi.host.metrics import Metrics
from yishi.host.node import Node

POISON = {"invite": "c", "name": "a", "role": "wizard"}  # a role the core does not know


def wall() -> int:
    return time.time_ns() // 1_000_000


async def test_faults_are_counted() -> None:
    backend = MemoryBackend(clock=wall)
    await backend.start()
    node = Node(backend, clock=wall)
    await node.start()
    metrics = Metrics()
    metrics.watch(node)
    try:
        await node.submit("r", "room.create", args={"title": "t", "invite_code": "c"})
        outcome = await node.submit("r", "participant.join", args=POISON)
        assert [e.type for e in outcome.events].count("room.fault") == 1
        assert node.faults == 1
        assert b"yishi_room_faults_total 1.0" in metrics.render()
    finally:
        await node.stop()
        await backend.close()

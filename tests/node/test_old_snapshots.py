"""A snapshot written before ``RoomState.extra`` was removed (its fields, one more than
today's, in the constructor call the snapshot form uses) cannot be read any more:
the node says so in its log and replays the room from its log, to the same room."""

from __future__ import annotations

import dataclasses
import io
import logging
import pickle
import time
from typing import Any

import pytest
from yishi.backends.memory import MemoryBackend, MemoryStore
from yishi.core.state import RoomState
from yishi.core.views import Viewer, snapshot
from yishi.host import snapshots
from yishi.host.node import Node


def wall() -> int:
    return time.time_ns() // 1_000_000


def old_layout(state: RoomState) -> tuple[type, tuple[Any, ...]]:
    """``RoomState`` as snapshots stored it while it had ``extra`` (before the indexes)."""
    fields = [getattr(state, f.name) for f in dataclasses.fields(RoomState)]
    at = [f.name for f in dataclasses.fields(RoomState)].index("announced_ids")
    return RoomState, (*fields[:at], {}, *fields[at:])


def old_snapshot(state: RoomState, events: list[Any]) -> bytes:
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**snapshots._REDUCERS, RoomState: old_layout}
    pickler.dump((snapshots.RULES_VERSION, state, events))
    return out.getvalue()


async def test_an_old_snapshot_is_skipped_and_the_room_replays_from_its_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    first = MemoryBackend(clock=wall, store=store)
    await first.start()
    node = Node(first, clock=wall)
    await node.start()
    await node.submit("r1", "room.create", args={"title": "t", "invite_code": "c"})
    for name in ("甲", "乙"):
        joined = await node.submit(
            "r1", "participant.join", args={"invite": "c", "name": name, "role": "participant"}
        )
        assert joined.ok
    host = await node.host("r1")
    assert host is not None
    blob = old_snapshot(host.state, list(host.recent))
    with pytest.raises(TypeError):
        snapshots.load(blob)
    await first.save_snapshot("r1", host.state.entry_seq, blob)
    views = {
        pid: snapshot(host.state, Viewer(pid, p.role)) for pid, p in host.state.participants.items()
    }
    await node.stop()

    caplog.set_level(logging.WARNING, logger="yishi.host.node")
    second = MemoryBackend(clock=wall, store=store)
    await second.start()
    again = Node(second, clock=wall)
    await again.start()
    try:
        back = await again.host("r1")
        assert back is not None
        assert {
            pid: snapshot(back.state, Viewer(pid, p.role))
            for pid, p in back.state.participants.items()
        } == views
        assert any("unreadable snapshot of room r1" in r.getMessage() for r in caplog.records)
    finally:
        await again.stop()

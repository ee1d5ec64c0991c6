"""Rooms leave memory: a real server (in process, so the idle time can be short) unloads
a room nobody uses, says so on /metrics, and brings it back from its snapshot and the
log when someone comes back, with exactly the events they missed. A room whose turn
is running stays loaded, so the turn still ends on time with nobody connected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from inprocess import room_on, uvicorn_serving
from roomclient import Api, has
from roomharness import ADMIN, SECRET, Room, free_port
from yishi.app import create_app
from yishi.config import Config

IDLE_S = 0.3
WAIT_S = 20.0


@pytest.fixture
async def idle_room(tmp_path: Path) -> AsyncIterator[Room]:
    port = free_port()
    config = Config(
        host="127.0.0.1",
        port=port,
        data_dir=tmp_path,
        admin_token=ADMIN,
        secret=SECRET,
        room_idle_s=IDLE_S,
    )
    async with (
        uvicorn_serving(create_app(config), port, ws="websockets-sansio"),
        room_on(port, settings={"turn_seconds": 1}) as (_, room),
    ):
        yield room


async def metrics(api: Api) -> dict[str, float]:
    text = (await api.http.get("/metrics")).text
    return {
        name: float(value)
        for name, _, value in (
            line.partition(" ") for line in text.splitlines() if line.startswith("yishi_")
        )
    }


async def until_unloaded(api: Api, evictions: float) -> dict[str, float]:
    """Wait (polling /metrics: an outside observer has no event to wait on) until the
    server has unloaded a room more than ``evictions`` times and hosts none."""
    async with asyncio.timeout(WAIT_S):
        while True:
            seen = await metrics(api)
            if seen["yishi_room_evictions_total"] > evictions and seen["yishi_rooms_hosted"] == 0:
                return seen
            await asyncio.sleep(0.05)


async def test_an_idle_room_leaves_memory_and_comes_back_with_what_was_missed(
    idle_room: Room,
) -> None:
    room, api = idle_room, idle_room.api
    mod = await room.moderator()
    other = await room.connect((await room.staff("moderator", "副主持")).token, label="other")
    await mod.ok("session.start")
    await mod.ok("chat.send", text="开始")
    since = mod.events[-1]["seq"]
    await mod.close()
    texts = ["请大家发言", "下面讨论费用", "一楼住户先说", "再听听反对意见", "今天到此为止"]
    for text in texts:
        await other.ok("chat.send", text=text)
    await other.wait_event("chat.posted", has(text=texts[-1]))
    await other.close()

    before = await until_unloaded(api, 0)
    assert before["yishi_room_loads_total"] >= 1

    back = await room.open(label="back")
    reply = await back.hello(room.mod_token, since)
    assert reply.ok and reply.result["replayed"] is True
    seqs = [e["seq"] for e in back.events]
    last = reply.result["seq"]
    assert seqs == list(range(since + 1, last + 1))  # every event missed, once, in order
    posted = [e["data"]["text"] for e in back.events if e["type"] == "chat.posted"]
    assert posted == texts
    after = await metrics(api)
    assert after["yishi_rooms_hosted"] == 1
    assert after["yishi_room_loads_total"] == before["yishi_room_loads_total"] + 1

    # A snapshot from the reloaded room agrees with what was said.
    state = await room.snapshot()
    assert [m["text"] for m in state["chat"]][-5:] == texts
    await back.close()
    unloaded = await until_unloaded(api, after["yishi_room_evictions_total"])
    # An HTTP read loads it too. Count loads, not hosted rooms: with nobody connected
    # the room may leave again 0.3 s later, before a slow machine reads /metrics.
    response = await api.summary(room.room_id)
    assert response.status_code == 200
    loads = (await metrics(api))["yishi_room_loads_total"]
    assert loads == unloaded["yishi_room_loads_total"] + 1


async def test_a_running_turn_keeps_the_room_loaded_until_it_ends(idle_room: Room) -> None:
    room, api = idle_room, idle_room.api
    mod = await room.moderator()
    _, resident = await room.resident("甲")
    await mod.ok("session.start")
    await resident.ok("hand.raise", stance="support")
    turn = (await mod.ok("turn.next"))["turn_id"]
    since = mod.events[-1]["seq"]
    await mod.close()
    await resident.close()

    await until_unloaded(api, 0)
    back = await room.open(label="back")
    reply = await back.hello(room.mod_token, since)
    assert reply.ok and reply.result["replayed"] is True
    ended = [e for e in back.events if e["type"] == "turn.ended"]
    # Nobody was connected when the turn ran out: the room's own timer ended it.
    assert [e["data"]["turn_id"] for e in ended] == [turn]
    assert ended[0]["data"]["reason"] == "expired" and ended[0]["data"]["duration_ms"] == 1000

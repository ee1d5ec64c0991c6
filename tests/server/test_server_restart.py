"""Restart on the same data folder: SIGTERM mid-session, SIGKILL right after an
acknowledged command, and a turn whose deadline passed while the server was down."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator

import pytest
from roomclient import Api, has, start_turn
from roomharness import ADMIN, Room, ServerProcess, make_room

KEPT = (
    "room",
    "queue",
    "turn",
    "balance",
    "polls",
    "chat",
    "pins",
    "decisions",
    "actions",
    "notes",
)


@pytest.fixture
async def droom(own_server: ServerProcess) -> AsyncIterator[Room]:
    """A room on a server of this test's own, which the test may stop and start."""
    api = Api(own_server.base_url, ADMIN)
    room = await make_room(own_server, api)
    yield room
    await room.close_all()
    await api.aclose()
    problems = [p for c in room.clients for p in c.order_problems()]
    assert not problems, problems


def kept(state: dict) -> dict:  # type: ignore[type-arg]
    return {k: state[k] for k in KEPT}


async def test_sigterm_mid_session_keeps_the_room(droom: Room) -> None:
    room, server = droom, droom.server
    mod = await room.moderator()
    clerk = await room.connect((await room.staff("clerk", "记录员")).token)
    a, ra = await room.resident("甲")
    b, rb = await room.resident("乙", "msgpack")
    c, rc = await room.resident("丙")
    await mod.ok("session.start")
    await ra.ok("hand.raise", stance="support")
    await rb.ok("hand.raise", stance="oppose")
    await rc.ok("hand.raise", stance="neutral", note="我中立")
    turn = await start_turn(mod, a.participant_id)
    await ra.ok("statement.post", text="重启前的发言")
    poll_id = (await mod.ok("poll.open", question="同意吗", options=["是", "否"], kind="single"))[
        "poll_id"
    ]
    await rb.ok("poll.vote", poll_id=poll_id, choices=[1])
    msg = await rc.ok("chat.send", text="重启前的聊天")
    await mod.ok("chat.pin", message_id=msg["message_id"])
    await mod.ok("decision.record", text="重启前的决定")
    await mod.ok("action.add", title="重启前的事项", owner="物业", due="2026-05-01")
    await clerk.ok("minutes.note", text="重启前的记录")
    last = mod.events[-1]["seq"]
    before = await room.snapshot()
    assert before["turn"]["turn_id"] == turn["turn_id"]

    await asyncio.to_thread(server.stop, signal.SIGTERM)
    for client in (mod, clerk, ra, rb, rc):
        assert await client.wait_closed() == 1012, client.label  # server restarting
    await asyncio.to_thread(server.start)

    after = await room.snapshot()
    assert kept(after) == kept(before)
    ballots = (await room.snapshot(b.token))["you"]["ballots"]
    assert ballots == {poll_id: [1]}

    # The room goes on where it stopped, with fresh sequence numbers.
    mod2 = await room.moderator("msgpack")
    ra2 = await room.connect(a.token)
    rb2 = await room.connect(b.token)
    await rb2.fail("poll.vote", "conflict", poll_id=poll_id, choices=[0])
    await rb2.fail("statement.post", "conflict", text="轮到我了吗")
    posted = await ra2.ok("statement.post", text="重启后接着说")
    ev = await mod2.wait_event("statement.posted", has(statement_id=posted["statement_id"]))
    assert ev["seq"] > last
    await ra2.ok("turn.yield")
    ended = await mod2.wait_event("turn.ended", has(turn_id=turn["turn_id"]))
    assert ended["data"]["reason"] == "yielded"
    # oppose and neutral wait with zero time: oppose goes first.
    await start_turn(mod2, b.participant_id)

    # Resume across the restart: the log is the record.
    rc2 = await room.open()
    reply = await rc2.hello(c.token, since=last)
    assert reply.result["replayed"] is True
    await rc2.wait_event("statement.posted", has(statement_id=posted["statement_id"]))


async def test_sigkill_after_acknowledged_commands_loses_nothing(droom: Room) -> None:
    room, server = droom, droom.server
    mod = await room.moderator()
    a, ra = await room.resident("甲", "msgpack")
    await mod.ok("session.start")
    poll_id = (await mod.ok("poll.open", question="同意吗", options=["是", "否"], kind="single"))[
        "poll_id"
    ]
    msg = await ra.ok("chat.send", text="杀进程前的最后一句")
    await ra.ok("poll.vote", poll_id=poll_id, choices=[0])
    assert await ra.ok("hand.raise", stance="oppose") == {"position": 1}
    server.stop(signal.SIGKILL)  # right after the last acknowledgement
    assert await ra.wait_closed() is not None
    await asyncio.to_thread(server.start)

    snap = await room.snapshot()
    assert [m["message_id"] for m in snap["chat"]] == [msg["message_id"]]
    assert [e["participant_id"] for e in snap["queue"]["oppose"]] == [a.participant_id]
    assert snap["polls"][0]["voters"] == 1
    own = await room.snapshot(a.token)
    assert own["you"]["ballots"] == {poll_id: [0]}
    assert own["you"]["queue_entry"]["stance"] == "oppose"


async def test_turn_whose_deadline_passed_while_down_expires_exactly(droom: Room) -> None:
    room, server = droom, droom.server
    mod = await room.moderator()
    a, ra = await room.resident("甲")
    await mod.ok("settings.update", turn_seconds=1)
    await mod.ok("session.start")
    await ra.ok("hand.raise", stance="support")
    turn = await start_turn(mod, a.participant_id)
    since = mod.events[-1]["seq"]
    server.stop(signal.SIGKILL)
    # The deadline must pass while the server is down: that is the case under test.
    await asyncio.sleep(max(0.0, turn["ends_at"] / 1000 - time.time()) + 0.3)
    await asyncio.to_thread(server.start)

    back = await room.open()
    reply = await back.hello(room.mod_token, since=since)
    assert reply.ok and reply.result["replayed"] is True
    ev = await back.wait_event("turn.ended", has(turn_id=turn["turn_id"]))
    assert ev["data"]["reason"] == "expired"
    assert ev["data"]["duration_ms"] == turn["ends_at"] - turn["started_at"] == 1000
    assert ev["data"]["balance"]["support"] == {"turns": 1, "ms": 1000}
    snap = await room.snapshot()
    assert snap["turn"] is None
    assert snap["balance"]["support"] == {"turns": 1, "ms": 1000}

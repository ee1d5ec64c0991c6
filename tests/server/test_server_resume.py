"""Resume with `since`: exactly the missed visible events, no gap, no duplicate; and
the server-side turn timer with nobody connected."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from roomclient import DEFAULT_TIMEOUT, Client, Closed, has, start_turn, yield_turn
from roomharness import Room
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


async def test_resume_replays_exactly_the_missed_visible_events(room: Room) -> None:
    mod = await room.moderator()
    a, ra = await room.resident("断线者")
    _, witness = await room.resident("旁观者", "msgpack")  # same visibility as 断线者
    c, rc = await room.resident("发言者")
    await mod.ok("session.start")
    sent = await ra.ok("chat.send", text="我先断一下线")
    await ra.wait_event("chat.posted", has(message_id=sent["message_id"]))
    since = ra.events[-1]["seq"]
    mod_since = mod.events[-1]["seq"]
    await ra.close()

    # The room moves on: public events and a moderator-only tally.
    await rc.ok("hand.raise", stance="support")
    turn = await start_turn(mod, c.participant_id)
    await rc.ok("statement.post", text="趁他不在我先说")
    await yield_turn(mod, rc, turn)
    hidden = (await mod.ok("poll.open", question="不公开", options=["是", "否"], kind="single"))[
        "poll_id"
    ]
    await rc.ok("poll.vote", poll_id=hidden, choices=[0])
    await mod.wait_event("poll.tally", has(poll_id=hidden))
    note = await mod.ok("chat.send", text="通知：继续议程")
    last = (await mod.wait_event("chat.posted", has(message_id=note["message_id"])))["seq"]
    await witness.wait_seq(last)
    await mod.close()

    back = await room.open("json", label="断线者 again")
    reply = await back.hello(a.token, since=since)
    assert reply.ok, reply.raw
    assert reply.result["replayed"] is True and reply.result["state"] is None
    assert reply.result["seq"] >= last
    await back.wait_seq(last)
    assert back.frames[0] == ("reply", reply.id)  # the reply first, then the replay
    replayed = [(e["seq"], e["type"]) for e in back.events if e["seq"] <= last]
    expected = [(e["seq"], e["type"]) for e in witness.events if since < e["seq"] <= last]
    assert replayed == expected
    assert ("statement.posted" in {t for _, t in replayed}) and replayed[0][0] > since
    assert back.find("poll.tally") == []  # moderators only
    replayed_data = [e["data"] for e in back.events if e["seq"] <= last]
    assert replayed_data == [e["data"] for e in witness.events if since < e["seq"] <= last]

    # Live events continue after the replay, without a duplicate (checked at teardown).
    more = await rc.ok("chat.send", text="欢迎回来")
    ev = await back.wait_event("chat.posted", has(message_id=more["message_id"]))
    assert ev["seq"] > last

    # A moderator's replay holds the moderator-only tally.
    mod2 = await room.open("msgpack", label="mod again")
    reply = await mod2.hello(room.mod_token, since=mod_since)
    assert reply.result["replayed"] is True
    await mod2.wait_event("poll.tally", has(poll_id=hidden))
    await mod2.wait_seq(last)


async def test_since_at_latest_and_beyond(room: Room) -> None:
    mod = await room.moderator()
    await mod.ok("session.start")
    await mod.ok("chat.send", text="最新一条")
    latest = (await mod.wait_event("chat.posted"))["seq"]
    await mod.close()

    same = await room.open()
    reply = await same.hello(room.mod_token, since=latest)
    assert reply.ok and reply.result["replayed"] is True and reply.result["state"] is None
    await same.ok("ping")
    assert [e for e in same.events if e["seq"] <= latest] == []

    ahead = await room.open("msgpack")
    reply = await ahead.hello(room.mod_token, since=latest + 1000)
    assert reply.ok and reply.result["replayed"] is False
    state = reply.result["state"]
    assert isinstance(state, dict) and state["room"]["room_id"] == room.room_id
    assert reply.result["seq"] >= latest
    assert [m["text"] for m in state["chat"]] == ["最新一条"]


async def test_turn_timer_ends_the_turn_with_nobody_connected(room: Room) -> None:
    mod = await room.moderator()
    p, res = await room.resident("甲")
    await mod.ok("settings.update", turn_seconds=1)
    await mod.ok("session.start")
    await res.ok("hand.raise", stance="support")
    turn = await start_turn(mod, p.participant_id)
    since = mod.events[-1]["seq"]
    await res.close()
    await mod.close()

    # Nobody is connected while the deadline passes. With no socket there is no event
    # to wait on, so read the minutes (a read never moves the room's clock) until the
    # turn has a reason: however slow the machine, only the server's timer can end it.
    async def ended_in_minutes() -> bool:
        minutes = (await room.api.minutes(room.room_id, room.mod_token)).json()
        turns = [t for item in minutes["agenda"] for t in item["turns"]]
        return any(t["turn_id"] == turn["turn_id"] and t["reason"] for t in turns)

    async with asyncio.timeout(60):
        while not await ended_in_minutes():
            await asyncio.sleep(0.1)
    reconnect_ms = time.time() * 1000
    back = await room.open()
    reply = await back.hello(room.mod_token, since=since)
    assert reply.result["replayed"] is True
    ev = await back.wait_event("turn.ended", has(turn_id=turn["turn_id"]))
    assert ev["data"]["reason"] == "expired"
    assert ev["data"]["duration_ms"] == turn["ends_at"] - turn["started_at"] == 1000
    # Ended by the server's own timer at the deadline, not on our reconnect.
    assert turn["ends_at"] <= ev["at"] <= reconnect_ms
    assert ev["data"]["balance"]["support"] == {"turns": 1, "ms": 1000}


async def _metric(room: Room, name: str) -> float:
    for line in (await room.api.http.get("/metrics")).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def _stalled_client(room: Room, token: str) -> ClientConnection:
    """A resident that stops reading after its welcome: a tiny receive buffer, and the
    library reads ahead at most one frame."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", room.server.port))
    ws = await connect(
        f"{room.server.ws_base}/ws/{room.room_id}",
        sock=sock,
        subprotocols=["yishi.v1.json"],  # type: ignore[list-item]
        compression=None,
        max_queue=1,
        proxy=None,
    )
    await ws.send(json.dumps({"id": 1, "cmd": "hello", "args": {"token": token}}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), DEFAULT_TIMEOUT))
    assert welcome["re"] == 1 and welcome["ok"] is True
    return ws


async def _chat_until_a_socket_is_given_up(room: Room, mod: Client) -> None:
    """Staff chat (not rate limited) in ~1.5 KB events until the server gives up on a
    socket: more than its bound plus the kernel's buffers. /metrics counts the decision."""
    before = await _metric(room, "yishi_slow_clients_closed_total")
    for _ in range(100):  # 15 MB at most: far beyond any bound
        ids = [await mod.send("chat.send", {"text": "长" * 500}) for _ in range(100)]
        assert (await mod.reply(ids[-1], timeout=60)).ok
        if await _metric(room, "yishi_slow_clients_closed_total") > before:
            return
    raise AssertionError("the server never gave up on a socket that does not read")


async def test_client_that_cannot_keep_up_is_closed_4008_and_resumes(room: Room) -> None:
    mod = await room.moderator()
    person = await room.join("慢速网络")
    await mod.ok("session.start")
    ws = await _stalled_client(room, person.token)
    try:
        await mod.wait_participant(person.participant_id, lambda p: p["online"] is True)
        await _chat_until_a_socket_is_given_up(room, mod)
        # It reads again (well within the grace the server gives a close frame): what
        # was sent before the server gave up, then the close.
        seen: list[int] = []
        try:
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if "seq" in message:
                    seen.append(message["seq"])
        except ConnectionClosed:
            pass
        assert ws.close_code == 4008
    finally:
        await ws.close()
    assert seen == sorted(set(seen))

    # It resumes with `since` and gets exactly what it missed: a few thousand events,
    # well inside the 10,000 the contract keeps ready for replay.
    last = mod.events[-1]["seq"]
    back = await room.open()
    missed = last - seen[-1]
    try:
        reply = await back.hello(person.token, since=seen[-1], timeout=30)
        assert reply.result["replayed"] is True
        await back.wait_seq(last, timeout=30)
    except Closed as exc:
        raise AssertionError(f"resuming {missed} missed events failed: {exc}") from exc
    posted = {e["seq"] for e in mod.events if e["type"] == "chat.posted"}
    got = set(seen) | {e["seq"] for e in back.events}
    assert posted <= got
    assert min(e["seq"] for e in back.events) > seen[-1]


async def test_client_that_reads_nothing_at_all_is_cut_off(room: Room) -> None:
    """Not even its close frame: the server cuts the connection after a grace, so a
    stalled phone holds neither memory nor a socket."""
    mod = await room.moderator()
    person = await room.join("掉线手机")
    await mod.ok("session.start")
    sockets = await _metric(room, "yishi_sockets")
    ws = await _stalled_client(room, person.token)
    try:
        await mod.wait_participant(person.participant_id, lambda p: p["online"] is True)
        await _chat_until_a_socket_is_given_up(room, mod)
        # The grace is 10 s; the deadline leaves room for a loaded machine.
        deadline = time.monotonic() + 60
        while await _metric(room, "yishi_sockets") > sockets:
            assert time.monotonic() < deadline, "the stalled socket is still open"
            await asyncio.sleep(0.2)
        # What reached the client's buffers is still readable; then the connection ends
        # without a close frame (it was reset).
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code is None or ws.close_code == 1006
    finally:
        await ws.close()
    await mod.wait_participant(person.participant_id, lambda p: p["online"] is False)


async def test_resume_after_missing_thousands_of_events(room: Room) -> None:
    """The contract keeps at least the last 10,000 events ready for replay: a client
    that reads normally and missed 2,500 gets them all, the reply first."""
    mod = await room.moderator()
    person, res = await room.resident("出门买菜")
    await mod.ok("session.start")
    since = (await res.wait_event("session.started"))["seq"]
    await res.close()
    ids = [await mod.send("chat.send", {"text": f"通知{i}"}) for i in range(2500)]
    assert (await mod.reply(ids[-1], timeout=120)).ok
    last = mod.events[-1]["seq"]
    back = await room.open("msgpack")
    try:
        reply = await back.hello(person.token, since=since, timeout=30)
        assert reply.ok and reply.result["replayed"] is True
        await back.wait_seq(last, timeout=30)
    except Closed as exc:
        raise AssertionError(f"resuming {last - since} missed events failed: {exc}") from exc
    assert back.frames[0] == ("reply", reply.id)
    chat = [e["data"]["text"] for e in back.events if e["type"] == "chat.posted"]
    assert chat == [f"通知{i}" for i in range(2500)]

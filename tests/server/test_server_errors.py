"""Every row of the contract's error tables over the WebSocket: the code, the close
code where there is one, and that nothing changed afterwards."""

from __future__ import annotations

import asyncio
import json

import msgpack
from roomclient import DEFAULT_TIMEOUT, Client, has, start_turn
from roomharness import Room, comparable, make_room

# -- frames ----------------------------------------------------------------------------


async def bad_frame_reply(client: Client, frame: str | bytes) -> None:
    before = len(client.orphans)
    await client.send_raw(frame)
    await client._wait_for(lambda: len(client.orphans) > before, DEFAULT_TIMEOUT, "bad_frame reply")
    reply = client.orphans[-1]
    assert reply.get("ok") is False and reply["error"]["code"] == "bad_frame", reply


async def test_undecodable_frame_gets_bad_frame_and_the_connection_stays(room: Room) -> None:
    mod = await room.moderator()
    before = await room.snapshot()
    for frame in ("{not json", "\u8bae\u4e8b", '{"id": 3, "cmd": "ping"'):
        await bad_frame_reply(mod, frame)
    assert (await mod.ok("ping"))["server_time"] > 0
    packed = await room.moderator("msgpack", label="mod-msgpack")
    await bad_frame_reply(packed, b"\xc1\xc1\xc1")  # 0xc1 is never valid MessagePack
    await bad_frame_reply(packed, msgpack.packb({"id": 1, "cmd": "ping"})[:-2])
    assert (await packed.ok("ping"))["server_time"] > 0
    assert comparable(await room.snapshot()) == comparable(before)


async def test_twenty_bad_frames_in_a_row_close_1008(room: Room) -> None:
    mod = await room.moderator()
    for _ in range(19):
        await bad_frame_reply(mod, "garbage")
    await mod.ok("ping")  # a good frame breaks the run
    for _ in range(19):
        await bad_frame_reply(mod, "garbage")
    assert not mod.closed
    await mod.send_raw("garbage")
    assert await mod.wait_closed() == 1008


async def test_frame_over_64_kib_closes_1009(room: Room) -> None:
    mod = await room.moderator()
    # Just under the limit: an ordinary too_large chat error, the socket stays.
    text = "x" * (60 * 1024)
    reply = await mod.call("chat.send", text=text)
    assert reply.code == "too_large", reply.raw
    await mod.send_raw(json.dumps({"id": 99, "cmd": "chat.send", "args": {"text": "y" * 70_000}}))
    assert await mod.wait_closed() == 1009
    snap = await room.snapshot()
    assert snap["chat"] == []


# -- hello ------------------------------------------------------------------------------


async def test_forged_token_closes_4001(room: Room) -> None:
    person = await room.join("甲")
    forged = person.token[:-4] + ("AAAA" if not person.token.endswith("AAAA") else "BBBB")
    for token in (forged, "not-a-token", room.mod_token + "x"):
        client = await room.open()
        await client.send("hello", {"token": token})
        assert await client.wait_closed() == 4001, token


async def test_token_of_another_room_closes_4001(room: Room) -> None:
    other = await make_room(room.server, room.api, title="另一个房间")
    person = await other.join("乙")
    for token in (person.token, other.mod_token):
        client = await room.open()
        await client.send("hello", {"token": token})
        assert await client.wait_closed() == 4001


async def test_first_frame_not_hello_closes_4001(room: Room) -> None:
    client = await room.open()
    await client.send("ping")
    assert await client.wait_closed() == 4001
    packed = await room.open("msgpack")
    await packed.send("hand.raise", {"stance": "support"})
    assert await packed.wait_closed() == 4001


async def test_no_hello_within_5_seconds_closes_4001(room: Room) -> None:
    client = await room.open()
    loop = asyncio.get_running_loop()
    opened = loop.time()
    assert await client.wait_closed(timeout=5 + DEFAULT_TIMEOUT) == 4001
    assert loop.time() - opened > 4.0  # not before the 5 s are up (some slack for scheduling)


async def test_unknown_room_closes_4004(room: Room) -> None:
    client = await room.open(room_id="no-such-room-0000")
    # The token is a real one, for another room: the room check is the one that fails.
    await client.send("hello", {"token": room.mod_token})
    assert await client.wait_closed() == 4004


# -- commands ---------------------------------------------------------------------------


async def test_unknown_command_and_wrong_arg_types_are_bad_command(room: Room) -> None:
    mod = await room.moderator()
    _, res = await room.resident("甲", "msgpack")
    await mod.ok("session.start")
    before = await room.snapshot()
    await res.fail("hand.wave", "bad_command")
    await res.fail("hand.raise", "bad_command", stance=5)
    await res.fail("hand.raise", "bad_command", stance="maybe")
    await res.fail("hand.raise", "bad_command")
    await res.fail("chat.send", "bad_command", text=["not", "a", "string"])
    await mod.fail("settings.update", "bad_command", turn_seconds="long")
    await mod.fail("settings.update", "bad_command", turn_seconds=0)
    await mod.fail("settings.update", "bad_command", turn_seconds=3601)
    await mod.fail("settings.update", "bad_command", policy="random")
    await mod.fail("poll.open", "bad_command", question="?", options="ab", kind="single")
    await mod.fail("poll.open", "bad_command", question="?", options=["a", "b"], kind="approval")
    await mod.fail("action.add", "bad_command", title="t", owner="o", due="next week")
    await mod.fail("turn.grant", "bad_command", participant_id=7)
    await mod.fail("session.begin", "bad_command")
    assert comparable(await room.snapshot()) == comparable(before)


async def test_wrong_role_is_forbidden(room: Room) -> None:
    mod = await room.moderator()
    resident, res = await room.resident("甲")
    _, obs = await room.resident("观察员", "msgpack", observer=True)
    clerk = await room.connect((await room.staff("clerk", "记录员")).token, label="clerk")
    office = await room.connect((await room.staff("office", "街道办")).token, label="office")
    await mod.ok("session.start")
    poll = await mod.ok("poll.open", question="同意吗", options=["是", "否"], kind="single")
    before = await room.snapshot()
    await res.fail("turn.next", "forbidden")
    await res.fail("session.end", "forbidden")
    await res.fail("poll.open", "forbidden", question="?", options=["a", "b"], kind="single")
    await res.fail("participant.remove", "forbidden", participant_id=resident.participant_id)
    await res.fail("minutes.note", "forbidden", text="我来记")
    await res.fail("settings.update", "forbidden", turn_seconds=5)
    await obs.fail("hand.raise", "forbidden", stance="support")
    await obs.fail("chat.send", "forbidden", text="你好")
    await obs.fail("poll.vote", "forbidden", poll_id=poll["poll_id"], choices=[0])
    await clerk.fail("poll.open", "forbidden", question="?", options=["a", "b"], kind="single")
    await clerk.fail("turn.next", "forbidden")
    await clerk.fail("poll.vote", "forbidden", poll_id=poll["poll_id"], choices=[0])
    await clerk.fail("hand.raise", "forbidden", stance="support")  # only on behalf of someone
    await office.fail("chat.send", "forbidden", text="通知")
    await office.fail("hand.raise", "forbidden", stance="support")
    await office.fail("minutes.note", "forbidden", text="备注")
    await office.fail("poll.vote", "forbidden", poll_id=poll["poll_id"], choices=[0])
    await mod.fail("poll.vote", "forbidden", poll_id=poll["poll_id"], choices=[0])
    assert comparable(await room.snapshot()) == comparable(before)


async def test_wrong_state_is_conflict(room: Room) -> None:
    mod = await room.moderator()
    a, res_a = await room.resident("甲")
    b, res_b = await room.resident("乙", "msgpack")
    await mod.ok("session.start")
    await mod.fail("turn.next", "conflict")  # nobody waits
    await res_a.fail("statement.post", "conflict", text="轮不到我")  # nobody holds the floor
    await res_a.fail("turn.yield", "conflict")
    await res_a.ok("hand.raise", stance="support")
    await res_b.ok("hand.raise", stance="oppose")
    turn = await start_turn(mod, a.participant_id)
    await res_b.fail("statement.post", "conflict", text="我要插话")  # not your turn
    await res_b.fail("turn.yield", "conflict")
    await mod.fail("turn.next", "conflict")  # a turn runs
    await mod.fail("turn.grant", "conflict", participant_id=b.participant_id)
    poll = await mod.ok("poll.open", question="同意吗", options=["是", "否"], kind="single")
    await res_a.ok("poll.vote", poll_id=poll["poll_id"], choices=[0])
    before = await room.snapshot()
    await res_a.fail("poll.vote", "conflict", poll_id=poll["poll_id"], choices=[1])  # double
    assert comparable(await room.snapshot()) == comparable(before)
    await mod.ok("poll.close", poll_id=poll["poll_id"])
    await mod.fail("poll.close", "conflict", poll_id=poll["poll_id"])
    before = await room.snapshot()
    await res_b.fail("poll.vote", "conflict", poll_id=poll["poll_id"], choices=[0])  # closed
    await res_a.fail("poll.vote", "conflict", poll_id=poll["poll_id"], choices=[0])
    assert comparable(await room.snapshot()) == comparable(before)
    assert before["turn"]["turn_id"] == turn["turn_id"]


async def test_unknown_ids_are_not_found(room: Room) -> None:
    mod = await room.moderator()
    _, res = await room.resident("甲")
    await mod.ok("session.start")
    before = await room.snapshot()
    await res.fail("poll.vote", "not_found", poll_id="no-such-poll", choices=[0])
    await mod.fail("poll.close", "not_found", poll_id="no-such-poll")
    await mod.fail("chat.approve", "not_found", message_id="no-such-message")
    await mod.fail("participant.mute", "not_found", participant_id="nobody", seconds=60)
    await mod.fail("action.update", "not_found", action_id="no-such-action", status="done")
    assert comparable(await room.snapshot()) == comparable(before)


async def test_text_limits_are_too_large(room: Room) -> None:
    mod = await room.moderator()
    p, res = await room.resident("甲", "msgpack")
    await mod.ok("session.start")
    before = await room.snapshot()
    await res.fail("chat.send", "too_large", text="长" * 501)
    await res.fail("hand.raise", "too_large", stance="support", note="注" * 201)
    assert comparable(await room.snapshot()) == comparable(before)
    # At the limit, counted in characters (not UTF-8 bytes), it goes through.
    result = await res.ok("chat.send", text="长" * 500)
    assert result["status"] == "visible"
    ev = await mod.wait_event("chat.posted", has(message_id=result["message_id"]))
    assert ev["data"]["text"] == "长" * 500
    await res.ok("hand.raise", stance="support", note="注" * 200)
    turn = await start_turn(mod, p.participant_id)
    await res.fail("statement.post", "too_large", text="言" * 2001)
    posted = await res.ok("statement.post", text="言" * 2000)
    ev = await mod.wait_event("statement.posted", has(statement_id=posted["statement_id"]))
    assert ev["data"]["turn_id"] == turn["turn_id"]


async def test_participant_socket_rate_limited_staff_not(room: Room) -> None:
    mod = await room.moderator()
    _, res = await room.resident("甲")
    _, obs = await room.resident("观察员", observer=True)

    async def burst(client: Client, n: int) -> list[str | None]:
        ids = [await client.send("ping") for _ in range(n)]
        replies = [await client.reply(i) for i in ids]
        return [None if r.ok else r.code for r in replies]

    codes = await burst(res, 40)
    assert "rate_limited" in codes, codes
    assert set(codes) <= {None, "rate_limited"}
    assert codes.count(None) >= 15, codes  # up to 20 a second go through
    assert "rate_limited" in await burst(obs, 40)
    assert await burst(mod, 60) == [None] * 60
    clerk = await room.connect((await room.staff("clerk", "记录员")).token)
    assert await burst(clerk, 60) == [None] * 60


async def test_removed_participant_closes_4003(room: Room) -> None:
    mod = await room.moderator()
    p, res = await room.resident("甲")
    q, waiting = await room.resident("乙", "msgpack")
    await mod.ok("session.start")
    await res.ok("hand.raise", stance="support")
    await waiting.ok("hand.raise", stance="oppose")
    turn = await start_turn(mod, p.participant_id)
    # Removing the floor holder ends the turn (reason moderator).
    start = mod.mark()
    await mod.ok("participant.remove", participant_id=p.participant_id)
    ev = await mod.wait_event("turn.ended", has(turn_id=turn["turn_id"]), start=start)
    assert ev["data"]["reason"] == "moderator"
    await mod.wait_participant(p.participant_id, lambda d: d.get("removed") is True)
    # The removed participant's live socket is closed 4003 ...
    assert await res.wait_closed() == 4003
    # ... and so is any new hello with their token.
    again = await room.open()
    await again.send("hello", {"token": p.token})
    assert await again.wait_closed() == 4003
    # Removing someone who waits takes them out of the queue.
    await mod.ok("participant.remove", participant_id=q.participant_id)
    await mod.wait_event("queue.changed", lambda d: d["oppose"] == [], start=start)
    assert await waiting.wait_closed() == 4003
    snap = await room.snapshot()
    assert snap["turn"] is None and snap["queue"]["next"] is None


async def test_revoked_tokens_close_sockets_4003(room: Room) -> None:
    mod = await room.moderator()
    p, res = await room.resident("甲")
    second = await room.connect(p.token, "msgpack", label="second tab")
    clerk = await room.staff("clerk", "记录员")
    clerk_sock = await room.connect(clerk.token)
    response = await room.api.revoke(room.room_id, room.mod_token, p.participant_id)
    assert 200 <= response.status_code < 300, response.text
    assert await res.wait_closed() == 4003
    assert await second.wait_closed() == 4003
    response = await room.api.revoke(room.room_id, room.mod_token, clerk.participant_id)
    assert 200 <= response.status_code < 300, response.text
    assert await clerk_sock.wait_closed() == 4003
    # The old token no longer opens the room.
    again = await room.open()
    await again.send("hello", {"token": p.token})
    assert await again.wait_closed() in (4001, 4003)
    assert not mod.closed

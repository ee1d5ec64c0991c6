"""Bad input from the review: each gets a clear answer and changes nothing."""

from __future__ import annotations

import httpx
from roomclient import has
from roomharness import Room


async def test_deeply_nested_and_non_string_keyed_frames_are_bad_frames(room: Room) -> None:
    mod = await room.moderator()
    for frame in ("[" * 30_000 + "]" * 30_000,):
        await mod.send_raw(frame)
    assert (await mod.call("ping")).ok  # the socket stays
    binary = await room.moderator("msgpack", label="mod2")
    import msgpack  # the client library's codec, to build a frame with a bytes key

    await binary.send_raw(msgpack.packb({"id": 5, "cmd": "chat.send", "args": {b"text": "x"}}))
    reply = await binary.reply(5)
    assert reply.code == "bad_command"
    assert (await binary.call("ping")).ok


async def test_an_oversized_body_is_refused_before_it_is_read(room: Room) -> None:
    url = f"{room.server.base_url}/api/rooms/{room.room_id}/join"
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            url, content=b"{" + b" " * 200_000 + b"}", headers={"content-type": "application/json"}
        )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"


async def test_a_secret_polls_live_tally_does_not_single_out_a_late_voter(room: Room) -> None:
    mod = await room.moderator()
    _, early = await room.resident("早到")
    _, second = await room.resident("也早")
    await mod.ok("session.start")
    poll = await mod.ok(
        "poll.open", question="是否同意", kind="yes_no_abstain", secret=True, live_results=True
    )
    _, late = await room.resident("晚到")
    await late.ok("poll.vote", poll_id=poll["poll_id"], choices=[1])
    await second.ok("poll.vote", poll_id=poll["poll_id"], choices=[0])
    await early.ok("poll.vote", poll_id=poll["poll_id"], choices=[0])
    tally = await early.wait_event("poll.tally", has(poll_id=poll["poll_id"]))
    assert tally["data"]["eligible"] == 2  # as at opening: the newcomer is not revealed
    assert tally["data"]["voters"] == 3 and tally["data"]["counts"] == [2, 1, 0]
    closed = await mod.ok("poll.close", poll_id=poll["poll_id"])
    assert closed["eligible"] == 3 and closed["voters"] == 3


async def test_one_resident_cannot_multiply_their_rate_limit_with_sockets(room: Room) -> None:
    person, first = await room.resident("多开")
    others = [await room.connect(person.token, label=f"tab{i}") for i in range(3)]
    assert all(c.you is not None for c in others)  # four sockets are fine
    extra = await room.open("json", label="tab4")
    await extra.send("hello", {"token": person.token})
    assert await extra.wait_closed() == 1008
    assert (await first.call("ping")).ok

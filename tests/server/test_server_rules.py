"""The contract's smaller rules: nonces, events before replies, queue edge cases,
voting, secret polls, tallies, held chat, and what still works after session.end."""

from __future__ import annotations

import json
from typing import Any

from roomclient import Client, Json, has, pids, start_turn
from roomharness import Room, comparable

# -- nonce and ordering ---------------------------------------------------------------


async def test_repeated_nonce_returns_first_reply_and_does_nothing_twice(room: Room) -> None:
    mod = await room.moderator()
    p, res = await room.resident("甲")
    await mod.ok("session.start")
    first = await res.call("chat.send", text="第一次发言", _nonce="n-1")
    assert first.ok
    again = await res.call("chat.send", text="第一次发言", _nonce="n-1")
    assert again.raw["re"] == again.id and again.ok and again.result == first.result
    assert again.caused() == []

    raised = await res.call("hand.raise", _nonce="n-2", stance="support")
    assert raised.ok and raised.result == {"position": 1}
    await res.ok("hand.lower")
    # The lowering may be announced when its coalescing window closes, by the clock:
    # let that happen first, so the retry's reply has nobody else's event beside it.
    await res.wait_event("queue.changed", lambda d: d["support"] == [])
    repeat = await res.call("hand.raise", _nonce="n-2", stance="support")
    assert repeat.result == raised.result and repeat.caused() == []
    snap = await room.snapshot()
    assert snap["queue"]["support"] == []  # the retry did not raise the hand again

    # A retry after a reconnect.
    await res.close()
    res2 = await room.connect(p.token, "msgpack")
    retry = await res2.call("chat.send", text="第一次发言", _nonce="n-1")
    assert retry.ok and retry.result == first.result and retry.caused() == []
    snap = await room.snapshot()
    assert [m["text"] for m in snap["chat"]] == ["第一次发言"]

    # Nonces are per participant: someone else's n-1 is a new command.
    _, other = await room.resident("乙")
    theirs = await other.call("chat.send", text="乙的发言", _nonce="n-1")
    assert theirs.ok and theirs.result["message_id"] != first.result["message_id"]


async def test_events_a_command_causes_come_before_its_reply(room: Room) -> None:
    mod = await room.moderator("msgpack")
    _, res = await room.resident("甲")
    reply = await mod.call("session.start")
    assert "session.started" in [e["type"] for e in reply.caused()]
    reply = await res.call("chat.send", text="我来说两句")
    assert "chat.posted" in [e["type"] for e in reply.caused()]
    # (A resident's raised hand may be announced a moment later, with others: coalesced.)
    await res.ok("hand.raise", stance="support")
    reply = await mod.call("turn.next")
    caused = [e["type"] for e in reply.caused()]
    assert "turn.started" in caused and "queue.changed" in caused
    reply = await res.call("statement.post", text="我支持")
    assert [e["type"] for e in reply.caused()] == ["statement.posted"]
    reply = await res.call("chat.send", text="大家好")
    assert [e["type"] for e in reply.caused()] == ["chat.posted"]
    reply = await mod.call("poll.open", question="同意吗", options=["是", "否"], kind="single")
    assert "poll.opened" in [e["type"] for e in reply.caused()]
    reply = await res.call("turn.yield")
    assert "turn.ended" in [e["type"] for e in reply.caused()]


# -- the queue's edge cases --------------------------------------------------------------


async def test_queue_edge_cases(room: Room) -> None:
    mod = await room.moderator()
    a, ra = await room.resident("甲")
    b, rb = await room.resident("乙", "msgpack")
    c, rc = await room.resident("丙")
    before = await room.snapshot()
    await ra.fail("hand.raise", "conflict", stance="support")  # before session.start
    assert comparable(await room.snapshot()) == comparable(before)
    await mod.ok("session.start")

    # position is 1-based within the side.
    assert await ra.ok("hand.raise", stance="support", note="关于电梯噪音") == {"position": 1}
    assert await rb.ok("hand.raise", stance="oppose") == {"position": 1}
    assert await rc.ok("hand.raise", stance="oppose") == {"position": 2}

    # Hands are announced at most once per 500 ms: wait for the list they left, on
    # every socket whose next reply is checked for "nothing happened" (another socket
    # seeing it first says nothing about when this one does).
    def full(d: Json) -> bool:
        return len(d["support"]) == 1 and len(d["oppose"]) == 2

    queue = (await mod.wait_event("queue.changed", full))["data"]
    await ra.wait_event("queue.changed", full)
    assert queue["support"][0]["note"] == "关于电梯噪音"
    assert queue["support"][0]["stance"] == "support"

    # The same stance again: success, nothing happens.
    same = await ra.call("hand.raise", stance="support")
    assert same.ok and same.result == {"position": 1} and same.caused() == []

    # Another stance: to the end of that side.
    start = mod.mark()
    assert await ra.ok("hand.raise", stance="oppose") == {"position": 3}
    ev = await mod.wait_event("queue.changed", lambda d: d["support"] == [], start=start)
    assert pids(ev["data"]["oppose"]) == [b.participant_id, c.participant_id, a.participant_id]

    # Lowering when not waiting: success, nothing happens.
    await rb.ok("hand.lower")
    await rb.wait_event("queue.changed", lambda d: len(d["oppose"]) == 2)
    again = await rb.call("hand.lower")
    assert again.ok and again.result == {} and again.caused() == []

    # Holding the floor: raising is a conflict.
    await start_turn(mod, c.participant_id)
    before = await room.snapshot()
    await rc.fail("hand.raise", "conflict", stance="support")
    assert comparable(await room.snapshot()) == comparable(before)


async def test_clerk_acts_for_an_attendee_in_the_hall(room: Room) -> None:
    mod = await room.moderator()
    clerk = await room.connect((await room.staff("clerk", "记录员")).token, "msgpack")
    _, res = await room.resident("甲")
    await mod.ok("session.start")
    added = await clerk.ok("offline.add", name="王奶奶")
    grandma = added["participant_id"]
    view = await mod.wait_participant(grandma, lambda p: p["in_hall"] is True)
    assert view["name"] == "王奶奶" and view["role"] == "participant"

    await res.fail("hand.raise", "forbidden", stance="oppose", on_behalf_of=grandma)
    assert await clerk.ok("hand.raise", stance="oppose", on_behalf_of=grandma) == {"position": 1}
    await mod.wait_event("queue.changed", lambda d: pids(d["oppose"]) == [grandma])
    turn = await start_turn(mod, grandma)
    posted = await clerk.ok("statement.post", text="我年纪大了，需要电梯", on_behalf_of=grandma)
    ev = await res.wait_event("statement.posted", has(statement_id=posted["statement_id"]))
    assert ev["data"]["participant_id"] == grandma and ev["data"]["turn_id"] == turn["turn_id"]
    await mod.ok("turn.end")
    await clerk.ok("hand.raise", stance="support", on_behalf_of=grandma)
    await clerk.ok("hand.lower", on_behalf_of=grandma)
    await mod.wait_event("queue.changed", lambda d: d["support"] == [])


# -- voting -----------------------------------------------------------------------------


async def open_poll(mod: Client, **args: Any) -> str:
    start = mod.mark()
    result = await mod.ok("poll.open", **args)
    poll_id = result["poll_id"]
    await mod.wait_event("poll.opened", has(poll_id=poll_id), start=start)
    return str(poll_id)


def poll_in(state: Json, poll_id: str) -> Json:
    polls: list[Json] = [p for p in state["polls"] if p["poll_id"] == poll_id]
    assert len(polls) == 1, state["polls"]
    return polls[0]


async def test_ballot_shapes_per_kind(room: Room) -> None:
    mod = await room.moderator()
    _, ra = await room.resident("甲")
    _, rb = await room.resident("乙", "msgpack")
    await mod.ok("session.start")

    single = await open_poll(mod, question="选一个", options=["A", "B", "C"], kind="single")
    before = await room.snapshot()
    for choices in ([], [0, 1], [3], [-1], ["0"], 0):
        await ra.fail("poll.vote", "bad_command", poll_id=single, choices=choices)
    assert comparable(await room.snapshot()) == comparable(before)
    await ra.ok("poll.vote", poll_id=single, choices=[2])

    multi = await open_poll(
        mod, question="选两个", options=["A", "B", "C"], kind="multi", max_choices=2
    )
    opened = mod.find("poll.opened", has(poll_id=multi))[0]["data"]
    assert opened["max_choices"] == 2 and opened["kind"] == "multi"
    assert opened["secret"] is False and opened["live_results"] is False
    before = await room.snapshot()
    for choices in ([], [0, 1, 2], [1, 1], [0, 3]):
        await ra.fail("poll.vote", "bad_command", poll_id=multi, choices=choices)
    assert comparable(await room.snapshot()) == comparable(before)
    await ra.ok("poll.vote", poll_id=multi, choices=[0, 2])
    await rb.ok("poll.vote", poll_id=multi, choices=[2])

    yna = await open_poll(
        mod, question="是否同意", options=["赞成", "反对", "弃权"], kind="yes_no_abstain"
    )
    opened = mod.find("poll.opened", has(poll_id=yna))[0]["data"]
    assert opened["options"] == ["赞成", "反对", "弃权"]
    await ra.fail("poll.vote", "bad_command", poll_id=yna, choices=[0, 1])
    await ra.ok("poll.vote", poll_id=yna, choices=[2])
    await rb.ok("poll.vote", poll_id=yna, choices=[0])

    assert (await mod.ok("poll.close", poll_id=single))["counts"] == [0, 0, 1]
    closed = await mod.ok("poll.close", poll_id=multi)
    assert closed["counts"] == [1, 0, 2] and closed["voters"] == 2
    closed = await mod.ok("poll.close", poll_id=yna)
    assert closed["counts"] == [1, 0, 1] and closed["voters"] == 2


async def test_eligibility_counts_present_participants_plus_later_voters(room: Room) -> None:
    mod = await room.moderator()
    clerk = await room.connect((await room.staff("clerk", "记录员")).token)
    a, ra = await room.resident("甲")
    b, rb = await room.resident("乙", "msgpack")
    c, _ = await room.resident("丙")
    d = await room.join("丁")  # joined, never connected: not present
    await mod.ok("session.start")
    grandma = (await clerk.ok("offline.add", name="王奶奶"))["participant_id"]
    await mod.ok("participant.remove", participant_id=c.participant_id)
    for pid in (a.participant_id, b.participant_id):
        await mod.wait_participant(pid, lambda p: p["online"] is True)
    await mod.wait_participant(grandma, lambda p: p["in_hall"] is True)
    await mod.wait_participant(c.participant_id, lambda p: p.get("removed") is True)

    poll_id = await open_poll(mod, question="同意吗", options=["是", "否"], kind="single")
    assert poll_in(await room.snapshot(), poll_id)["eligible"] == 3  # 甲, 乙, 王奶奶
    await ra.ok("poll.vote", poll_id=poll_id, choices=[0])
    await clerk.ok("poll.vote", poll_id=poll_id, choices=[1], on_behalf_of=grandma)
    await clerk.fail("poll.vote", "conflict", poll_id=poll_id, choices=[0], on_behalf_of=grandma)
    await clerk.fail("poll.vote", "forbidden", poll_id=poll_id, choices=[0])  # for itself
    await mod.fail("poll.vote", "forbidden", poll_id=poll_id, choices=[0], on_behalf_of=grandma)
    rd = await room.connect(d.token, "msgpack")
    await rd.ok("poll.vote", poll_id=poll_id, choices=[0])  # a later voter counts
    closed = await mod.ok("poll.close", poll_id=poll_id)
    assert closed == {"counts": [2, 1], "voters": 3, "eligible": 4}
    ev = await rb.wait_event("poll.closed", has(poll_id=poll_id))
    assert ev["data"] == {"poll_id": poll_id, **closed}


async def test_revote_replaces_the_ballot_until_close(room: Room) -> None:
    mod = await room.moderator()
    a, ra = await room.resident("甲")
    await mod.ok("session.start")
    await mod.ok("settings.update", revote=True)
    poll_id = await open_poll(mod, question="同意吗", options=["是", "否"], kind="single")
    await ra.ok("poll.vote", poll_id=poll_id, choices=[0])
    await ra.ok("poll.vote", poll_id=poll_id, choices=[1])
    assert poll_in(await room.snapshot(), poll_id)["voters"] == 1
    own = await room.snapshot(a.token)
    assert own["you"]["ballots"] == {poll_id: [1]}
    closed = await mod.ok("poll.close", poll_id=poll_id)
    assert closed["counts"] == [0, 1] and closed["voters"] == 1
    await ra.fail("poll.vote", "conflict", poll_id=poll_id, choices=[0])


async def test_own_ballot_in_the_snapshot(room: Room) -> None:
    mod = await room.moderator()
    p, ra = await room.resident("甲")
    await mod.ok("session.start")
    open_id = await open_poll(mod, question="公开", options=["是", "否"], kind="single")
    secret_id = await open_poll(
        mod, question="无记名", options=["是", "否"], kind="single", secret=True
    )
    await ra.ok("poll.vote", poll_id=open_id, choices=[1])
    await ra.ok("poll.vote", poll_id=secret_id, choices=[0])
    snap = await room.snapshot(p.token)
    assert snap["you"]["ballots"] == {open_id: [1], secret_id: True}


def poll_objects(doc: Any, markers: set[str]) -> list[Any]:
    """Every dict in ``doc`` with a direct value in ``markers`` (the poll's id or question)."""
    found = []
    if isinstance(doc, dict):
        if any(isinstance(v, str) and v in markers for v in doc.values()):
            found.append(doc)
        for v in doc.values():
            found.extend(poll_objects(v, markers))
    elif isinstance(doc, list):
        for v in doc:
            found.extend(poll_objects(v, markers))
    return found


async def test_secret_poll_reveals_nobodys_choice(room: Room) -> None:
    mod = await room.moderator()
    clerk = await room.connect((await room.staff("clerk", "记录员")).token)
    _, obs = await room.resident("旁听", observer=True)
    voters = [
        await room.resident(n, proto)
        for n, proto in (("投票甲", "json"), ("投票乙", "msgpack"), ("投票丙", "json"))
    ]
    await mod.ok("session.start")
    grandma = (await clerk.ok("offline.add", name="王奶奶"))["participant_id"]
    question = "无记名：是否同意加装？"
    poll_id = await open_poll(
        mod,
        question=question,
        options=["同意", "反对"],
        kind="single",
        secret=True,
        live_results=True,
    )
    for (_, client), choice in zip(voters, (0, 1, 1), strict=True):
        assert await client.ok("poll.vote", poll_id=poll_id, choices=[choice]) == {}
    await clerk.ok("poll.vote", poll_id=poll_id, choices=[0], on_behalf_of=grandma)
    mid_snap = await room.snapshot()
    closed = await mod.ok("poll.close", poll_id=poll_id)
    assert closed["counts"] == [2, 2] and closed["voters"] == 4
    await mod.ok("decision.record", text="无记名表决结果记录", poll_id=poll_id)
    await mod.ok("session.end")

    secrets = {p.participant_id for p, _ in voters} | {grandma}
    secrets |= {p.name for p, _ in voters} | {"王奶奶"}
    markers = {poll_id, question}

    def leaks(doc: Any) -> list[str]:
        text = json.dumps(poll_objects(doc, markers), ensure_ascii=False)
        return [s for s in secrets if s in text]

    everyone = [mod, clerk, obs, *(c for _, c in voters)]
    assert poll_objects(mod.events, markers) and poll_objects(mid_snap, markers)  # not vacuous
    for c in everyone:
        await c.wait_event("session.ended")
        for e in c.events:
            assert not leaks(e["data"]), (c.label, e)
    assert not leaks(mid_snap) and not leaks(await room.snapshot())
    minutes = await room.api.minutes(room.room_id, room.mod_token, "json")
    assert minutes.status_code == 200
    assert not leaks(minutes.json())
    summary = await room.api.summary(room.room_id)
    assert not leaks(summary.json())
    assert question in minutes.text  # the minutes do hold the poll: the check above bit


async def test_live_results_versus_moderator_only_tallies(room: Room) -> None:
    mod = await room.moderator()
    _, ra = await room.resident("甲")
    b, rb = await room.resident("乙", "msgpack")
    await mod.ok("session.start")

    hidden = await open_poll(mod, question="不公开", options=["是", "否"], kind="single")
    await ra.ok("poll.vote", poll_id=hidden, choices=[0])
    ev = await mod.wait_event("poll.tally", has(poll_id=hidden, counts=[1, 0]))
    assert ev["data"]["voters"] == 1
    snap_b = await room.snapshot(b.token)
    assert poll_in(snap_b, hidden)["counts"] is None
    assert poll_in(await room.snapshot(), hidden)["counts"] == [1, 0]
    await mod.ok("poll.close", poll_id=hidden)
    for c in (ra, rb):
        await c.wait_event("poll.closed", has(poll_id=hidden))
        assert c.find("poll.tally", has(poll_id=hidden)) == []

    live = await open_poll(
        mod, question="公开", options=["是", "否"], kind="single", live_results=True
    )
    await ra.ok("poll.vote", poll_id=live, choices=[1])
    ev = await rb.wait_event("poll.tally", has(poll_id=live, counts=[0, 1]))
    assert ev["data"]["voters"] == 1


# -- chat -------------------------------------------------------------------------------


async def test_chat_posted_to_everyone(room: Room) -> None:
    mod = await room.moderator()
    a, ra = await room.resident("甲")
    _, rb = await room.resident("乙", "msgpack")
    await mod.ok("session.start")
    result = await ra.ok("chat.send", text="楼下的车位怎么办？")
    assert result["status"] == "visible"
    for c in (mod, ra, rb):
        ev = await c.wait_event("chat.posted", has(message_id=result["message_id"]))
        assert ev["data"]["participant_id"] == a.participant_id and ev["data"]["name"] == "甲"
        assert ev["data"]["text"] == "楼下的车位怎么办？" and isinstance(ev["data"]["at"], int)
    await mod.ok("chat.pin", message_id=result["message_id"])
    await rb.wait_event("chat.pinned", has(message_id=result["message_id"]))
    assert [m["message_id"] for m in (await room.snapshot())["pins"]] == [result["message_id"]]
    await mod.ok("chat.remove", message_id=result["message_id"])
    await rb.wait_event("chat.removed", has(message_id=result["message_id"]))
    assert (await room.snapshot())["chat"] == []


async def test_chat_rate_applies_to_participants_not_staff(room: Room) -> None:
    mod = await room.moderator()
    _, ra = await room.resident("甲")
    await mod.ok("session.start")
    await mod.ok("settings.update", chat_rate=3)
    for i in range(3):
        await ra.ok("chat.send", text=f"第{i}条意见")
    before = await room.snapshot()
    await ra.fail("chat.send", "rate_limited", text="第四条意见")
    assert comparable(await room.snapshot()) == comparable(before)
    for i in range(6):
        await mod.ok("chat.send", text=f"通知{i}")


async def test_held_chat_reaches_only_moderators_until_approved(room: Room) -> None:
    mod = await room.moderator()
    co = await room.connect((await room.staff("moderator", "副主持")).token, "msgpack")
    clerk = await room.connect((await room.staff("clerk", "记录员")).token)
    a, ra = await room.resident("甲")
    _, rb = await room.resident("乙", "msgpack")
    await mod.ok("session.start")
    # "premoderated" holds everything (the value named in the moderation issue).
    await mod.ok("settings.update", chat_mode="premoderated")
    result = await ra.ok("chat.send", text="我想问一下施工时间")
    assert result["status"] == "held"
    message_id = result["message_id"]
    for m in (mod, co):
        ev = await m.wait_event("chat.held", has(message_id=message_id))
        assert ev["data"]["text"] == "我想问一下施工时间"
        assert ev["data"]["participant_id"] == a.participant_id
    held_seq = mod.find("chat.held", has(message_id=message_id))[0]["seq"]
    assert (await room.snapshot())["held"][-1]["message_id"] == message_id
    resident_view = await room.snapshot((await room.join("丙")).token)
    assert resident_view["chat"] == [] and "held" not in resident_view

    start = mod.mark()
    await mod.ok("chat.approve", message_id=message_id)
    approved = await mod.wait_event("chat.posted", has(message_id=message_id), start=start)
    for c in (ra, rb, clerk, co):
        ev = await c.wait_event("chat.posted", has(message_id=message_id))
        assert ev["seq"] == approved["seq"] > held_seq
    for c in (ra, rb, clerk):
        assert c.find("chat.held") == []


async def test_muted_participant_cannot_chat(room: Room) -> None:
    mod = await room.moderator()
    a, ra = await room.resident("甲")
    await mod.ok("session.start")
    await mod.ok("participant.mute", participant_id=a.participant_id, seconds=60)
    view = await mod.wait_participant(a.participant_id, lambda p: bool(p.get("muted_until")))
    assert view["muted_until"] > 0
    before = await room.snapshot()
    await ra.fail("chat.send", "forbidden", text="让我说话")  # docs/protocol.md: forbidden
    assert comparable(await room.snapshot()) == comparable(before)


# -- after session.end ------------------------------------------------------------------


async def test_after_session_end_only_follow_up_works(room: Room) -> None:
    mod = await room.moderator()
    clerk = await room.connect((await room.staff("clerk", "记录员")).token)
    office = await room.connect((await room.staff("office", "街道办")).token, "msgpack")
    a, ra = await room.resident("甲")
    await mod.ok("session.start")
    action = await mod.ok("action.add", title="公示方案", owner="街道办", due="2026-01-15")
    poll_id = await open_poll(mod, question="同意吗", options=["是", "否"], kind="single")
    await ra.ok("hand.raise", stance="support")
    turn = await start_turn(mod, a.participant_id)
    start = mod.mark()
    await mod.ok("session.end")
    ev = await mod.wait_event("turn.ended", has(turn_id=turn["turn_id"]), start=start)
    assert ev["data"]["reason"] == "moderator"
    await mod.wait_event("poll.closed", has(poll_id=poll_id), start=start)
    ev = await ra.wait_event("session.ended")
    assert ev["data"]["status"] == "ended"

    before = await room.snapshot()
    await ra.fail("hand.raise", "conflict", stance="support")
    await ra.fail("chat.send", "conflict", text="还能说吗")
    await ra.fail("poll.vote", "conflict", poll_id=poll_id, choices=[0])
    await mod.fail("session.start", "conflict")
    await mod.fail("turn.next", "conflict")
    await mod.fail("poll.open", "conflict", question="再投", options=["是", "否"], kind="single")
    await mod.fail("decision.record", "conflict", text="补充决定")
    await mod.fail("action.add", "conflict", title="新事项", owner="物业", due="2026-02-01")
    await mod.fail("agenda.goto", "conflict", index=1)
    await mod.fail("settings.update", "conflict", turn_seconds=30)
    await clerk.fail("offline.add", "conflict", name="李爷爷")
    await mod.fail("chat.send", "conflict", text="通知")
    assert comparable(await room.snapshot()) == comparable(before)
    assert (await ra.ok("ping"))["server_time"] > 0

    await office.ok(
        "action.update", action_id=action["action_id"], status="in_progress", note="已联系设计院"
    )
    ev = await ra.wait_event("action.updated", has(action_id=action["action_id"]))
    assert ev["data"]["status"] == "in_progress"
    await clerk.ok("minutes.note", text="会后补充：下周公示")
    ev = await ra.wait_event("minutes.noted")
    assert ev["data"]["text"] == "会后补充：下周公示"
    published = await mod.ok("minutes.publish")
    assert isinstance(published["minutes_url"], str)
    # Clients can still connect.
    late = await room.connect((await room.join("迟到者")).token)
    assert late.welcome is not None
    assert late.welcome["state"]["room"]["status"] == "ended"
    assert late.welcome["state"]["actions"][0]["status"] == "in_progress"


# -- presence and agenda ---------------------------------------------------------------


async def test_participant_joined_is_sent_once(room: Room) -> None:
    mod = await room.moderator()
    person = await room.join("甲")
    first = await room.connect(person.token)
    await mod.wait_participant(person.participant_id, lambda p: p["online"] is True)
    await first.close()
    await mod.wait_participant(person.participant_id, lambda p: p["online"] is False)
    second = await room.connect(person.token, "msgpack")
    await mod.wait_participant(person.participant_id, lambda p: p["online"] is True)
    await mod.ok("chat.send", text="欢迎")
    await second.wait_event("chat.posted")
    joined = mod.find("participant.joined", has(participant_id=person.participant_id))
    assert len(joined) <= 1  # once at most (it may precede the moderator's hello)
    snap = await room.snapshot()
    [view] = [p for p in snap["participants"] if p["participant_id"] == person.participant_id]
    assert view["online"] is True and view["name"] == "甲" and view["role"] == "participant"


async def test_agenda_set_keeps_existing_items(room: Room) -> None:
    mod = await room.moderator()
    p, res = await room.resident("甲")
    await mod.ok("session.start")
    await res.ok("hand.raise", stance="support")
    await speak_once(mod, res, p.participant_id)
    start = mod.mark()
    await mod.ok("agenda.set", items=["加装电梯方案", "费用分摊", "施工安排"])
    ev = await mod.wait_event("agenda.changed", start=start)
    assert [i["title"] for i in ev["data"]["items"]] == ["加装电梯方案", "费用分摊", "施工安排"]
    snap = await room.snapshot()
    assert snap["balance"]["support"]["turns"] == 1  # the item kept its record
    await mod.fail("agenda.set", "bad_command", items="施工安排")


async def speak_once(mod: Client, speaker: Client, pid: str) -> None:
    turn = await start_turn(mod, pid)
    await speaker.ok("turn.yield")
    await mod.wait_event("turn.ended", has(turn_id=turn["turn_id"]))


async def test_open_poll_ballots_reach_moderators_only(room: Room) -> None:
    """docs/protocol.md's `poll.ballot` extension: who voted what, for an open (not
    secret) poll, to moderators only."""
    mod = await room.moderator()
    a, ra = await room.resident("甲")
    _, rb = await room.resident("乙", "msgpack")
    await mod.ok("session.start")
    poll_id = await open_poll(mod, question="公开表决", options=["是", "否"], kind="single")
    await ra.ok("poll.vote", poll_id=poll_id, choices=[1])
    ev = await mod.wait_event("poll.ballot", has(poll_id=poll_id))
    assert ev["data"] == {"poll_id": poll_id, "participant_id": a.participant_id, "choices": [1]}
    await mod.ok("poll.close", poll_id=poll_id)
    for c in (ra, rb):
        await c.wait_event("poll.closed", has(poll_id=poll_id))
        assert c.find("poll.ballot") == []

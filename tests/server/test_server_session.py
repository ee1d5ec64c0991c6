"""Issue 2, "Done when": a whole agenda item with a moderator and seven residents
over both sub-protocols, checked against the contract at every step."""

from __future__ import annotations

import json

from roomclient import (
    DEFAULT_TIMEOUT,
    PUBLIC_EVENT_TYPES,
    SIDES,
    Client,
    balanced_side,
    has,
    last_queue,
    pids,
    start_turn,
    yield_turn,
    zero_balance,
)
from roomharness import Room

NAMES = ["支持甲", "支持乙", "支持丙", "支持丁", "反对甲", "反对乙", "居民戊"]


async def test_full_session(room: Room) -> None:
    mod = await room.moderator("msgpack")
    people, residents = [], []
    for i, name in enumerate(NAMES):
        person, client = await room.resident(name, "json" if i % 2 == 0 else "msgpack")
        people.append(person)
        residents.append(client)
    everyone: list[Client] = [mod, *residents]
    by_pid = {p.participant_id: c for p, c in zip(people, residents, strict=True)}
    supporters, opposers = people[:4], people[4:6]
    first_seq = max(c.welcome["seq"] for c in everyone)  # type: ignore[index]

    # Before session.start a hand cannot go up.
    await residents[0].fail("hand.raise", "conflict", stance="support")
    await mod.ok("session.start")
    for c in everyone:
        ev = await c.wait_event("session.started")
        assert ev["data"]["status"] == "live"

    # A skewed queue: four supporters first, then two opponents.
    for i, p in enumerate(supporters):
        assert await by_pid[p.participant_id].ok("hand.raise", stance="support") == {
            "position": i + 1
        }
    for i, p in enumerate(opposers):
        assert await by_pid[p.participant_id].ok("hand.raise", stance="oppose") == {
            "position": i + 1
        }
    await mod.wait_event(
        "queue.changed", lambda d: len(d["support"]) == 4 and len(d["oppose"]) == 2
    )
    queue = last_queue(mod)
    assert pids(queue["support"]) == [p.participant_id for p in supporters]
    assert pids(queue["oppose"]) == [p.participant_id for p in opposers]
    assert queue["neutral"] == []
    assert queue["next"]["participant_id"] == supporters[0].participant_id
    for entry in queue["support"] + queue["oppose"]:
        assert set(entry) >= {"participant_id", "name", "stance", "raised_at"}

    # Turns, picked by the balanced policy until the queue is empty. The second turn
    # (the first opponent) is given a 1 s limit and expires by itself.
    waiting = {
        "support": [p.participant_id for p in supporters],
        "oppose": [p.participant_id for p in opposers],
        "neutral": [],
    }
    balance = zero_balance()
    last_spoke: dict[str, int] = {}
    picked: list[str] = []
    statements: list[str] = []
    turn_no = 0
    while any(waiting.values()):
        side = balanced_side(balance, [s for s in SIDES if waiting[s]], last_spoke)
        expected = waiting[side][0]
        snap = await room.snapshot()
        assert snap["queue"]["next"]["participant_id"] == expected, snap["queue"]
        assert snap["balance"] == balance
        assert snap["turn"] is None

        expires = turn_no == 1
        if expires:
            await mod.ok("settings.update", turn_seconds=1)
            await mod.wait_event("settings.changed", lambda d: d["turn_seconds"] == 1)
        turn = await start_turn(mod, expected)
        assert turn["stance"] == side and turn["override"] is False
        speaker = by_pid[expected]
        text = f"第{turn_no + 1}位发言：{speaker.label}的意见"
        posted = await speaker.ok("statement.post", text=text)
        statements.append(text)
        for c in everyone:
            ev = await c.wait_event("statement.posted", has(statement_id=posted["statement_id"]))
            assert ev["data"]["text"] == text
            assert ev["data"]["turn_id"] == turn["turn_id"]
            assert ev["data"]["participant_id"] == expected
        if expires:
            assert turn["ends_at"] - turn["started_at"] == 1000
            ev = await mod.wait_event(
                "turn.ended", has(turn_id=turn["turn_id"]), timeout=1 + DEFAULT_TIMEOUT
            )
            ended = ev["data"]
            assert ended["reason"] == "expired"
            assert ended["duration_ms"] == turn["ends_at"] - turn["started_at"] == 1000
            # Out of turn now.
            await speaker.fail("statement.post", "conflict", text="我还没说完")
            await speaker.fail("turn.yield", "conflict")
            await mod.ok("settings.update", turn_seconds=120)
        else:
            ended = await yield_turn(mod, speaker, turn)
        assert ended["duration_ms"] >= 0
        new_balance = ended["balance"]
        assert new_balance[side]["turns"] == balance[side]["turns"] + 1
        assert new_balance[side]["ms"] == balance[side]["ms"] + ended["duration_ms"]
        for other in SIDES:
            if other != side:
                assert new_balance[other] == balance[other]
        balance = new_balance
        last_spoke[side] = turn_no
        waiting[side].pop(0)
        picked.append(side)
        turn_no += 1

    # The balance was restored: the first opponent spoke second, not fifth.
    assert picked[:2] == ["support", "oppose"], picked
    assert balance["support"]["turns"] == 4 and balance["oppose"]["turns"] == 2
    await mod.fail("turn.next", "conflict")

    # A poll with live results and a double-vote attempt.
    opened = await mod.ok(
        "poll.open",
        question="是否同意加装电梯？",
        options=["同意", "不同意"],
        kind="single",
        live_results=True,
    )
    poll_id = opened["poll_id"]
    for c in everyone:
        ev = await c.wait_event("poll.opened", lambda d: d["poll_id"] == poll_id)
        assert ev["data"]["status"] == "open" and ev["data"]["options"] == ["同意", "不同意"]
    for i, c in enumerate(residents):
        assert await c.ok("poll.vote", poll_id=poll_id, choices=[0 if i < 5 else 1]) == {}
    await residents[0].fail("poll.vote", "conflict", poll_id=poll_id, choices=[1])
    await mod.fail("poll.vote", "forbidden", poll_id=poll_id, choices=[0])
    # Live results reach residents (coalesced, so wait for the final count).
    await residents[3].wait_event(
        "poll.tally", lambda d: d["poll_id"] == poll_id and d["counts"] == [5, 2]
    )
    closed = await mod.ok("poll.close", poll_id=poll_id)
    assert closed == {"counts": [5, 2], "voters": 7, "eligible": 7}
    for c in everyone:
        ev = await c.wait_event("poll.closed", lambda d: d["poll_id"] == poll_id)
        assert ev["data"] == {"poll_id": poll_id, **closed}
    await residents[6].fail("poll.vote", "conflict", poll_id=poll_id, choices=[0])

    decision_text = "同意加装电梯，费用按楼层分摊"
    decision = await mod.ok("decision.record", text=decision_text, poll_id=poll_id)
    action = await mod.ok("action.add", title="提交加装电梯申请", owner="街道办", due="2026-03-31")
    for c in everyone:
        ev = await c.wait_event(
            "decision.recorded", lambda d: d["decision_id"] == decision["decision_id"]
        )
        assert ev["data"]["text"] == decision_text and ev["data"]["poll_id"] == poll_id
        ev = await c.wait_event("action.added", lambda d: d["action_id"] == action["action_id"])
        assert ev["data"]["title"] == "提交加装电梯申请" and ev["data"]["owner"] == "街道办"

    await mod.ok("session.end")
    ended_ev = await mod.wait_event("session.ended")
    last_seq = ended_ev["seq"]

    # Every client saw the same public events in the same order.
    for c in everyone:
        await c.wait_seq(last_seq)
    # The poll had live results, so its tallies were public too.
    public = PUBLIC_EVENT_TYPES | {"poll.tally"}
    reference = mod.seqs(public, after=first_seq, upto=last_seq)
    assert reference[-1] == (last_seq, "session.ended")
    assert {t for _, t in reference} >= {
        "session.started",
        "queue.changed",
        "turn.started",
        "turn.ended",
        "statement.posted",
        "settings.changed",
        "poll.opened",
        "poll.tally",
        "poll.closed",
        "decision.recorded",
        "action.added",
        "session.ended",
    }
    for c in residents:
        assert c.seqs(public, after=first_seq, upto=last_seq) == reference, c.label

    # Minutes in JSON through the HTTP API.
    response = await room.api.minutes(room.room_id, room.mod_token, "json")
    assert response.status_code == 200, response.text
    minutes_text = json.dumps(response.json(), ensure_ascii=False)
    for needle in [decision_text, "提交加装电梯申请", "是否同意加装电梯？", *statements]:
        assert needle in minutes_text, f"{needle!r} missing from the minutes"

"""The speaking queue's policies over the wire: `alternate`'s four rules, `balanced`'s
tie-breaks, the order within a side, override turns, per-item queues."""

from __future__ import annotations

from roomclient import (
    DEFAULT_TIMEOUT,
    Client,
    Person,
    has,
    last_queue,
    pids,
    speak,
    start_turn,
    yield_turn,
)
from roomharness import Room


async def people(room: Room, names: list[str]) -> dict[str, tuple[Person, Client]]:
    out = {}
    for i, name in enumerate(names):
        out[name] = await room.resident(name, "json" if i % 2 else "msgpack")
    return out


async def test_alternate_policy_follows_the_four_rules(room: Room) -> None:
    mod = await room.moderator()
    await mod.ok("settings.update", policy="alternate")
    await mod.wait_event("settings.changed", has(policy="alternate"))
    ps = await people(room, ["s1", "s2", "s3", "o1", "n1", "n2", "n3"])

    def pid(name: str) -> str:
        return ps[name][0].participant_id

    def sock(name: str) -> Client:
        return ps[name][1]

    async def turn(name: str) -> None:
        await speak(mod, sock(name), pid(name))

    await mod.ok("session.start")
    for name in ("s1", "s2", "s3"):
        await sock(name).ok("hand.raise", stance="support")
    await sock("o1").ok("hand.raise", stance="oppose")

    await turn("s1")  # (2) at the start: support
    for name in ("n1", "n2"):
        await sock(name).ok("hand.raise", stance="neutral")
    await turn("o1")  # (2) one s/o turn since the start: the opposite of support
    await turn("n1")  # (1) a neutral waits and two s/o turns have passed
    await turn("s2")  # (2) the opposite of the last s/o turn (oppose)
    await turn("s3")  # (3) nobody waits on oppose: the other side
    await turn("n2")  # (1) two s/o turns since the last neutral turn
    await sock("n3").ok("hand.raise", stance="neutral")
    await turn("n3")  # (4) only neutral waits
    await sock("s1").ok("hand.raise", stance="support")
    await sock("o1").ok("hand.raise", stance="oppose")
    await turn("o1")  # (2) the last s/o turn was support (s3)
    await turn("s1")
    await mod.fail("turn.next", "conflict")


async def test_within_a_side_fewer_turns_first_then_earliest_raise(room: Room) -> None:
    mod = await room.moderator()
    ps = await people(room, ["s1", "s2", "s3"])
    s1, s2, s3 = (ps[n] for n in ("s1", "s2", "s3"))
    await mod.ok("session.start")
    await s1[1].ok("hand.raise", stance="support")
    await s2[1].ok("hand.raise", stance="support")
    await speak(mod, s1[1], s1[0].participant_id)
    # s1 raises again before s3, but has spoken once: s2 and s3 go first.
    assert await s1[1].ok("hand.raise", stance="support") == {"position": 2}
    assert await s3[1].ok("hand.raise", stance="support") == {"position": 2}
    await mod.wait_event("queue.changed", lambda d: len(d["support"]) == 3)
    queue = last_queue(mod)
    expected = [s2[0].participant_id, s3[0].participant_id, s1[0].participant_id]
    assert pids(queue["support"]) == expected
    assert queue["next"]["participant_id"] == s2[0].participant_id
    for person, client in (s2, s3, s1):
        await speak(mod, client, person.participant_id)


async def expire(mod: Client, expected_pid: str, seconds: int) -> None:
    """Give the next turn, let it run out by itself, check its exact duration."""
    turn = await start_turn(mod, expected_pid)
    assert turn["ends_at"] - turn["started_at"] == seconds * 1000
    ev = await mod.wait_event(
        "turn.ended", has(turn_id=turn["turn_id"]), timeout=seconds + DEFAULT_TIMEOUT
    )
    assert ev["data"]["reason"] == "expired"
    assert ev["data"]["duration_ms"] == seconds * 1000


async def test_balanced_ties_side_order_then_least_recent(room: Room) -> None:
    mod = await room.moderator()
    ps = await people(room, ["n1", "o1", "s1", "s2", "o2"])
    await mod.ok("settings.update", turn_seconds=1)
    await mod.ok("session.start")
    # Raised neutral first: raise order across sides does not matter.
    await ps["n1"][1].ok("hand.raise", stance="neutral")
    await ps["o1"][1].ok("hand.raise", stance="oppose")
    await ps["s1"][1].ok("hand.raise", stance="support")
    # All equal: support, then oppose before neutral.
    await expire(mod, ps["s1"][0].participant_id, 1)
    await expire(mod, ps["o1"][0].participant_id, 1)
    # Neutral has the least time.
    turn = await start_turn(mod, ps["n1"][0].participant_id)
    await yield_turn(mod, ps["n1"][1], turn)
    # Support and oppose: 1000 ms and one turn each; support spoke less recently.
    await ps["o2"][1].ok("hand.raise", stance="oppose")
    await ps["s2"][1].ok("hand.raise", stance="support")
    snap = await room.snapshot()
    assert snap["balance"]["support"] == {"turns": 1, "ms": 1000}
    assert snap["balance"]["oppose"] == {"turns": 1, "ms": 1000}
    assert snap["queue"]["next"]["participant_id"] == ps["s2"][0].participant_id
    turn = await start_turn(mod, ps["s2"][0].participant_id)
    # Only finished turns count in the balance.
    snap = await room.snapshot()
    assert snap["balance"]["support"] == {"turns": 1, "ms": 1000}
    await yield_turn(mod, ps["s2"][1], turn)


async def test_balanced_tie_on_time_goes_to_fewer_turns(room: Room) -> None:
    mod = await room.moderator()
    ps = await people(room, ["o1", "o2", "s1", "s2", "o3"])
    await mod.ok("settings.update", turn_seconds=1)
    await mod.ok("session.start")
    await ps["o1"][1].ok("hand.raise", stance="oppose")
    await expire(mod, ps["o1"][0].participant_id, 1)
    await ps["o2"][1].ok("hand.raise", stance="oppose")
    await expire(mod, ps["o2"][0].participant_id, 1)
    await mod.ok("settings.update", turn_seconds=2)
    await ps["s1"][1].ok("hand.raise", stance="support")
    await expire(mod, ps["s1"][0].participant_id, 2)
    # 2000 ms each; support has one turn, oppose two (and spoke less recently):
    # fewer turns decides before recency.
    await ps["o3"][1].ok("hand.raise", stance="oppose")
    await ps["s2"][1].ok("hand.raise", stance="support")
    await mod.ok("settings.update", turn_seconds=120)
    await start_turn(mod, ps["s2"][0].participant_id)


async def test_override_turn_is_marked_counts_and_removes_queue_entry(room: Room) -> None:
    mod = await room.moderator()
    ps = await people(room, ["s1", "o1"])
    s1, o1 = ps["s1"], ps["o1"]
    await mod.ok("session.start")
    await s1[1].ok("hand.raise", stance="support")
    await o1[1].ok("hand.raise", stance="oppose")
    start = mod.mark()
    granted = await mod.ok("turn.grant", participant_id=o1[0].participant_id, stance="oppose")
    ev = await mod.wait_event("turn.started", has(turn_id=granted["turn_id"]), start=start)
    assert ev["data"]["override"] is True and ev["data"]["participant_id"] == o1[0].participant_id
    assert ev["data"]["stance"] == "oppose"
    # Giving someone the floor removes their queue entry.
    await mod.wait_event("queue.changed", lambda d: d["oppose"] == [], start=start)
    # While a turn runs: turn.next and turn.grant answer conflict.
    await mod.fail("turn.next", "conflict")
    await mod.fail("turn.grant", "conflict", participant_id=s1[0].participant_id)
    # Raising a hand while holding the floor: conflict.
    await o1[1].fail("hand.raise", "conflict", stance="oppose")
    ended = await yield_turn(mod, o1[1], ev["data"])
    assert ended["override"] is True
    assert ended["balance"]["oppose"]["turns"] == 1
    # A stale turn id: conflict.
    await mod.fail("turn.end", "conflict", turn_id=granted["turn_id"])


async def test_moderator_end_and_extend(room: Room) -> None:
    mod = await room.moderator()
    (p, c) = await room.resident("s1")
    await mod.ok("session.start")
    await c.ok("hand.raise", stance="support")
    turn = await start_turn(mod, p.participant_id)
    start = mod.mark()
    result = await mod.ok("turn.extend", seconds=30, turn_id=turn["turn_id"])
    assert result == {"ends_at": turn["ends_at"] + 30_000}
    ev = await mod.wait_event("turn.extended", has(turn_id=turn["turn_id"]), start=start)
    assert ev["data"]["ends_at"] == turn["ends_at"] + 30_000
    await mod.fail("turn.extend", "bad_command", seconds=601)
    await mod.fail("turn.extend", "bad_command", seconds=0)
    await mod.ok("turn.end", turn_id=turn["turn_id"])
    ev = await mod.wait_event("turn.ended", has(turn_id=turn["turn_id"]))
    assert ev["data"]["reason"] == "moderator"
    await mod.fail("turn.extend", "conflict", seconds=30, turn_id=turn["turn_id"])


async def test_each_agenda_item_keeps_its_own_queue_and_balance(room: Room) -> None:
    mod = await room.moderator()
    ps = await people(room, ["s1", "s2", "o1"])
    await mod.ok("session.start")
    await ps["s1"][1].ok("hand.raise", stance="support")
    await speak(mod, ps["s1"][1], ps["s1"][0].participant_id)
    await ps["s2"][1].ok("hand.raise", stance="support")
    await ps["s1"][1].ok("hand.raise", stance="support")
    turn = await start_turn(mod, ps["s2"][0].participant_id)
    before = await room.snapshot()

    # agenda.goto ends a running turn (reason moderator).
    start = mod.mark()
    await mod.ok("agenda.goto", index=1)
    ev = await mod.wait_event("turn.ended", has(turn_id=turn["turn_id"]), start=start)
    assert ev["data"]["reason"] == "moderator"
    ev = await mod.wait_event("agenda.changed", start=start)
    assert ev["data"]["current"] == 1
    snap = await room.snapshot()
    assert snap["room"]["agenda"]["current"] == 1
    assert snap["queue"]["support"] == [] and snap["queue"]["next"] is None
    assert all(v == {"turns": 0, "ms": 0} for v in snap["balance"].values())
    # Stance is per item: s1 may take another side here.
    await ps["s1"][1].ok("hand.raise", stance="oppose")
    await ps["o1"][1].ok("hand.raise", stance="oppose")

    await mod.ok("agenda.goto", index=0)
    snap = await room.snapshot()
    assert pids(snap["queue"]["support"]) == pids(before["queue"]["support"])
    assert snap["balance"]["support"]["turns"] == 2  # s1's turn and s2's ended turn
    assert snap["queue"]["oppose"] == []
    await mod.fail("agenda.goto", "bad_command", index="one")

"""Hands, turns, statements, expiry and the absent floor holder
(PROTOCOL.md, "Stances and the speaking queue")."""

from __future__ import annotations

import pytest
from roombuilder import T0, Room, of_type, only, pids, types
from yishi.core.context import QUEUE_INTERVAL_MS
from yishi.core.reducer import next_deadline

# -- hand.raise / hand.lower ------------------------------------------------------------


def test_raise_with_the_same_stance_is_a_no_op_success(room: Room) -> None:
    a, b = room.residents("a", "b")
    room.raise_hand(a, "support")
    room.raise_hand(b, "support")
    before = room.queue()
    outcome = room.send(a, "hand.raise", stance="support")
    assert outcome.ok and outcome.result == {"position": 1}
    assert outcome.events == ()
    assert room.queue() == before


def test_raise_with_another_stance_moves_to_the_end_of_that_side(room: Room) -> None:
    a, b, c = room.residents("a", "b", "c")
    room.raise_hand(a, "support")
    room.raise_hand(b, "oppose")
    room.raise_hand(c, "oppose")
    room.wait(QUEUE_INTERVAL_MS)  # past the window: announced at once
    outcome = room.send(a, "hand.raise", stance="oppose")
    assert outcome.result == {"position": 3}
    data = only(outcome.events, "queue.changed").data
    assert data["support"] == []
    assert pids(data["oppose"]) == [b, c, a]
    assert data["oppose"][2]["raised_at"] == outcome.events[0].at


def test_raise_while_holding_the_floor_is_conflict(room: Room) -> None:
    (a,) = room.residents("a")
    room.ok(room.mod, "turn.grant", participant_id=a)
    room.fail(a, "hand.raise", "conflict", stance="oppose")


def test_raise_before_the_session_starts_is_conflict(pending_room: Room) -> None:
    (a,) = pending_room.residents("a")
    pending_room.fail(a, "hand.raise", "conflict", stance="support")
    pending_room.ok(pending_room.mod, "session.start")
    assert pending_room.raise_hand(a, "support") == {"position": 1}


def test_lower_when_not_waiting_succeeds_and_does_nothing(room: Room) -> None:
    (a,) = room.residents("a")
    outcome = room.send(a, "hand.lower")
    assert outcome.ok and outcome.result == {} and outcome.events == ()
    room.raise_hand(a, "neutral")
    room.wait(QUEUE_INTERVAL_MS)
    outcome = room.send(a, "hand.lower")
    assert only(outcome.events, "queue.changed").data["neutral"] == []


# -- a rush of hands ----------------------------------------------------------------------


def test_hands_inside_the_window_are_announced_once_when_it_ends(room: Room) -> None:
    a, b, c = room.residents("a", "b", "c")
    first = room.send(a, "hand.raise", stance="support")
    assert types(first.events) == ["queue.changed"]  # the first is announced at once
    started = first.events[0].at
    for pid, stance in ((b, "oppose"), (c, "support")):
        outcome = room.send(pid, "hand.raise", stance=stance)
        assert outcome.ok and outcome.events == ()
    lowered = room.send(a, "hand.lower")
    assert lowered.ok and lowered.events == ()
    assert room.tick_when_due() is not None
    assert room.now == started + QUEUE_INTERVAL_MS
    data = only(room.outcomes[-1].events, "queue.changed").data
    assert pids(data["support"]) == [c] and pids(data["oppose"]) == [b]
    assert room.tick_when_due() is None  # nothing more is due


def test_a_moderator_action_inside_the_window_announces_at_once(room: Room) -> None:
    a, b = room.residents("a", "b")
    room.raise_hand(a, "support")
    room.raise_hand(b, "oppose")  # due, not yet announced
    started = room.next_turn()
    outcome = room.outcomes[-1]
    assert started.data["participant_id"] == a
    assert pids(only(outcome.events, "queue.changed").data["oppose"]) == [b]
    assert next_deadline(room.state) == started.data["ends_at"]  # no queue due


def test_hands_in_rooms_made_under_the_first_rules_announce_every_time() -> None:
    """Replaying an old room's log gives the events its clients saw."""
    room = Room.create(start=True, rules_version=1)
    a, b = room.residents("a", "b")
    room.raise_hand(a, "support")
    outcome = room.send(b, "hand.raise", stance="oppose")
    assert pids(only(outcome.events, "queue.changed").data["oppose"]) == [b]


def test_staff_raise_and_lower_hands_on_behalf_of_residents(room: Room) -> None:
    (a,) = room.residents("a")
    clerk = room.staff("clerk", "书记员")
    hall, other = room.in_hall("王阿姨"), room.in_hall("李叔叔")
    assert room.ok(clerk, "hand.raise", stance="oppose", on_behalf_of=hall) == {"position": 1}
    assert room.ok(room.mod, "hand.raise", stance="oppose", on_behalf_of=other) == {"position": 2}
    room.raise_hand(a, "oppose")
    assert pids(room.queue()["oppose"]) == [hall, other, a]
    room.ok(clerk, "hand.lower", on_behalf_of=hall)
    assert pids(room.queue()["oppose"]) == [other, a]


@pytest.mark.parametrize("who", ["moderator", "clerk", "office", "observer"])
def test_non_residents_may_not_raise_their_own_hand(room: Room, who: str) -> None:
    pid = (
        room.mod
        if who == "moderator"
        else (room.join("o", observer=True) if who == "observer" else room.staff(who, who))
    )
    room.fail(pid, "hand.raise", "forbidden", stance="support")
    room.fail(pid, "hand.lower", "forbidden")


def test_on_behalf_of_is_for_staff_and_residents_only(room: Room) -> None:
    a, b = room.residents("a", "b")
    obs = room.join("o", observer=True)
    office = room.staff("office", "街道办")
    clerk = room.staff("clerk", "书记员")
    room.fail(a, "hand.raise", "forbidden", stance="support", on_behalf_of=b)
    room.fail(office, "hand.raise", "forbidden", stance="support", on_behalf_of=b)
    room.fail(clerk, "hand.raise", "forbidden", stance="support", on_behalf_of=obs)
    room.fail(clerk, "hand.raise", "forbidden", stance="support", on_behalf_of=office)
    room.fail(clerk, "hand.raise", "not_found", stance="support", on_behalf_of="u999")
    # acting "on behalf of" oneself is acting for oneself
    assert room.ok(a, "hand.raise", stance="support", on_behalf_of=a) == {"position": 1}


# -- turn.next / turn.grant / turn.end / turn.extend / turn.yield ---------------------------


def test_turn_next_with_nobody_waiting_is_conflict(room: Room) -> None:
    room.fail(room.mod, "turn.next", "conflict")


def test_turn_next_and_grant_while_a_turn_runs_are_conflict(room: Room) -> None:
    a, b = room.residents("a", "b")
    room.raise_hand(a, "support")
    room.raise_hand(b, "oppose")
    turn = room.next_turn()
    room.fail(room.mod, "turn.next", "conflict")
    room.fail(room.mod, "turn.grant", "conflict", participant_id=b)
    room.end_turn(turn_id=turn.data["turn_id"])
    assert room.next_turn().data["participant_id"] == b


def test_turn_next_gives_the_floor_and_removes_the_queue_entry(room: Room) -> None:
    (a,) = room.residents("a")
    room.raise_hand(a, "oppose", note="电梯噪音")
    outcome = room.send(room.mod, "turn.next")
    assert types(outcome.events) == ["turn.started", "queue.changed"]
    started = outcome.events[0].data
    assert outcome.result == {"turn_id": started["turn_id"]}
    assert started["participant_id"] == a and started["name"] == "a"
    assert started["stance"] == "oppose" and started["override"] is False
    assert started["ends_at"] - started["started_at"] == 120_000
    assert started["started_at"] == outcome.events[0].at
    assert outcome.events[1].data["oppose"] == [] and outcome.events[1].data["next"] is None
    assert room.snapshot(a)["turn"] == started


def test_turn_grant_is_an_override_and_takes_the_waiting_stance(room: Room) -> None:
    a, b, c = room.residents("a", "b", "c")
    obs = room.join("o", observer=True)
    room.raise_hand(a, "support")
    room.raise_hand(b, "oppose")
    started = only(room.send(room.mod, "turn.grant", participant_id=b).events, "turn.started")
    assert started.data["override"] is True and started.data["stance"] == "oppose"
    assert pids(room.queue()["oppose"]) == []
    assert pids(room.queue()["support"]) == [a]
    ended = room.end_turn()
    assert ended.data["override"] is True and ended.data["stance"] == "oppose"
    # not waiting: neutral unless a stance is given
    started = only(room.send(room.mod, "turn.grant", participant_id=c).events, "turn.started")
    assert started.data["stance"] == "neutral"
    room.end_turn()
    started = only(
        room.send(room.mod, "turn.grant", participant_id=a, stance="oppose").events, "turn.started"
    )
    assert started.data["stance"] == "oppose"
    assert room.queue()["support"] == []
    room.end_turn()
    room.fail(room.mod, "turn.grant", "conflict", participant_id=obs)
    room.fail(room.mod, "turn.grant", "not_found", participant_id="u404")
    room.fail(a, "turn.grant", "forbidden", participant_id=a)


def test_turn_end_with_a_stale_id_is_conflict(room: Room) -> None:
    a, b = room.residents("a", "b")
    room.raise_hand(a, "support")
    first = room.next_turn().data["turn_id"]
    room.end_turn()
    room.fail(room.mod, "turn.end", "conflict", turn_id=first)
    room.raise_hand(b, "support")
    second = room.next_turn().data["turn_id"]
    room.fail(room.mod, "turn.end", "conflict", turn_id=first)
    room.fail(room.mod, "turn.extend", "conflict", turn_id=first, seconds=30)
    room.fail(a, "turn.end", "forbidden", turn_id=second)
    ended = room.end_turn(turn_id=second)
    assert ended.data["reason"] == "moderator"
    room.fail(room.mod, "turn.end", "conflict")
    room.fail(room.mod, "turn.extend", "conflict", seconds=30)


def test_turn_extend_moves_the_deadline_and_the_expiry_counts_it(room: Room) -> None:
    (a,) = room.residents("a")
    room.raise_hand(a, "support")
    started = room.next_turn().data
    outcome = room.send(room.mod, "turn.extend", seconds=30, turn_id=started["turn_id"])
    new_end = started["ends_at"] + 30_000
    assert outcome.result == {"ends_at": new_end}
    extended = only(outcome.events, "turn.extended").data
    assert extended == {**started, "ends_at": new_end}
    assert room.deadline() == new_end
    room.ok(room.mod, "turn.extend", seconds=600)
    new_end += 600_000
    assert room.tick(at=started["ends_at"] + 1).events == ()  # the old deadline means nothing
    ended = only(room.tick(at=new_end + 5_000).events, "turn.ended").data
    assert ended["reason"] == "expired"
    assert ended["duration_ms"] == new_end - started["started_at"]
    assert room.balance()["support"] == {"turns": 1, "ms": 750_000}


def test_turn_yield_ends_the_holders_own_turn(room: Room) -> None:
    a, b = room.residents("a", "b")
    room.raise_hand(a, "neutral")
    started = room.next_turn()
    room.fail(b, "turn.yield", "conflict")
    room.fail(room.mod, "turn.yield", "conflict")
    outcome = room.send(a, "turn.yield", at=started.at + 4_321)
    assert types(outcome.events) == ["turn.ended", "queue.changed"]
    ended = outcome.events[0].data
    assert ended["reason"] == "yielded" and ended["duration_ms"] == 4_321
    assert ended["balance"]["neutral"] == {"turns": 1, "ms": 4_321}
    room.fail(a, "turn.yield", "conflict")


# -- expiry ------------------------------------------------------------------------------------


def test_next_deadline_is_the_turns_end_and_a_tick_on_time_expires_it(room: Room) -> None:
    (a,) = room.residents("a")
    assert room.deadline() is None
    room.raise_hand(a, "support")
    started = room.next_turn().data
    assert room.deadline() == started["ends_at"]
    assert room.tick(at=started["ends_at"] - 1).events == ()
    outcome = room.tick(at=started["ends_at"])
    ended = only(outcome.events, "turn.ended")
    assert ended.data["reason"] == "expired" and ended.data["duration_ms"] == 120_000
    assert room.deadline() is None


@pytest.mark.parametrize("late_ms", [1, 7_000, 3_600_000])
def test_a_late_tick_still_counts_exactly_ends_at_minus_started_at(
    room: Room, late_ms: int
) -> None:
    (a,) = room.residents("a")
    room.raise_hand(a, "support")
    started = room.next_turn().data
    outcome = room.tick(at=started["ends_at"] + late_ms)
    ended = only(outcome.events, "turn.ended")
    assert ended.at == started["ends_at"] + late_ms  # stamped by the entry that noticed
    assert ended.data["duration_ms"] == started["ends_at"] - started["started_at"]
    assert ended.data["balance"]["support"] == {"turns": 1, "ms": 120_000}


def test_any_late_entry_expires_the_turn_before_its_own_effect(room: Room) -> None:
    a, b = room.residents("a", "b")
    room.raise_hand(a, "support")
    started = room.next_turn().data
    late = started["ends_at"] + 10_000
    outcome = room.send(b, "chat.send", text="时间到了", at=late)
    assert types(outcome.events) == ["turn.ended", "queue.changed", "chat.posted"]
    assert outcome.events[0].data["duration_ms"] == 120_000
    # the holder's own late commands meet a room where the turn is over
    room.raise_hand(b, "support")
    started = room.next_turn().data
    outcome = room.send(b, "statement.post", text="还没说完", at=started["ends_at"] + 1)
    assert outcome.error is not None and outcome.error.code.value == "conflict"
    assert only(outcome.events, "turn.ended").data["reason"] == "expired"
    # and a moderator's late turn.end finds no turn to end
    room.raise_hand(a, "support")
    started = room.next_turn().data
    outcome = room.send(room.mod, "turn.end", at=started["ends_at"] + 1)
    assert outcome.error is not None and outcome.error.code.value == "conflict"
    assert only(outcome.events, "turn.ended").data["reason"] == "expired"


def test_turn_seconds_sets_the_limit_of_new_turns(room: Room) -> None:
    (a,) = room.residents("a")
    room.ok(room.mod, "settings.update", turn_seconds=1)
    room.raise_hand(a, "support")
    started = room.next_turn().data
    assert started["ends_at"] - started["started_at"] == 1_000
    ended = only(room.tick(at=started["started_at"] + 1_000).events, "turn.ended")
    assert ended.data["duration_ms"] == 1_000


# -- the absent floor holder -------------------------------------------------------------------


def test_a_holder_offline_for_20_s_loses_the_floor(room: Room) -> None:
    (a,) = room.residents("a")
    room.raise_hand(a, "support")
    started = room.next_turn().data
    gone = room.offline(a, at=started["started_at"] + 5_000)
    assert only(gone.events, "participant.updated").data["online"] is False
    assert room.deadline() == started["started_at"] + 25_000
    assert room.tick(at=started["started_at"] + 24_999).events == ()
    outcome = room.tick(at=started["started_at"] + 40_000)
    ended = only(outcome.events, "turn.ended").data
    assert ended["reason"] == "left"
    assert ended["duration_ms"] == 25_000
    assert room.balance()["support"] == {"turns": 1, "ms": 25_000}


def test_a_holder_back_within_20_s_keeps_the_floor(room: Room) -> None:
    (a,) = room.residents("a")
    room.raise_hand(a, "support")
    started = room.next_turn().data
    room.offline(a, at=started["started_at"] + 1_000)
    room.online(a, node="n2", at=started["started_at"] + 20_999)
    assert room.deadline() == started["ends_at"]
    assert only(room.tick(at=started["ends_at"]).events, "turn.ended").data["reason"] == "expired"


def test_a_holder_with_a_socket_on_another_node_stays_online(room: Room) -> None:
    (a,) = room.residents("a")
    room.online(a, node="n2")
    room.raise_hand(a, "support")
    started = room.next_turn().data
    outcome = room.offline(a, node="n1")
    assert outcome.events == ()  # still online on n2
    assert room.deadline() == started["ends_at"]


def test_a_dead_node_takes_its_only_sockets_offline(room: Room) -> None:
    a, b = room.residents("a", "b")
    room.online(b, node="n2")
    room.raise_hand(a, "oppose")
    started = room.next_turn().data
    outcome = room.system("node.gone", {"node": "n1"}, at=started["started_at"] + 1_000)
    offline = {e.data["participant_id"] for e in of_type(outcome.events, "participant.updated")}
    assert offline == {room.mod, a}  # b is still on n2
    ended = only(room.tick(at=started["started_at"] + 21_000).events, "turn.ended").data
    assert ended["reason"] == "left" and ended["duration_ms"] == 21_000


def test_an_attendee_in_the_hall_never_loses_the_floor(room: Room) -> None:
    hall = room.in_hall("李大爷")
    clerk = room.staff("clerk", "书记员")
    room.ok(clerk, "hand.raise", stance="oppose", on_behalf_of=hall)
    started = room.next_turn().data
    assert room.deadline() == started["ends_at"]
    assert room.tick(at=started["started_at"] + 60_000).events == ()
    room.ok(clerk, "statement.post", text="我反对", on_behalf_of=hall)
    ended = only(room.tick(at=started["ends_at"]).events, "turn.ended").data
    assert ended["reason"] == "expired"


def test_a_holder_who_never_connected_loses_the_floor_after_20_s(room: Room) -> None:
    a = room.join("a", online=False)  # joined over HTTP, never opened a socket
    started = only(room.send(room.mod, "turn.grant", participant_id=a).events, "turn.started").data
    assert room.deadline() is not None and room.deadline() <= started["started_at"] + 20_000
    ended = only(room.tick(at=started["started_at"] + 30_000).events, "turn.ended").data
    assert ended["reason"] == "left"


# -- statements ----------------------------------------------------------------------------------


def test_statements_come_from_the_floor_holder(room: Room) -> None:
    a, b = room.residents("a", "b")
    clerk = room.staff("clerk", "书记员")
    room.fail(a, "statement.post", "conflict", text="没人发言")
    room.raise_hand(a, "support")
    turn_id = room.next_turn().data["turn_id"]
    outcome = room.send(a, "statement.post", text="  支持加装  ")
    posted = only(outcome.events, "statement.posted").data
    assert outcome.result == {"statement_id": posted["statement_id"]}
    assert posted == {
        "statement_id": posted["statement_id"],
        "turn_id": turn_id,
        "participant_id": a,
        "text": "支持加装",
        "at": outcome.events[0].at,
        "by": a,
    }
    room.fail(b, "statement.post", "conflict", text="插话")
    room.fail(a, "statement.post", "forbidden", text="替别人", on_behalf_of=b)
    # the holder is not in the hall: the clerk does not speak for them
    room.fail(clerk, "statement.post", "forbidden", text="代发")
    room.fail(a, "statement.post", "too_large", text="长" * 2001)
    assert room.ok(a, "statement.post", text="长" * 2000)


def test_a_clerk_posts_for_an_offline_floor_holder(room: Room) -> None:
    hall = room.in_hall("张奶奶")
    clerk = room.staff("clerk", "书记员")
    room.ok(room.mod, "turn.grant", participant_id=hall, stance="support")
    outcome = room.send(clerk, "statement.post", text="同意", on_behalf_of=hall)
    assert only(outcome.events, "statement.posted").data["participant_id"] == hall
    assert room.ok(clerk, "statement.post", text="补充一句")


@pytest.mark.parametrize("who", ["observer", "office"])
def test_roles_that_may_not_speak_get_forbidden(room: Room, who: str) -> None:
    pid = room.join("o", observer=True) if who == "observer" else room.staff(who, who)
    (a,) = room.residents("a")
    room.raise_hand(a, "support")
    room.next_turn()
    room.fail(pid, "statement.post", "forbidden", text="我也说两句")
    room.fail(pid, "turn.yield", "forbidden")


def test_only_a_clerk_posts_for_an_offline_floor_holder(room: Room) -> None:
    hall = room.in_hall("张奶奶")
    room.ok(room.mod, "turn.grant", participant_id=hall, stance="support")
    room.fail(room.mod, "statement.post", "forbidden", text="代发", on_behalf_of=hall)


# -- what ends a running turn -------------------------------------------------------------------


def test_agenda_goto_ends_the_running_turn(room: Room) -> None:
    room.ok(room.mod, "agenda.set", items=["第一项", "第二项"])
    (a,) = room.residents("a")
    room.raise_hand(a, "oppose")
    started = room.next_turn()
    outcome = room.send(room.mod, "agenda.goto", index=1, at=started.at + 3_000)
    assert types(outcome.events) == [
        "turn.ended",
        "queue.changed",
        "agenda.changed",
        "queue.changed",
    ]
    ended = outcome.events[0].data
    assert ended["reason"] == "moderator" and ended["duration_ms"] == 3_000
    assert room.snapshot(room.mod)["turn"] is None
    room.fail(room.mod, "agenda.goto", "not_found", index=2)


def test_session_end_ends_the_running_turn(room: Room) -> None:
    (a,) = room.residents("a")
    room.raise_hand(a, "support")
    started = room.next_turn()
    outcome = room.send(room.mod, "session.end", at=started.at + 9_000)
    assert types(outcome.events) == ["turn.ended", "queue.changed", "session.ended"]
    assert outcome.events[0].data["reason"] == "moderator"
    assert outcome.events[0].data["duration_ms"] == 9_000


def test_removing_the_floor_holder_ends_the_turn_and_their_hands(room: Room) -> None:
    room.ok(room.mod, "agenda.set", items=["一", "二"])
    a, b = room.residents("a", "b")
    room.raise_hand(a, "support")
    room.ok(room.mod, "agenda.goto", index=1)
    room.raise_hand(b, "oppose")
    room.ok(room.mod, "turn.grant", participant_id=a)
    outcome = room.send(room.mod, "participant.remove", participant_id=a)
    assert types(outcome.events) == ["turn.ended", "queue.changed", "participant.updated"]
    assert outcome.events[0].data["reason"] == "moderator"
    assert outcome.events[2].data["removed"] is True
    # a waiting participant leaves every item's queue
    room.ok(room.mod, "participant.remove", participant_id=b)
    assert room.queue()["oppose"] == []
    room.ok(room.mod, "agenda.goto", index=0)
    assert room.queue()["support"] == []
    room.fail(a, "hand.raise", "unauthorized", stance="support")
    room.fail(room.mod, "participant.remove", "not_found", participant_id=a)
    room.fail(room.mod, "participant.remove", "conflict", participant_id=room.mod)


# -- per agenda item ---------------------------------------------------------------------------------


def test_each_agenda_item_keeps_its_own_queue_balance_and_turn_counts(room: Room) -> None:
    room.ok(room.mod, "agenda.set", items=["选址", "费用"])
    a, b, c = room.residents("a", "b", "c")
    room.raise_hand(a, "support")
    room.speak(30_000)
    room.raise_hand(a, "support")
    room.raise_hand(b, "support")
    assert pids(room.queue()["support"]) == [b, a]
    outcome = room.send(room.mod, "agenda.goto", index=1)
    changed = only(outcome.events, "agenda.changed").data
    assert changed["current"] == 1
    assert changed["balance"]["support"] == {"turns": 0, "ms": 0}
    assert room.queue()["support"] == [] and room.queue()["next"] is None
    # on this item a has not spoken yet: earliest raise first
    room.raise_hand(a, "support")
    room.raise_hand(c, "support")
    assert pids(room.queue()["support"]) == [a, c]
    room.raise_hand(b, "oppose")
    started, _ = room.speak(1_000)
    assert started.data["participant_id"] == a  # a full tie on this item: support first
    assert room.balance()["support"] == {"turns": 1, "ms": 1_000}
    assert room.queue()["next"]["participant_id"] == b
    room.ok(room.mod, "agenda.goto", index=0)
    assert pids(room.queue()["support"]) == [b, a]
    assert room.balance() == {
        "support": {"turns": 1, "ms": 30_000},
        "oppose": {"turns": 0, "ms": 0},
        "neutral": {"turns": 0, "ms": 0},
    }
    assert T0 < room.now

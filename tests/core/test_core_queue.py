"""The speaking queue's policies: `balanced` and its tie-breaks, `alternate`'s four
rules, the order within a side (PROTOCOL.md, "Stances and the speaking queue")."""

from __future__ import annotations

import pytest
from roombuilder import Room, only, pids


def speak(room: Room, pid: str, ms: int) -> None:
    """`turn.next` must pick ``pid``; the turn then lasts exactly ``ms``."""
    assert room.queue()["next"]["participant_id"] == pid
    started, _ended = room.speak(ms)
    assert started.data["participant_id"] == pid
    assert started.data["override"] is False


def alone(room: Room, pid: str, stance: str, ms: int) -> None:
    """``pid`` raises a hand while nobody else waits, and speaks ``ms``."""
    room.raise_hand(pid, stance)
    speak(room, pid, ms)


# -- balanced ------------------------------------------------------------------------------


def test_balanced_is_the_default_and_picks_the_side_with_least_time(room: Room) -> None:
    s1, s2, o1, o2, n1 = room.residents("s1", "s2", "o1", "o2", "n1")
    assert room.snapshot(room.mod)["room"]["settings"]["policy"] == "balanced"
    alone(room, s1, "support", 30_000)
    alone(room, o1, "oppose", 10_000)
    # given support 30 s, oppose 10 s, neutral never spoke
    room.raise_hand(s2, "support")
    room.raise_hand(o2, "oppose")
    room.raise_hand(n1, "neutral")
    # then neutral (0 ms) goes first, then oppose (10 s < 30 s)
    speak(room, n1, 40_000)
    assert room.balance() == {
        "support": {"turns": 1, "ms": 30_000},
        "oppose": {"turns": 1, "ms": 10_000},
        "neutral": {"turns": 1, "ms": 40_000},
    }
    speak(room, o2, 5_000)
    speak(room, s2, 1_000)


def test_balanced_time_tie_goes_to_the_side_with_fewer_turns(room: Room) -> None:
    s1, s2, o1, s3, o2 = room.residents("s1", "s2", "o1", "s3", "o2")
    alone(room, s1, "support", 10_000)
    alone(room, s2, "support", 10_000)
    alone(room, o1, "oppose", 20_000)
    # given 20 s each; support in 2 turns, oppose in 1 (and oppose spoke last)
    room.raise_hand(s3, "support")
    room.raise_hand(o2, "oppose")
    # then oppose, the side with fewer turns, beats support's rank and recency
    speak(room, o2, 1)


def test_balanced_time_and_turns_tie_goes_to_the_least_recent_side(room: Room) -> None:
    o1, s1, s2, o2 = room.residents("o1", "s1", "s2", "o2")
    alone(room, o1, "oppose", 15_000)
    alone(room, s1, "support", 15_000)
    # given one 15 s turn each, oppose's ended first
    room.raise_hand(s2, "support")
    room.raise_hand(o2, "oppose")
    # then oppose, which spoke least recently, beats support's rank
    speak(room, o2, 15_000)
    speak(room, s2, 15_000)


def test_balanced_full_tie_goes_to_support_then_oppose_then_neutral(room: Room) -> None:
    n1, o1, s1 = room.residents("n1", "o1", "s1")
    # raised in the reverse of the rank order
    room.raise_hand(n1, "neutral")
    room.raise_hand(o1, "oppose")
    room.raise_hand(s1, "support")
    assert room.queue()["next"]["participant_id"] == s1
    room.next_turn()
    room.end_turn()
    # support has spoken now (1 ms): oppose, then neutral, are tied at 0 ms, 0 turns
    speak(room, o1, 0)
    speak(room, n1, 0)


def test_balanced_equal_recency_falls_back_to_rank(room: Room) -> None:
    s1, o1, s2, o2 = room.residents("s1", "o1", "s2", "o2")
    room.raise_hand(s1, "support")
    room.raise_hand(o1, "oppose")
    # two zero-length turns ending at the same instant: ms, turns and recency all tie
    at = room.now + 1
    started = room.next_turn(at=at)
    room.end_turn(at=at)
    room.next_turn(at=at)
    room.end_turn(at=at)
    assert started.data["participant_id"] == s1
    room.raise_hand(o2, "oppose")
    room.raise_hand(s2, "support")
    speak(room, s2, 0)


def test_balanced_counts_only_finished_turns_and_counts_overrides(room: Room) -> None:
    s1, o1, s2, o2 = room.residents("s1", "o1", "s2", "o2")
    # an override turn for oppose, 30 s
    started = room.send(room.mod, "turn.grant", participant_id=o1, stance="oppose").events[0]
    room.raise_hand(s1, "support")
    room.raise_hand(o2, "oppose")
    # while it runs nothing is counted yet: support still wins on rank only
    assert room.balance()["oppose"] == {"turns": 0, "ms": 0}
    ended = room.end_turn(at=started.at + 30_000)
    assert ended.data["override"] is True
    assert ended.data["balance"]["oppose"] == {"turns": 1, "ms": 30_000}
    room.raise_hand(s2, "support")
    speak(room, s1, 10_000)
    # support 10 s < oppose 30 s, so support again
    speak(room, s2, 10_000)
    speak(room, o2, 1)


# -- alternate ----------------------------------------------------------------------------


@pytest.fixture
def alt() -> Room:
    return Room.create(settings={"policy": "alternate"}, start=True)


def test_alternate_follows_its_four_rules(alt: Room) -> None:
    room = alt
    s1, s2, s3, o1, n1, n2, n3 = room.residents("s1", "s2", "s3", "o1", "n1", "n2", "n3")
    for pid in (s1, s2, s3):
        room.raise_hand(pid, "support")
    room.raise_hand(o1, "oppose")
    speak(room, s1, 1_000)  # (2) at the start: support
    room.raise_hand(n1, "neutral")
    room.raise_hand(n2, "neutral")
    speak(room, o1, 50_000)  # (2) opposite of support; (1) not yet: one s/o turn only
    speak(room, n1, 1_000)  # (1) a neutral waits, two s/o turns since the start
    speak(room, s2, 1_000)  # (2) opposite of the last s/o turn (oppose)
    speak(room, s3, 1_000)  # (3) nobody waits on oppose: the other side
    speak(room, n2, 1_000)  # (1) two s/o turns since the last neutral turn
    room.raise_hand(n3, "neutral")
    speak(room, n3, 1_000)  # (4) only neutral waits
    room.raise_hand(s1, "support")
    room.raise_hand(o1, "oppose")
    speak(room, o1, 1_000)  # (2) the last s/o turn was support (s3), neutral turns between
    speak(room, s1, 1_000)
    room.fail(room.mod, "turn.next", "conflict")


def test_alternate_rule_one_needs_a_waiting_neutral(alt: Room) -> None:
    room = alt
    s1, o1, s2, o2, s3, n1 = room.residents("s1", "o1", "s2", "o2", "s3", "n1")
    alone(room, s1, "support", 1_000)
    alone(room, o1, "oppose", 1_000)
    alone(room, s2, "support", 1_000)
    # three s/o turns, no neutral waiting; now one arrives along with both sides
    room.raise_hand(o2, "oppose")
    room.raise_hand(s3, "support")
    room.raise_hand(n1, "neutral")
    speak(room, n1, 1_000)
    speak(room, o2, 1_000)  # the opposite of s2's support
    speak(room, s3, 1_000)


def test_alternate_ignores_time_and_counts_override_turns(alt: Room) -> None:
    room = alt
    s1, o1, s2 = room.residents("s1", "o1", "s2")
    # an override support turn counts as the last s/o turn
    room.ok(room.mod, "turn.grant", participant_id=s1, stance="support")
    room.end_turn(at=room.now + 5_000)
    room.raise_hand(s2, "support")
    room.raise_hand(o1, "oppose")
    speak(room, o1, 100_000)  # oppose far longer than support: time plays no part
    room.raise_hand(o1, "oppose")
    speak(room, s2, 1)


def test_switching_policy_announces_the_new_next(room: Room) -> None:
    s1, o1, o2 = room.residents("s1", "o1", "o2")
    alone(room, s1, "support", 1_000)
    room.raise_hand(o1, "oppose")
    room.raise_hand(s1, "support")
    # balanced: oppose has no time at all
    assert room.queue()["next"]["participant_id"] == o1
    outcome = room.send(room.mod, "settings.update", policy="alternate")
    assert [e.type for e in outcome.events] == ["settings.changed", "queue.changed"]
    assert only(outcome.events, "queue.changed").data["next"]["participant_id"] == o1
    del o2


# -- within a side ----------------------------------------------------------------------------


def test_within_a_side_fewer_turns_first_then_earliest_raise(room: Room) -> None:
    s1, s2, s3 = room.residents("s1", "s2", "s3")
    room.raise_hand(s1, "support")
    room.raise_hand(s2, "support")
    speak(room, s1, 1_000)
    # s1 raises again before s3, but has spoken once on this item
    assert room.raise_hand(s1, "support") == {"position": 2}
    assert room.raise_hand(s3, "support") == {"position": 2}
    queue = room.queue()
    assert pids(queue["support"]) == [s2, s3, s1]
    assert queue["next"]["participant_id"] == s2
    speak(room, s2, 1)
    speak(room, s3, 1)
    speak(room, s1, 1)


def test_within_a_side_raises_at_the_same_instant_keep_log_order(room: Room) -> None:
    a, b, c = room.residents("a", "b", "c")
    at = room.now + 1
    for pid in (b, c, a):
        room.raise_hand(pid, "oppose", at=at)
    queue = room.queue()
    assert pids(queue["oppose"]) == [b, c, a]
    assert [e["raised_at"] for e in queue["oppose"]] == [at, at, at]
    assert room.ok(a, "hand.raise", stance="oppose") == {"position": 3}


def test_queue_changed_lists_each_side_in_pick_order_with_notes(room: Room) -> None:
    a, b = room.residents("a", "b")
    outcome = room.send(a, "hand.raise", stance="neutral", note="  关于费用分摊  ")
    data = only(outcome.events, "queue.changed").data
    assert data["neutral"] == [
        {
            "participant_id": a,
            "name": "a",
            "stance": "neutral",
            "raised_at": outcome.events[0].at,
            "note": "关于费用分摊",
            "away": False,
        }
    ]
    assert data["support"] == [] and data["oppose"] == []
    assert data["next"] == data["neutral"][0]
    room.raise_hand(b, "neutral")
    assert "note" not in room.queue()["neutral"][1]


# -- who has left (rules 7) ----------------------------------------------------------------


def test_a_waiting_resident_who_leaves_is_marked_away_and_the_list_says_so(room: Room) -> None:
    """A phone closed in the queue: the list is announced again with her marked, so
    nobody calls on her unawares; coming back clears the mark. The hall's own
    attendees, who have no socket, are never away."""
    a, b = room.residents("a", "b")
    hall = room.in_hall("王阿姨")
    room.raise_hand(a, "support")
    room.ok(room.mod, "hand.raise", stance="oppose", on_behalf_of=hall)
    room.tick(at=room.now + 1_000)
    assert room.queue()["support"][0]["away"] is False
    assert room.queue()["oppose"][0]["away"] is False
    gone = room.offline(a, at=room.now + 1_000)
    changed = only(gone.events, "queue.changed")
    assert changed.data["support"][0]["away"] is True
    assert changed.data["next"]["away"] is (changed.data["next"]["participant_id"] == a)
    view = room.snapshot(b)["queue"]
    assert view["support"][0]["away"] is True
    back = room.online(a, at=room.now + 1_000)
    assert only(back.events, "queue.changed").data["support"][0]["away"] is False
    # Someone not waiting comes and goes: the list is not announced for it.
    assert not [e for e in room.offline(b, at=room.now + 1_000).events if e.type == "queue.changed"]


def test_older_rooms_carry_no_away_mark() -> None:
    room = Room.create(start=True, rules_version=6)
    (a,) = room.residents("a")
    room.raise_hand(a, "support")
    room.tick(at=room.now + 1_000)
    assert "away" not in room.queue()["support"][0]
    assert not [e for e in room.offline(a, at=room.now + 1_000).events if e.type == "queue.changed"]

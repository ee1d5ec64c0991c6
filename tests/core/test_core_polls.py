"""Polls: kinds, ballots, who votes, eligibility, secrecy, live tallies
(PROTOCOL.md, "Votes")."""

from __future__ import annotations

import json

import pytest
from roombuilder import Room, of_type, only, types
from yishi.core.types import AudienceKind


def open_poll(room: Room, kind: str = "single", **kwargs: object) -> str:
    if kind != "yes_no_abstain" and "options" not in kwargs:
        kwargs["options"] = ["甲", "乙", "丙"]
    return str(room.ok(room.mod, "poll.open", question="选哪家", kind=kind, **kwargs)["poll_id"])


def test_poll_open_announces_the_poll(room: Room) -> None:
    (a,) = room.residents("a")
    outcome = room.send(
        room.mod,
        "poll.open",
        question="选哪家",
        kind="multi",
        options=["甲", "乙", "丙"],
        max_choices=2,
        live_results=True,
    )
    opened = only(outcome.events, "poll.opened").data
    assert outcome.result == {"poll_id": opened["poll_id"]}
    assert {
        k: opened[k]
        for k in ("question", "options", "kind", "max_choices", "secret", "live_results", "status")
    } == {
        "question": "选哪家",
        "options": ["甲", "乙", "丙"],
        "kind": "multi",
        "max_choices": 2,
        "secret": False,
        "live_results": True,
        "status": "open",
    }
    room.fail(a, "poll.open", "forbidden", question="q", kind="yes_no_abstain")


def test_poll_open_rejects_bad_shapes(room: Room) -> None:
    room.fail(room.mod, "poll.open", "bad_command", question="q", kind="single", options=["一"])
    room.fail(room.mod, "poll.open", "bad_command", question="q", kind="single")
    room.fail(
        room.mod, "poll.open", "bad_command", question="q", kind="multi", options=["一", "一"]
    )
    room.fail(
        room.mod,
        "poll.open",
        "bad_command",
        question="q",
        kind="multi",
        options=["一", "二"],
        max_choices=3,
    )
    room.fail(
        room.mod, "poll.open", "bad_command", question="q", kind="approval", options=["一", "二"]
    )
    room.fail(room.mod, "poll.open", "too_large", question="问" * 301, kind="yes_no_abstain")


def test_poll_open_before_the_session_is_conflict(pending_room: Room) -> None:
    pending_room.fail(
        pending_room.mod, "poll.open", "conflict", question="q", kind="yes_no_abstain"
    )


def test_single_takes_exactly_one_existing_choice(room: Room) -> None:
    (a,) = room.residents("a")
    poll = open_poll(room)
    room.fail(a, "poll.vote", "bad_command", poll_id=poll, choices=[])
    room.fail(a, "poll.vote", "bad_command", poll_id=poll, choices=[0, 1])
    room.fail(a, "poll.vote", "bad_command", poll_id=poll, choices=[3])
    room.fail(a, "poll.vote", "bad_command", poll_id=poll, choices=[-1])
    assert room.ok(a, "poll.vote", poll_id=poll, choices=[2]) == {}
    assert room.snapshot(a)["you"]["ballots"] == {poll: [2]}


def test_multi_takes_one_to_max_choices_distinct_choices(room: Room) -> None:
    a, b = room.residents("a", "b")
    poll = open_poll(room, "multi", options=["一", "二", "三", "四"], max_choices=2)
    room.fail(a, "poll.vote", "bad_command", poll_id=poll, choices=[])
    room.fail(a, "poll.vote", "bad_command", poll_id=poll, choices=[0, 1, 2])
    room.fail(a, "poll.vote", "bad_command", poll_id=poll, choices=[1, 1])
    room.ok(a, "poll.vote", poll_id=poll, choices=[3, 0])
    room.ok(b, "poll.vote", poll_id=poll, choices=[3])
    closed = room.ok(room.mod, "poll.close", poll_id=poll)
    assert closed["counts"] == [1, 0, 0, 2] and closed["voters"] == 2
    # without max_choices: up to every option
    poll = open_poll(room, "multi", options=["一", "二", "三"])
    room.ok(a, "poll.vote", poll_id=poll, choices=[0, 1, 2])


def test_yes_no_abstain_has_its_fixed_options(room: Room) -> None:
    (a,) = room.residents("a")
    outcome = room.send(
        room.mod, "poll.open", question="同意吗", kind="yes_no_abstain", options=["x", "y"]
    )
    opened = only(outcome.events, "poll.opened").data
    assert opened["options"] == ["赞成", "反对", "弃权"] and opened["max_choices"] == 1
    poll = opened["poll_id"]
    room.fail(a, "poll.vote", "bad_command", poll_id=poll, choices=[0, 2])
    room.fail(a, "poll.vote", "bad_command", poll_id=poll, choices=[3])
    room.ok(a, "poll.vote", poll_id=poll, choices=[2])


def test_one_ballot_per_participant_without_revote(room: Room) -> None:
    (a,) = room.residents("a")
    poll = open_poll(room)
    room.ok(a, "poll.vote", poll_id=poll, choices=[0])
    room.fail(a, "poll.vote", "conflict", poll_id=poll, choices=[1])
    # a second socket on another node is the same participant
    room.online(a, node="n2")
    room.fail(a, "poll.vote", "conflict", poll_id=poll, choices=[0])
    assert room.ok(room.mod, "poll.close", poll_id=poll)["counts"] == [1, 0, 0]


def test_with_revote_a_new_ballot_replaces_the_old_until_close() -> None:
    room = Room.create(settings={"revote": True}, start=True)
    a, b = room.residents("a", "b")
    poll = open_poll(room, "multi", max_choices=2)
    room.ok(a, "poll.vote", poll_id=poll, choices=[0, 1])
    room.ok(b, "poll.vote", poll_id=poll, choices=[1])
    room.ok(a, "poll.vote", poll_id=poll, choices=[2])
    assert room.snapshot(a)["you"]["ballots"] == {poll: [2]}
    closed = room.ok(room.mod, "poll.close", poll_id=poll)
    assert closed == {"counts": [0, 1, 1], "voters": 2, "eligible": 2}
    room.fail(a, "poll.vote", "conflict", poll_id=poll, choices=[0])


def test_closed_and_unknown_polls(room: Room) -> None:
    (a,) = room.residents("a")
    poll = open_poll(room)
    outcome = room.send(room.mod, "poll.close", poll_id=poll)
    assert outcome.result == {"counts": [0, 0, 0], "voters": 0, "eligible": 1}
    assert only(outcome.events, "poll.closed").data == {"poll_id": poll, **outcome.result}
    room.fail(a, "poll.vote", "conflict", poll_id=poll, choices=[0])
    room.fail(room.mod, "poll.close", "conflict", poll_id=poll)
    room.fail(room.mod, "poll.close", "not_found", poll_id="p999")
    room.fail(a, "poll.vote", "not_found", poll_id="p999", choices=[0])
    room.fail(a, "poll.close", "forbidden", poll_id=poll)


def test_eligible_is_who_was_present_at_open_plus_later_voters(room: Room) -> None:
    a, b = room.residents("a", "b")
    away = room.join("away", online=False)
    gone = room.join("gone")
    room.offline(gone)
    removed = room.join("removed")
    room.ok(room.mod, "participant.remove", participant_id=removed)
    room.join("obs", observer=True)
    room.staff("clerk", "书记员")
    room.staff("office", "街道办")
    hall = room.in_hall("在场的")
    poll = open_poll(room)
    # present residents: a, b, the attendee in the hall (not staff, observers, absentees)
    assert room.snapshot(a)["polls"][0]["eligible"] == 3
    late = room.join("late")  # present now, but not when the poll opened
    room.ok(a, "poll.vote", poll_id=poll, choices=[0])
    room.online(away)
    room.ok(away, "poll.vote", poll_id=poll, choices=[1])
    closed = room.ok(room.mod, "poll.close", poll_id=poll)
    assert closed["voters"] == 2 and closed["eligible"] == 4
    del b, hall, late


@pytest.mark.parametrize("who", ["moderator", "clerk", "office", "observer"])
def test_only_residents_vote_for_themselves(room: Room, who: str) -> None:
    pid = (
        room.mod
        if who == "moderator"
        else (room.join("o", observer=True) if who == "observer" else room.staff(who, who))
    )
    poll = open_poll(room)
    room.fail(pid, "poll.vote", "forbidden", poll_id=poll, choices=[0])


def test_a_clerk_votes_for_an_attendee_in_the_hall_only(room: Room) -> None:
    a, b = room.residents("a", "b")
    clerk = room.staff("clerk", "书记员")
    hall = room.in_hall("赵奶奶")
    poll = open_poll(room)
    room.ok(clerk, "poll.vote", poll_id=poll, choices=[1], on_behalf_of=hall)
    room.fail(clerk, "poll.vote", "conflict", poll_id=poll, choices=[0], on_behalf_of=hall)
    room.fail(clerk, "poll.vote", "forbidden", poll_id=poll, choices=[0], on_behalf_of=a)
    room.fail(clerk, "poll.vote", "not_found", poll_id=poll, choices=[0], on_behalf_of="u999")
    room.fail(room.mod, "poll.vote", "forbidden", poll_id=poll, choices=[0], on_behalf_of=hall)
    room.fail(b, "poll.vote", "forbidden", poll_id=poll, choices=[0], on_behalf_of=a)
    assert room.ok(room.mod, "poll.close", poll_id=poll)["counts"] == [0, 1, 0]


def test_an_open_ballot_poll_shows_ballots_to_moderators_only(room: Room) -> None:
    (a,) = room.residents("a")
    clerk = room.staff("clerk", "书记员")
    poll = open_poll(room)
    outcome = room.send(a, "poll.vote", poll_id=poll, choices=[1])
    ballot = only(outcome.events, "poll.ballot")
    assert ballot.data == {"poll_id": poll, "participant_id": a, "choices": [1]}
    assert ballot.audience.kind is AudienceKind.MODERATORS
    assert ballot in room.visible_to(room.mod)
    assert ballot not in room.visible_to(a) and ballot not in room.visible_to(clerk)
    assert room.snapshot(room.mod)["polls"][0]["ballots"] == {a: [1]}
    assert "ballots" not in room.snapshot(clerk)["polls"][0]


def test_a_secret_poll_reveals_no_ballot_in_any_event_or_snapshot() -> None:
    # Rules 3 (ballots in clear in the log); rules 4 seal them: test_core_sealed_ballots.
    room = Room.create(settings={"revote": True}, start=True, rules_version=3)
    a, b = room.residents("a", "b")
    clerk = room.staff("clerk", "书记员")
    hall = room.in_hall("钱大爷")
    poll = open_poll(room, "multi", secret=True, live_results=True)
    first_event = room.state.event_seq
    room.ok(a, "poll.vote", poll_id=poll, choices=[0, 2])
    room.ok(b, "poll.vote", poll_id=poll, choices=[1], at=room.now + 1_000)
    room.ok(a, "poll.vote", poll_id=poll, choices=[1], at=room.now + 1_000)
    room.ok(clerk, "poll.vote", poll_id=poll, choices=[2], on_behalf_of=hall, at=room.now + 1_000)
    for pid in (room.mod, a, b, clerk):
        snap = room.snapshot(pid)
        assert "ballots" not in snap["polls"][0]
        assert snap["you"]["ballots"] == ({poll: True} if pid in (a, b) else {})
    room.ok(room.mod, "session.end")
    votes = [e for e in room.events if e.seq > first_event]
    assert {e.type for e in votes} <= {"poll.tally", "poll.turnout", "poll.closed", "session.ended"}
    for event in votes:
        assert set(event.data) <= {"poll_id", "counts", "voters", "eligible", "status"}
        text = json.dumps(event.data)
        assert not any(pid in text for pid in (a, b, hall)), event
    assert all("ballots" not in p for p in room.snapshot(room.mod)["polls"])


def test_hidden_tallies_go_to_moderators_live_results_to_everyone(room: Room) -> None:
    (a,) = room.residents("a")
    clerk = room.staff("clerk", "书记员")
    hidden = open_poll(room)
    live = open_poll(room, live_results=True)
    tally = only(room.send(a, "poll.vote", poll_id=hidden, choices=[0]).events, "poll.tally")
    assert tally.data == {"poll_id": hidden, "counts": [1, 0, 0], "voters": 1, "eligible": 1}
    assert tally.audience.kind is AudienceKind.MODERATORS
    assert tally not in room.visible_to(a) and tally not in room.visible_to(clerk)
    tally = only(room.send(a, "poll.vote", poll_id=live, choices=[2]).events, "poll.tally")
    assert tally.audience.kind is AudienceKind.PUBLIC and tally in room.visible_to(clerk)
    # snapshots likewise: an open hidden poll shows no counts but to moderators
    hidden_view = {p["poll_id"]: p for p in room.snapshot(a)["polls"]}
    assert hidden_view[hidden]["counts"] is None and hidden_view[hidden]["voters"] is None
    assert hidden_view[live]["counts"] == [0, 0, 1]
    assert {p["poll_id"]: p for p in room.snapshot(room.mod)["polls"]}[hidden]["counts"] == [
        1,
        0,
        0,
    ]
    room.ok(room.mod, "poll.close", poll_id=hidden)
    assert {p["poll_id"]: p for p in room.snapshot(a)["polls"]}[hidden]["counts"] == [1, 0, 0]


def test_live_tallies_coalesce_to_one_per_500_ms(room: Room) -> None:
    people = room.residents("a", "b", "c", "d", "e")
    poll = open_poll(room, live_results=True)
    t = room.now + 1_000
    # the first vote is announced at once
    first = room.send(people[0], "poll.vote", poll_id=poll, choices=[0], at=t)
    assert only(first.events, "poll.tally").data["voters"] == 1
    assert room.deadline() is None
    # votes inside the window mark the tally due
    assert (
        of_type(
            room.send(people[1], "poll.vote", poll_id=poll, choices=[1], at=t + 100).events,
            "poll.tally",
        )
        == []
    )
    assert (
        of_type(
            room.send(people[2], "poll.vote", poll_id=poll, choices=[1], at=t + 499).events,
            "poll.tally",
        )
        == []
    )
    assert room.deadline() == t + 500
    assert room.tick(at=t + 499).events == ()
    flushed = room.tick_when_due()
    assert flushed is not None
    tally = only(flushed.events, "poll.tally")
    assert tally.at == t + 500 and tally.data["counts"] == [1, 2, 0]
    assert room.deadline() is None
    # a vote a full window after the last tally is announced at once
    now = room.send(people[3], "poll.vote", poll_id=poll, choices=[2], at=t + 1_000)
    assert only(now.events, "poll.tally").data["voters"] == 4
    # a late tick (or any entry) flushes before its own effect
    room.send(people[4], "poll.vote", poll_id=poll, choices=[2], at=t + 1_200)
    outcome = room.send(room.mod, "chat.send", text="投票快结束了", at=t + 2_000)
    assert types(outcome.events) == ["poll.tally", "poll.turnout", "chat.posted"]
    assert outcome.events[0].data["voters"] == 5


def test_closing_drops_a_due_tally(room: Room) -> None:
    a, b = room.residents("a", "b")
    poll = open_poll(room)
    room.ok(a, "poll.vote", poll_id=poll, choices=[0])
    room.ok(b, "poll.vote", poll_id=poll, choices=[0], at=room.now + 10)
    assert room.deadline() is not None
    outcome = room.send(room.mod, "poll.close", poll_id=poll, at=room.now + 10)
    assert types(outcome.events) == ["poll.closed"]
    assert outcome.result is not None and outcome.result["counts"] == [2, 0, 0]
    assert room.deadline() is None
    assert room.tick(at=room.now + 10_000).events == ()

"""Rules 4: sealed secret ballots, batched tallies, frozen poll settings, bound codes.

The core never sees a key: ballots arrive sealed (any string will do here), and
tallies arrive in ``poll.release`` / ``poll.count`` entries the server appends.
"""

from __future__ import annotations

import json

from roombuilder import Room, of_type, only
from yishi.core.polls import BATCH
from yishi.core.types import ErrorCode, Role
from yishi.minutes import build_minutes

OPTIONS = ["甲", "乙", "丙"]


def secret_room(*, revote: bool = False, live: bool = True) -> tuple[Room, list[str], str]:
    room = Room.create(start=True, settings={"revote": revote})
    people = room.residents("a", "b", "c", "d", "e")
    poll = room.ok(
        room.mod,
        "poll.open",
        question="q",
        kind="single",
        options=OPTIONS,
        secret=True,
        live_results=live,
        server_args={"ballot_key": "k1"},
    )["poll_id"]
    return room, people, poll


def vote(room: Room, pid: str, poll: str) -> None:
    """A ballot as the server appends it: sealed (the core cannot tell a real seal)."""
    outcome = room.append("poll.vote", actor=pid, args={"poll_id": poll, "sealed": f"s-{pid}"})
    assert outcome.ok, outcome.error and outcome.error.to_wire()


def test_a_sealed_ballot_carries_no_choice_and_announces_only_the_turnout() -> None:
    room, people, poll = secret_room()
    outcome = room.append("poll.vote", actor=people[0], args={"poll_id": poll, "sealed": "xyz"})
    assert outcome.ok
    turnout = only(outcome.events, "poll.turnout")
    assert len(outcome.events) == 1
    assert turnout.data == {"poll_id": poll, "voters": 1, "eligible": 5}
    assert turnout in room.visible_to(people[1])
    mine = room.snapshot(people[0])
    assert mine["you"]["ballots"] == {poll: True}
    view = next(p for p in room.snapshot(room.mod)["polls"] if p["poll_id"] == poll)
    assert view["counts"] == [0, 0, 0] and view["voters"] == 0 and "ballots" not in view


def test_choices_in_clear_and_polls_without_a_key_are_refused() -> None:
    room, people, poll = secret_room()
    room.fail(people[0], "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, choices=[0])
    out = room.append(
        "poll.open",
        actor=room.mod,
        args={"question": "q", "kind": "yes_no_abstain", "secret": True},
    )
    assert out.error is not None and out.error.code is ErrorCode.BAD_COMMAND


def test_one_ballot_per_person_and_revote_only_when_on() -> None:
    room, people, poll = secret_room()
    vote(room, people[0], poll)
    again = room.append("poll.vote", actor=people[0], args={"poll_id": poll, "sealed": "x2"})
    assert again.error is not None and again.error.code is ErrorCode.CONFLICT
    room2, people2, poll2 = secret_room(revote=True)
    vote(room2, people2[0], poll2)
    assert room2.append("poll.vote", actor=people2[0], args={"poll_id": poll2, "sealed": "x2"}).ok
    staff = room2.staff("clerk", "clerk")
    refused = room2.append("poll.vote", actor=staff, args={"poll_id": poll2, "sealed": "x3"})
    assert refused.error is not None and refused.error.code is ErrorCode.FORBIDDEN


def test_turnout_moves_with_each_ballot_coalesced_and_reaches_everyone() -> None:
    """The moderator needs to know when everyone has voted: the turnout is public and
    moves with each ballot (at most one event per 500 ms, the last within 500 ms),
    while the tally stays batched."""
    room, people, poll = secret_room(live=False)
    vote(room, people[0], poll)
    vote(room, people[1], poll)  # within 500 ms: waits
    assert [e.data["voters"] for e in of_type(room.events, "poll.turnout")] == [1]
    for pid in (people[2], room.mod):
        view = next(p for p in room.snapshot(pid)["polls"] if p["poll_id"] == poll)
        assert view["turnout"] == {"poll_id": poll, "voters": 2, "eligible": 5}
    hidden = next(p for p in room.snapshot(people[2])["polls"] if p["poll_id"] == poll)
    assert hidden["counts"] is None  # the choices stay hidden
    room.tick_when_due()
    last = of_type(room.events, "poll.turnout")[-1]
    assert last.data["voters"] == 2 and last in room.visible_to(people[4])
    assert not of_type(room.events, "poll.tally")
    vote(room, people[2], poll)
    room.ok(room.mod, "poll.close", poll_id=poll, at=room.now + 1)  # flushes the turnout
    assert of_type(room.events, "poll.turnout")[-1].data["voters"] == 3


def test_older_rooms_replay_without_turnout_events() -> None:
    room = Room.create(start=True, rules_version=6)
    (a,) = room.residents("a")
    poll = room.ok(room.mod, "poll.open", question="q", kind="single", options=OPTIONS)["poll_id"]
    room.ok(a, "poll.vote", poll_id=poll, choices=[0])
    assert not of_type(room.events, "poll.turnout")


def test_live_tallies_move_in_batches_and_snapshots_show_the_same() -> None:
    room, people, poll = secret_room()
    for pid in people[: BATCH - 1]:
        vote(room, pid, poll)
    early = room.system(
        "poll.release",
        {"poll_id": poll, "cast": BATCH - 1, "counts": [1, 1, 0], "voters": BATCH - 1},
    )
    assert early.error is not None and early.error.code is ErrorCode.CONFLICT
    vote(room, people[BATCH - 1], poll)
    room.join("late")  # joins after opening: eligibility shown stays at opening
    released = room.system(
        "poll.release", {"poll_id": poll, "cast": BATCH, "counts": [2, 1, 0], "voters": BATCH}
    )
    tally = only(released.events, "poll.tally")
    assert tally.data == {"poll_id": poll, "counts": [2, 1, 0], "voters": BATCH, "eligible": 5}
    vote(room, people[BATCH], poll)
    for pid in (people[0], room.mod):
        view = next(p for p in room.snapshot(pid)["polls"] if p["poll_id"] == poll)
        assert {k: view[k] for k in tally.data} == tally.data
    # Within 500 ms of the last one: refused, even with enough ballots.
    vote(room, people[BATCH + 1], poll)
    room.join("later")
    voter = room.join("latest")
    vote(room, voter, poll)
    soon = room.system(
        "poll.release",
        {"poll_id": poll, "cast": 6, "counts": [3, 2, 1], "voters": 6},
        at=tally.at + 100,
    )
    assert soon.error is not None and soon.error.code is ErrorCode.CONFLICT


def test_the_count_must_add_up_and_comes_once() -> None:
    room, people, poll = secret_room()
    for pid in people[:4]:
        vote(room, pid, poll)
    closed = room.ok(room.mod, "poll.close", poll_id=poll)
    assert closed["counts"] is None
    assert of_type(room.events, "poll.closed") == []
    late = room.append("poll.vote", actor=people[4], args={"poll_id": poll, "sealed": "z"})
    assert late.error is not None and late.error.code is ErrorCode.CONFLICT
    wrong = room.system(
        "poll.count",
        {
            "poll_id": poll,
            "counts": [2, 1, 0],
            "voters": 4,
            "eligible": 5,
            "choices": [[0], [0], [1], [2]],
        },
    )
    assert wrong.error is not None and wrong.error.code is ErrorCode.BAD_COMMAND
    right = room.system(
        "poll.count",
        {
            "poll_id": poll,
            "counts": [2, 1, 1],
            "voters": 4,
            "eligible": 5,
            "choices": [[1], [0], [2], [0]],
        },
    )
    assert only(right.events, "poll.closed").data == {
        "poll_id": poll,
        "counts": [2, 1, 1],
        "voters": 4,
        "eligible": 5,
    }
    again = room.system("poll.count", {"poll_id": poll, "lost": True})
    assert again.error is not None and again.error.code is ErrorCode.CONFLICT
    assert room.state.polls[poll].sealed == {}  # forgotten once counted
    minutes = build_minutes(room.state, digest="x")
    text = json.dumps(minutes, ensure_ascii=False)
    assert "s-" not in text  # no seal, no ballot, in the minutes
    poll_out = minutes["agenda"][0]["polls"][0]
    assert poll_out["counts"] == [2, 1, 1] and poll_out["roll_call"] is None


def test_a_lost_key_closes_the_poll_with_unknown_counts() -> None:
    room, people, poll = secret_room()
    vote(room, people[0], poll)
    room.ok(room.mod, "session.end")
    out = room.system("poll.count", {"poll_id": poll, "lost": True})
    assert only(out.events, "poll.closed").data["counts"] is None


def test_settings_that_change_a_poll_wait_until_it_closes() -> None:
    room, _, poll = secret_room()
    room.fail(room.mod, "settings.update", ErrorCode.CONFLICT, revote=True)
    room.fail(room.mod, "settings.update", ErrorCode.CONFLICT, invite_mode="personal")
    room.ok(room.mod, "settings.update", revote=False, turn_seconds=30)  # no change: fine
    room.ok(room.mod, "poll.close", poll_id=poll)
    room.ok(room.mod, "settings.update", revote=True)


def test_a_personal_code_binds_to_its_first_device_until_reset() -> None:
    room = Room.create(start=True)
    code = room.system("invites.create", {"codes": ["home1"]}, actor=room.mod)
    assert code.ok
    first = room.system("participant.join", {"invite": "home1", "name": "张家", "device": "d1"})
    assert first.ok and first.result is not None
    pid = first.result["participant_id"]
    again = room.system("participant.join", {"invite": "home1", "name": "张家", "device": "d1"})
    assert again.ok
    other = room.system("participant.join", {"invite": "home1", "name": "x", "device": "d2"})
    assert other.error is not None and other.error.code is ErrorCode.FORBIDDEN
    bare = room.system("participant.join", {"invite": "home1", "name": "x"})
    assert bare.error is not None and bare.error.code is ErrorCode.BAD_COMMAND
    resident = room.join("r")
    room.fail(resident, "invite.reset", ErrorCode.FORBIDDEN, participant_id=pid)
    room.fail(room.mod, "invite.reset", ErrorCode.NOT_FOUND, participant_id=resident)
    room.ok(room.mod, "invite.reset", participant_id=pid)
    reset = only(room.outcomes[-1].events, "participant.code_reset")
    assert reset.audience.kind.value == "public" and reset.data["participant_id"] == pid
    assert only(room.outcomes[-1].events, "participant.left").data["participant_id"] == pid
    moved = room.system("participant.join", {"invite": "home1", "name": "张家", "device": "d2"})
    assert moved.ok and moved.result is not None and moved.result["token_version"] == 1
    old = room.system("participant.join", {"invite": "home1", "name": "张家", "device": "d1"})
    assert old.error is not None and old.error.code is ErrorCode.FORBIDDEN
    assert room.state.participants[pid].role is Role.PARTICIPANT
    minutes = build_minutes(room.state, digest="x")
    assert [r["participant_id"] for r in minutes["code_resets"]] == [pid]
    # The room code is unaffected: no device needed, none kept.
    assert room.system("participant.join", {"invite": "INVITE01", "name": "open"}).ok


def test_old_rules_keep_clear_secret_ballots() -> None:
    room = Room.create(start=True, rules_version=3)
    people = room.residents("a", "b")
    poll = room.ok(
        room.mod, "poll.open", question="q", kind="single", options=OPTIONS, secret=True
    )["poll_id"]
    room.ok(people[0], "poll.vote", poll_id=poll, choices=[1])
    assert room.state.polls[poll].counts == [0, 1, 0]
    room.ok(room.mod, "settings.update", revote=True)  # not frozen before rules 4

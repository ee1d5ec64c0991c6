"""Rules 6: ranked and score polls, quorum and thresholds, through the reducer
(docs/protocol.md, "Ranked and score polls, quorum and thresholds")."""

from __future__ import annotations

import json

import pytest
from roombuilder import Room, of_type, only
from yishi.core.types import AudienceKind, ErrorCode
from yishi.minutes import build_minutes

OPTIONS = ["甲", "乙", "丙", "丁"]


def open_poll(room: Room, kind: str, **kwargs: object) -> str:
    if kind != "yes_no_abstain":
        kwargs.setdefault("options", OPTIONS)
    return str(room.ok(room.mod, "poll.open", question="选哪个", kind=kind, **kwargs)["poll_id"])


def test_a_named_ranked_poll_runs_its_rounds_at_the_close(room: Room) -> None:
    people = room.residents(*"abcdefghij")
    poll = open_poll(room, "ranked")
    opened = next(e for e in room.events if e.type == "poll.opened").data
    assert opened["kind"] == "ranked" and opened["max_choices"] == 4
    assert "quorum" not in opened and "threshold" not in opened  # none set
    # The hand-worked example of test_core_tally: A x4, B>A x3, C>B x2, D x1.
    rankings = [[0]] * 4 + [[1, 0]] * 3 + [[2, 1]] * 2 + [[3]]
    for pid, ranking in zip(people, rankings):
        room.ok(pid, "poll.vote", poll_id=poll, choices=ranking)
    ballot = of_type(room.events, "poll.ballot")[-3].data
    assert ballot["choices"] == [2, 1]  # in order of preference, not sorted
    assert room.snapshot(people[5])["you"]["ballots"] == {poll: [1, 0]}
    assert room.snapshot(room.mod)["polls"][0]["counts"] == [4, 3, 2, 1]  # first preferences
    closed = only(room.send(room.mod, "poll.close", poll_id=poll).events, "poll.closed").data
    assert closed["counts"] == [4, 3, 2, 1] and closed["winner"] == 1
    assert [r["eliminated"] for r in closed["rounds"]] == [3, 2, None]
    assert [r["counts"] for r in closed["rounds"]][-1] == [4, 5, None, None]
    assert "outcome" not in closed  # no rule set
    view = room.snapshot(people[0])["polls"][0]
    assert view["winner"] == 1 and view["rounds"] == closed["rounds"]  # a reload shows it


def test_bad_rankings_are_refused(room: Room) -> None:
    (a,) = room.residents("a")
    poll = open_poll(room, "ranked")
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, choices=[])
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, choices=[1, 0, 1])
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, choices=[0, 4])
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, choices=[-1])
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, scores=[1, 2, 3, 4])
    room.ok(a, "poll.vote", poll_id=poll, choices=[3, 0, 1, 2])  # all of them: fine


def test_a_score_poll_totals_and_means(room: Room) -> None:
    room.ok(room.mod, "settings.update", revote=True)
    a, b, c = room.residents("a", "b", "c")
    poll = open_poll(room, "score", options=OPTIONS[:3], max_score=5, live_results=True)
    opened = of_type(room.events, "poll.opened")[-1].data
    assert opened["max_score"] == 5
    room.ok(a, "poll.vote", poll_id=poll, scores=[5, 0, 3])
    room.ok(b, "poll.vote", poll_id=poll, scores=[1, 1, 1])
    room.ok(b, "poll.vote", poll_id=poll, scores=[4, 2, 3])  # a revote replaces the scores
    room.ok(c, "poll.vote", poll_id=poll, scores=[0, 1, 3])
    ballot = of_type(room.events, "poll.ballot")[-1]
    assert ballot.data["scores"] == [0, 1, 3] and "choices" not in ballot.data
    assert ballot.audience.kind is AudienceKind.MODERATORS
    closed = room.ok(room.mod, "poll.close", poll_id=poll)
    assert closed["counts"] == [9, 3, 9]
    event = of_type(room.events, "poll.closed")[-1].data
    assert event["means"] == [3.0, 1.0, 3.0] and "winner" not in event
    assert room.snapshot(a)["you"]["ballots"] == {poll: [5, 0, 3]}


def test_bad_scores_are_refused(room: Room) -> None:
    (a,) = room.residents("a")
    poll = open_poll(room, "score", max_score=3)
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, scores=[1, 2, 3])  # 3 of 4
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, scores=[1, 2, 3, 4])  # > 3
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, scores=[1, 2, 3, -1])
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, scores=[0, 0, 0, 11])
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll, choices=[0])
    room.fail(a, "poll.vote", ErrorCode.BAD_COMMAND, poll_id=poll)
    room.ok(a, "poll.vote", poll_id=poll, scores=[0, 0, 0, 0])


@pytest.mark.parametrize(
    "args",
    [
        {"kind": "score"},  # no max_score
        {"kind": "single", "max_score": 5},
        {"kind": "score", "max_score": 11},
        {"kind": "multi", "threshold": "simple"},
        {"kind": "score", "max_score": 5, "threshold": "2/3"},
        {"kind": "single", "threshold_base": "eligible"},  # a base without a threshold
        {"kind": "single", "threshold": "1/2"},
        {"kind": "single", "quorum": 0},
    ],
)
def test_rules_that_do_not_fit_the_poll_are_refused(room: Room, args: dict[str, object]) -> None:
    error = room.fail(
        room.mod, "poll.open", ErrorCode.BAD_COMMAND, question="q", options=OPTIONS, **args
    )
    assert error.message


def test_before_rules_6_there_are_no_such_polls() -> None:
    room = Room.create(start=True, rules_version=5)
    for args in (
        {"kind": "ranked"},
        {"kind": "score", "max_score": 3},
        {"kind": "single", "quorum": 2},
        {"kind": "single", "threshold": "simple"},
    ):
        room.fail(
            room.mod, "poll.open", ErrorCode.BAD_COMMAND, question="q", options=OPTIONS, **args
        )


def test_quorum_counts_eligible_people_present_at_the_close(room: Room) -> None:
    a, b, c = room.residents("a", "b", "c")
    hall = room.in_hall("王阿姨")
    away = room.join("away", online=False)
    room.join("watcher", observer=True)
    room.staff("clerk", "clerk")
    gone = room.join("gone")
    room.ok(room.mod, "participant.remove", participant_id=gone)
    assert away
    poll = open_poll(room, "yes_no_abstain", quorum=5)
    assert of_type(room.events, "poll.opened")[-1].data["threshold"] == "simple"  # implied
    for pid in (a, b):
        room.ok(pid, "poll.vote", poll_id=poll, choices=[0])
    room.offline(c)
    closed = only(room.send(room.mod, "poll.close", poll_id=poll).events, "poll.closed").data
    # Present: a, b (online) and 王阿姨 (in the hall); not c (left), the absentee,
    # the observer, the clerk or the removed resident.
    assert closed["outcome"] == "no_quorum"
    assert closed["decided_by"] == {
        "quorum": 5,
        "present": 3,
        "threshold": "simple",
        "threshold_base": "cast",
        "votes": 2,
        "base": 2,
        "needed": 2,
    }
    room.online(c)
    poll = open_poll(room, "yes_no_abstain", quorum=4)
    room.ok(room.mod, "offline.add", name="李伯")
    closed = only(room.send(room.mod, "poll.close", poll_id=poll).events, "poll.closed").data
    assert closed["decided_by"]["present"] == 5 and closed["outcome"] == "not_carried"  # no votes
    assert hall


def test_thresholds_on_each_base_with_abstentions(room: Room) -> None:
    people = room.residents(*"abcdefgh")  # 8 eligible
    outcomes = {}
    for threshold, base in (
        ("simple", "cast"),
        ("2/3", "cast"),
        ("3/4", "cast"),
        ("simple", "eligible"),
        ("2/3", "eligible"),
    ):
        poll = open_poll(room, "yes_no_abstain", threshold=threshold, threshold_base=base)
        # 5 yes, 2 no, 1 abstains: 7 cast.
        for pid, choice in zip(people, [0, 0, 0, 0, 0, 1, 1, 2]):
            room.ok(pid, "poll.vote", poll_id=poll, choices=[choice])
        closed = only(room.send(room.mod, "poll.close", poll_id=poll).events, "poll.closed").data
        why = closed["decided_by"]
        outcomes[threshold, base] = (closed["outcome"], why["votes"], why["base"], why["needed"])
    assert outcomes == {
        ("simple", "cast"): ("carried", 5, 7, 4),
        ("2/3", "cast"): ("carried", 5, 7, 5),
        ("3/4", "cast"): ("not_carried", 5, 7, 6),
        ("simple", "eligible"): ("carried", 5, 8, 5),
        ("2/3", "eligible"): ("not_carried", 5, 8, 6),
    }


def test_a_ranked_poll_with_a_quorum_and_a_threshold(room: Room) -> None:
    people = room.residents(*"abcde")
    poll = open_poll(room, "ranked", options=OPTIONS[:3], quorum=5, threshold="2/3")
    for pid, ranking in zip(people, [[0], [0], [0, 1], [1, 0], [2, 1]]):
        room.ok(pid, "poll.vote", poll_id=poll, choices=ranking)
    closed = only(room.send(room.mod, "poll.close", poll_id=poll).events, "poll.closed").data
    # Round 1: A3 B1 C1: A has 3 of 5, a majority, but 2/3 of 5 needs 4.
    assert closed["winner"] == 0 and len(closed["rounds"]) == 1
    assert closed["outcome"] == "not_carried"
    assert closed["decided_by"]["votes"] == 3 and closed["decided_by"]["needed"] == 4
    minutes = build_minutes(room.state, digest="x")
    out = minutes["agenda"][0]["polls"][0]
    assert out["outcome"] == "not_carried" and out["winner"] == 0


# -- secret ranked and score polls (sealed ballots, counted after the close) ---------------


def sealed_poll(room: Room, kind: str, **kwargs: object) -> str:
    return open_poll(room, kind, secret=True, server_args={"ballot_key": "k1"}, **kwargs)


def seal(room: Room, pid: str, poll: str) -> None:
    out = room.append("poll.vote", actor=pid, args={"poll_id": poll, "sealed": f"seal-{pid}"})
    assert out.ok, out.error and out.error.to_wire()


def test_a_secret_ranked_poll_is_counted_from_its_shuffled_rankings(room: Room) -> None:
    people = room.residents(*"abcde")
    poll = sealed_poll(room, "ranked", options=OPTIONS[:3], threshold="simple")
    refused = room.append("poll.vote", actor=people[0], args={"poll_id": poll, "choices": [0, 1]})
    assert refused.error is not None and refused.error.code is ErrorCode.BAD_COMMAND
    for pid in people:
        seal(room, pid, poll)
    released = room.system(
        "poll.release", {"poll_id": poll, "cast": 5, "counts": [2, 2, 1], "voters": 5}
    )
    assert only(released.events, "poll.tally").data["counts"] == [2, 2, 1]
    room.ok(room.mod, "poll.close", poll_id=poll)
    assert of_type(room.events, "poll.closed") == []
    rankings = [[2, 1], [0], [1, 0], [0, 2], [1]]
    wrong = room.system(
        "poll.count",
        {"poll_id": poll, "counts": [2, 1, 2], "voters": 5, "eligible": 5, "choices": rankings},
    )
    assert wrong.error is not None and wrong.error.code is ErrorCode.BAD_COMMAND
    bad = room.system(
        "poll.count",
        {
            "poll_id": poll,
            "counts": [2, 2, 1],
            "voters": 5,
            "eligible": 5,
            "choices": [[2, 2], *rankings[1:]],
        },
    )
    assert bad.error is not None and bad.error.code is ErrorCode.BAD_COMMAND
    counted = room.system(
        "poll.count",
        {"poll_id": poll, "counts": [2, 2, 1], "voters": 5, "eligible": 5, "choices": rankings},
    )
    closed = only(counted.events, "poll.closed").data
    # Round 1: A2 B2 C1; C out, its ballot to B. Round 2: A2 B3: B has 3 of 5.
    assert closed["winner"] == 1 and closed["outcome"] == "carried"
    assert [r["eliminated"] for r in closed["rounds"]] == [2, None]
    assert room.state.polls[poll].recount[0] == [2, 1]  # a ranking keeps its order
    _nothing_ties_a_voter_to_a_ballot(room, poll, people)


def test_a_secret_score_poll_is_counted_from_its_shuffled_scores(room: Room) -> None:
    people = room.residents(*"abc")
    poll = sealed_poll(room, "score", options=OPTIONS[:2], max_score=4, quorum=3)
    for pid in people:
        seal(room, pid, poll)
    room.ok(room.mod, "poll.close", poll_id=poll)
    scores = [[4, 0], [2, 2], [3, 1]]
    counted = room.system(
        "poll.count",
        {"poll_id": poll, "counts": [9, 3], "voters": 3, "eligible": 3, "choices": scores},
    )
    closed = only(counted.events, "poll.closed").data
    assert closed["counts"] == [9, 3] and closed["means"] == [3.0, 1.0]
    assert closed["outcome"] == "carried"
    assert closed["decided_by"] == {"quorum": 3, "present": 3}
    _nothing_ties_a_voter_to_a_ballot(room, poll, people)


def _nothing_ties_a_voter_to_a_ballot(room: Room, poll: str, people: list[str]) -> None:
    """After the count: no event, snapshot or minutes pairs a voter with a ballot."""
    for event in room.events:
        if event.data.get("poll_id") == poll:
            assert "participant_id" not in event.data and "choices" not in event.data
            assert "scores" not in event.data and "sealed" not in event.data
    for pid in [room.mod, *people]:
        snap = room.snapshot(pid)
        view = next(p for p in snap["polls"] if p["poll_id"] == poll)
        assert "ballots" not in view
        assert snap["you"]["ballots"].get(poll, True) is True
    minutes = json.dumps(build_minutes(room.state, digest="x"), ensure_ascii=False)
    assert "seal-" not in minutes
    out = build_minutes(room.state, digest="x")["agenda"][0]["polls"][0]
    assert out["roll_call"] is None
    assert room.state.polls[poll].sealed == {}

"""Counting rules (``core/tally.py``): instant runoff against hand-worked examples,
score totals and means, quorum and thresholds with every base, and properties of
the runoff (counts conserved round to round; the winner holds a majority of the
ballots still counting)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from yishi.core.tally import count, decide, irv, means, needed

A, B, C, D, E = range(5)


def ballots(*groups: tuple[int, list[int]]) -> list[list[int]]:
    """``(n, ranking)`` groups as a list of ballots."""
    return [list(ranking) for n, ranking in groups for _ in range(n)]


def test_a_first_round_majority_wins_at_once() -> None:
    # A 3, B 1, C 1 of 5 ballots: 3 > 5/2.
    winner, rounds = irv(3, ballots((3, [A, B]), (1, [B]), (1, [C, A])))
    assert winner == A
    assert rounds == [
        {
            "round": 1,
            "counts": [3, 1, 1],
            "exhausted": 0,
            "eliminated": None,
            "tie_break": None,
            "transfers": None,
        }
    ]


def test_transfers_and_exhausted_ballots_by_hand() -> None:
    # 10 ballots: A only x4, B>A x3, C>B x2, D only x1 (a partial ranking).
    # Round 1: A4 B3 C2 D1; no majority (needs 6). D is fewest: its one ballot
    #   ranks nobody else, so it is exhausted.
    # Round 2: A4 B3 C2, 1 exhausted; 9 still count (needs 5). C is fewest: both
    #   of its ballots go to B.
    # Round 3: A4 B5, 1 exhausted: B has 5 of 9 and wins, though A led at first.
    winner, rounds = irv(4, ballots((4, [A]), (3, [B, A]), (2, [C, B]), (1, [D])))
    assert winner == B
    assert rounds == [
        {
            "round": 1,
            "counts": [4, 3, 2, 1],
            "exhausted": 0,
            "eliminated": D,
            "tie_break": None,
            "transfers": {"to": [0, 0, 0, 0], "exhausted": 1},
        },
        {
            "round": 2,
            "counts": [4, 3, 2, None],
            "exhausted": 1,
            "eliminated": C,
            "tie_break": None,
            "transfers": {"to": [0, 2, 0, 0], "exhausted": 0},
        },
        {
            "round": 3,
            "counts": [4, 5, None, None],
            "exhausted": 1,
            "eliminated": None,
            "tie_break": None,
            "transfers": None,
        },
    ]


def test_a_tie_for_fewest_goes_to_fewer_first_preferences() -> None:
    # 15 ballots: A x6, B x4, C>A x3, D>C x1, D only x1.
    # Round 1: A6 B4 C3 D2: D out; one ballot to C, one exhausted.
    # Round 2: A6 B4 C4 (1 exhausted, 14 count, majority 8): B and C tie for fewest;
    #   first preferences B4, C3: C is out. Three ballots go to A; D>C has nothing left.
    # Round 3: A9 B4, 2 exhausted: A has 9 of 13.
    winner, rounds = irv(4, ballots((6, [A]), (4, [B]), (3, [C, A]), (1, [D, C]), (1, [D])))
    assert winner == A
    assert [r["counts"] for r in rounds] == [[6, 4, 3, 2], [6, 4, 4, None], [9, 4, None, None]]
    assert [r["exhausted"] for r in rounds] == [0, 1, 2]
    assert [(r["eliminated"], r["tie_break"]) for r in rounds] == [
        (D, None),
        (C, "first_preferences"),
        (None, None),
    ]
    assert rounds[1]["transfers"] == {"to": [3, 0, 0, 0], "exhausted": 1}


def test_then_earlier_rounds_then_the_higher_index() -> None:
    # 10 ballots: A x4, B x2, C x2, D>B x1, E>C x1.
    # Round 1: A4 B2 C2 D1 E1: D and E tie, equal first preferences, no earlier
    #   round: the higher index (E) is out; its ballot goes to C.
    # Round 2: A4 B2 C3 D1: D out, its ballot to B.
    # Round 3: A4 B3 C3: B and C tie, first preferences 2 and 2; in the previous
    #   round B had 2, C 3: B is out. B's three ballots rank nobody else.
    # Round 4: A4 C3, 3 exhausted: A has 4 of 7.
    winner, rounds = irv(5, ballots((4, [A]), (2, [B]), (2, [C]), (1, [D, B]), (1, [E, C])))
    assert winner == A
    assert [(r["eliminated"], r["tie_break"]) for r in rounds] == [
        (E, "index"),
        (D, None),
        (B, "earlier_rounds"),
        (None, None),
    ]
    assert rounds[2]["counts"] == [4, 3, 3, None, None]
    assert rounds[2]["transfers"] == {"to": [0, 0, 0, 0, 0], "exhausted": 3}
    assert rounds[3]["counts"] == [4, None, 3, None, None] and rounds[3]["exhausted"] == 3


def test_a_true_tie_has_no_winner() -> None:
    winner, rounds = irv(2, ballots((2, [A]), (2, [B, A])))
    assert winner is None
    assert rounds == [
        {
            "round": 1,
            "counts": [2, 2],
            "exhausted": 0,
            "eliminated": None,
            "tie_break": None,
            "transfers": None,
        }
    ]
    assert irv(3, []) == (
        None,
        [
            {
                "round": 1,
                "counts": [0, 0, 0],
                "exhausted": 0,
                "eliminated": None,
                "tie_break": None,
                "transfers": None,
            }
        ],
    )


def test_an_option_nobody_ranked_is_eliminated_first() -> None:
    winner, rounds = irv(3, ballots((2, [A]), (2, [B]), (1, [A, B])))
    assert winner == A and rounds[0]["counts"] == [3, 2, 0]  # A 3 of 5 at once
    winner, rounds = irv(3, ballots((2, [A]), (2, [B]), (1, [C, B])))
    assert [r["eliminated"] for r in rounds] == [C, None] and winner == B


def test_score_totals_and_means() -> None:
    scored = [[5, 0, 3], [4, 2, 3], [0, 1, 3]]
    assert count("score", 3, scored) == [9, 3, 9]
    assert means([9, 3, 9], 3) == [3.0, 1.0, 3.0]
    assert means([10, 1], 3) == [3.33, 0.33]
    assert means([0, 0], 0) is None
    assert count("ranked", 3, [[2, 0], [0], [2]]) == [1, 0, 2]  # first preferences
    assert count("multi", 3, [[0, 2], [2]]) == [1, 0, 2]


def test_needed_by_threshold() -> None:
    assert [needed("simple", n) for n in (0, 1, 18, 19, 20)] == [1, 1, 10, 10, 11]
    assert [needed("2/3", n) for n in (0, 3, 18, 19)] == [1, 2, 12, 13]
    assert [needed("3/4", n) for n in (0, 4, 19, 20)] == [1, 3, 15, 15]


def yna(counts: list[int], **rule: object) -> object:
    args: dict[str, object] = {
        "kind": "yes_no_abstain",
        "counts": counts,
        "voters": sum(counts),
        "eligible": 25,
        "present": 19,
        "quorum": None,
        "threshold": None,
        "threshold_base": "cast",
    }
    args.update(rule)
    return decide(**args)  # type: ignore[arg-type]


def test_yes_no_abstain_thresholds_with_abstentions() -> None:
    # 14 yes, 5 no, 3 abstain: 19 votes cast (abstentions are not), 25 eligible.
    votes = [14, 5, 3]
    assert yna(votes) is None  # no rule: no outcome
    assert yna(votes, threshold="2/3", quorum=15) == {
        "outcome": "carried",
        "decided_by": {
            "quorum": 15,
            "present": 19,
            "threshold": "2/3",
            "threshold_base": "cast",
            "votes": 14,
            "base": 19,
            "needed": 13,
        },
    }
    assert yna(votes, threshold="simple")["outcome"] == "carried"  # type: ignore[index]
    assert yna(votes, threshold="3/4")["decided_by"]["needed"] == 15  # type: ignore[index]
    assert yna(votes, threshold="3/4")["outcome"] == "not_carried"  # type: ignore[index]
    # Of everyone eligible: abstentions and absentees count against.
    eligible = yna(votes, threshold="2/3", threshold_base="eligible")
    assert eligible["decided_by"]["base"] == 25  # type: ignore[index]
    assert eligible["outcome"] == "not_carried"  # type: ignore[index]
    assert (
        yna(votes, threshold="simple", threshold_base="eligible")[  # type: ignore[index]
            "outcome"
        ]
        == "carried"
    )  # 14 of 25, 13 needed
    assert yna([5, 5, 9], threshold="simple")["outcome"] == "not_carried"  # type: ignore[index]
    assert yna([0, 0, 4], threshold="simple")["decided_by"]["needed"] == 1  # type: ignore[index]


def test_quorum_met_and_not_met() -> None:
    assert yna([14, 5, 3], threshold="simple", quorum=20) == {
        "outcome": "no_quorum",
        "decided_by": {
            "quorum": 20,
            "present": 19,
            "threshold": "simple",
            "threshold_base": "cast",
            "votes": 14,
            "base": 19,
            "needed": 10,
        },
    }
    assert yna([14, 5, 3], threshold="simple", quorum=19)["outcome"] == "carried"  # type: ignore[index]
    for kind in ("multi", "score"):
        met = decide(
            kind=kind,
            counts=[3, 4],
            voters=4,
            eligible=9,
            present=5,
            quorum=5,
            threshold=None,
            threshold_base="cast",
        )
        assert met == {"outcome": "carried", "decided_by": {"quorum": 5, "present": 5}}
        short = decide(
            kind=kind,
            counts=[3, 4],
            voters=4,
            eligible=9,
            present=4,
            quorum=5,
            threshold=None,
            threshold_base="cast",
        )
        assert short is not None and short["outcome"] == "no_quorum"


def test_single_needs_a_sole_leader_and_its_share() -> None:
    def single(counts: list[int], **rule: object) -> str:
        out = decide(
            kind="single",
            counts=counts,
            voters=sum(counts),
            eligible=12,
            present=12,
            **{
                "quorum": None,
                "threshold": None,  # type: ignore[arg-type]
                "threshold_base": "cast",
                **rule,
            },
        )
        assert out is not None
        return str(out["outcome"])

    assert single([6, 3, 1], threshold="simple") == "carried"  # 6 of 10
    assert single([5, 3, 2], threshold="simple") == "not_carried"  # 5 of 10: not more than half
    assert single([5, 3, 2], threshold="simple", threshold_base="eligible") == "not_carried"
    assert single([4, 4, 2], quorum=1) == "not_carried"  # a tie for the lead: no winner
    assert single([5, 4, 1], quorum=1) == "carried"


def test_ranked_threshold_reads_the_winners_final_round_of_all_ballots_cast() -> None:
    groups = ballots((4, [A]), (3, [B, A]), (2, [C, B]), (1, [D]))
    winner, rounds = irv(4, groups)
    counts = count("ranked", 4, groups)

    def ranked(threshold: str, base: str = "cast") -> object:
        return decide(
            kind="ranked",
            counts=counts,
            voters=10,
            eligible=12,
            present=11,
            quorum=None,
            threshold=threshold,
            threshold_base=base,
            rounds=rounds,
            winner=winner,
        )

    # B wins with 5 of the 9 ballots still counting; 10 were cast (one exhausted).
    assert ranked("simple") == {
        "outcome": "not_carried",
        "decided_by": {
            "threshold": "simple",
            "threshold_base": "cast",
            "votes": 5,
            "base": 10,
            "needed": 6,
        },
    }
    assert ranked("simple", "eligible")["outcome"] == "not_carried"  # 5 of 12, 7 needed
    # A3 B2 C2: C out (the higher index), its two ballots to A: A 5 of 7 cast.
    winner, rounds = irv(3, ballots((3, [A]), (2, [B, A]), (2, [C, A])))
    assert decide(
        kind="ranked",
        counts=[3, 2, 2],
        voters=7,
        eligible=8,
        present=8,
        quorum=None,
        threshold="2/3",
        threshold_base="cast",
        rounds=rounds,
        winner=winner,
    ) == {
        "outcome": "carried",
        "decided_by": {
            "threshold": "2/3",
            "threshold_base": "cast",
            "votes": 5,
            "base": 7,
            "needed": 5,
        },
    }
    tie = irv(2, ballots((2, [A]), (2, [B])))
    out = decide(
        kind="ranked",
        counts=[2, 2],
        voters=4,
        eligible=4,
        present=4,
        quorum=None,
        threshold="simple",
        threshold_base="cast",
        rounds=tie[1],
        winner=tie[0],
    )
    assert out is not None and out["outcome"] == "not_carried"


RANKINGS = st.lists(
    st.permutations(range(5)).flatmap(lambda p: st.integers(1, 5).map(lambda n: p[:n])), max_size=40
)


@given(RANKINGS)
def test_counts_are_conserved_and_the_winner_holds_a_majority(rankings: list[list[int]]) -> None:
    winner, rounds = irv(5, rankings)
    previous_exhausted = 0
    for n, r in enumerate(rounds):
        live = [c for c in r["counts"] if c is not None]
        assert sum(live) + r["exhausted"] == len(rankings)  # nothing lost, nothing made
        assert len(live) == 5 - n  # one option out a round
        assert r["exhausted"] >= previous_exhausted
        previous_exhausted = r["exhausted"]
        if r["transfers"] is not None:
            nxt = rounds[n + 1]
            moved = sum(r["transfers"]["to"]) + r["transfers"]["exhausted"]
            assert moved == r["counts"][r["eliminated"]]
            assert nxt["exhausted"] == r["exhausted"] + r["transfers"]["exhausted"]
            for i, gain in enumerate(r["transfers"]["to"]):
                if nxt["counts"][i] is not None:
                    assert nxt["counts"][i] == r["counts"][i] + gain
    final = rounds[-1]
    if winner is not None:
        live = sum(c for c in final["counts"] if c is not None)
        assert 2 * final["counts"][winner] > live
    assert final["eliminated"] is None
    assert irv(5, list(reversed(rankings))) == (winner, rounds)  # ballot order is no matter

"""Counting a poll: instant-runoff rounds, score totals, quorum and thresholds.

Pure arithmetic over ballots and counts (no state, no I/O): ``polls.py`` calls
it for a named poll's ballots as they come and at the close, the server's
``ballots.py`` for a secret poll's opened seals, the minutes for what they
print. The rules (docs/protocol.md, "Ranked and score polls, quorum and
thresholds"):

Ballots and counts, per kind:

* ``single``, ``multi``, ``yes_no_abstain``: a ballot lists the chosen options;
  ``counts[i]`` is the ballots that chose option ``i``.
* ``ranked``: a ballot lists options in order of preference (some or all,
  distinct); ``counts[i]`` is the ballots ranking ``i`` first (first preferences).
* ``score``: a ballot gives one score per option; ``counts[i]`` is option ``i``'s
  total, and its mean is the total over the ballots cast.

Instant runoff (one winner), round by round:

1. Each ballot counts for its most preferred option still in the race; a
   ballot with none left is exhausted.
2. An option with more than half of the ballots still counting wins. So does
   the last option left, if any ballot still counts for it.
3. Otherwise the option with the fewest votes this round is eliminated, one a
   round (an option nobody ranked is eliminated too, one round each). A tie
   for fewest goes to the option with fewer first preferences; then fewer
   votes in the previous round, and the round before, back to the second;
   then the higher option index (the one listed later). First preferences
   come first because they are the plainest measure of support, and the
   earlier rounds next because they are the count the room watched.
4. If every option still in the race is tied on all of those counts, there is
   no winner (a true tie, for the room to settle): the rounds end without one.
   So does a count with no ballot left.

Quorum and thresholds (``decide``), when a poll sets either:

* ``no_quorum`` when fewer eligible participants were present at the close
  than ``quorum``; that comes before any threshold.
* A threshold needs the deciding votes to reach ``needed`` of the base:
  ``simple`` more than half (``base // 2 + 1``), ``2/3`` and ``3/4`` at least
  that fraction, rounded up (and at least one vote). The base is
  ``threshold_base``: ``cast`` or ``eligible`` (every eligible participant,
  voters or not). The deciding votes and ``cast``, per kind:
  ``yes_no_abstain``: yes, and yes plus no (abstentions are not cast votes);
  ``single``: the leading option's votes, and every ballot (a tie for the lead
  carries nothing); ``ranked``: the winner's votes in the final round, and every
  ballot cast, exhausted ones included (no winner carries nothing). A ballot that
  ranked neither finalist was still cast: a threshold of the votes cast must not
  shrink as ballots exhaust, or a winner could carry 2/3 with 2 ballots of 4.
  ``multi`` and ``score`` take no threshold: each ballot backs several options,
  so no option's share of the votes decides anything (``polls.py`` refuses it).
* A quorum without a threshold: a ``yes_no_abstain`` poll takes ``simple``
  (``polls.py`` sets it at the opening, so the poll says so); a ``single`` or
  ``ranked`` poll is carried when it has a winner; ``multi`` and ``score`` when
  the quorum is met.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .types import Json

THRESHOLDS = ("simple", "2/3", "3/4")
THRESHOLD_BASES = ("cast", "eligible")
NO_THRESHOLD_KINDS = ("multi", "score")  # a ballot backs several options: no share decides
TIE_RULES = ("first_preferences", "earlier_rounds", "index")  # a round's ``tie_break``


def add_ballot(kind: str, counts: list[int], ballot: Sequence[int], sign: int = 1) -> None:
    """Add (``sign`` 1) or take back (-1) ``ballot``'s part of ``counts``."""
    if kind == "ranked":
        if ballot:
            counts[ballot[0]] += sign
    elif kind == "score":
        for option, score in enumerate(ballot):
            counts[option] += sign * score
    else:
        for option in ballot:
            counts[option] += sign


def count(kind: str, options: int, ballots: Iterable[Sequence[int]]) -> list[int]:
    """The counts of ``ballots`` (see the top of this module for what they mean)."""
    counts = [0] * options
    for ballot in ballots:
        add_ballot(kind, counts, ballot)
    return counts


def means(totals: Sequence[int], voters: int) -> list[float] | None:
    """A score poll's mean per option, to two decimals (None without a ballot)."""
    return [round(total / voters, 2) for total in totals] if voters else None


def needed(threshold: str, base: int) -> int:
    """The votes ``threshold`` needs out of ``base``."""
    if threshold == "simple":
        return base // 2 + 1
    num, den = (2, 3) if threshold == "2/3" else (3, 4)
    return max(1, -(-base * num // den))


# -- instant runoff ----------------------------------------------------------------------


def irv(options: int, ballots: Sequence[Sequence[int]]) -> tuple[int | None, list[Json]]:
    """The winner (an option index, or None) and the rounds, each
    ``{"round", "counts", "exhausted", "eliminated", "tie_break", "transfers"}``:
    ``counts`` per option (None once it is out), ``exhausted`` the ballots with no
    option left so far, ``eliminated`` the option out after this round (None in
    the last), ``tie_break`` which rule picked it among options tied for fewest
    (None without a tie), ``transfers`` where its ballots went: ``to`` per option,
    and ``exhausted`` the ones with nothing left after it."""
    racing = list(range(options))
    history: list[list[int]] = []
    rounds: list[Json] = []
    while True:
        counts = [0] * options
        tops: list[int | None] = []
        for ballot in ballots:
            top = next((c for c in ballot if c in racing), None)
            tops.append(top)
            if top is not None:
                counts[top] += 1
        history.append(counts)
        exhausted = sum(1 for top in tops if top is None)
        live = len(ballots) - exhausted
        out: Json = {
            "round": len(history),
            "counts": [counts[i] if i in racing else None for i in range(options)],
            "exhausted": exhausted,
            "eliminated": None,
            "tie_break": None,
            "transfers": None,
        }
        rounds.append(out)
        leader = max(racing, key=lambda i: counts[i])
        if live == 0:
            return None, rounds
        if 2 * counts[leader] > live:
            return leader, rounds
        loser, rule = _loser(racing, history)
        if loser is None:
            return None, rounds
        out["eliminated"], out["tie_break"] = loser, rule
        racing.remove(loser)
        to = [0] * options
        gone = 0
        for ballot, top in zip(ballots, tops):
            if top != loser:
                continue
            after = next((c for c in ballot if c in racing), None)
            if after is None:
                gone += 1
            else:
                to[after] += 1
        out["transfers"] = {"to": to, "exhausted": gone}


def _loser(racing: list[int], history: list[list[int]]) -> tuple[int | None, str | None]:
    """The option to eliminate and the tie rule that picked it (None: no tie); (None,
    None) when every option left is tied on every count (no winner)."""
    now = history[-1]
    low = min(now[i] for i in racing)
    tied = [i for i in racing if now[i] == low]
    if len(tied) == 1:
        return tied[0], None
    # First preferences, then the previous rounds, latest first (round 1 is the first).
    earlier = [history[0], *history[-2:0:-1]]
    for n, counts in enumerate(earlier):
        fewest = min(counts[i] for i in tied)
        tied = [i for i in tied if counts[i] == fewest]
        if len(tied) == 1:
            return tied[0], TIE_RULES[0] if n == 0 else TIE_RULES[1]
    if len(tied) == len(racing):
        return None, None
    return max(tied), TIE_RULES[2]


# -- quorum and thresholds ---------------------------------------------------------------


def decide(
    *,
    kind: str,
    counts: Sequence[int],
    voters: int,
    eligible: int,
    present: int,
    quorum: int | None,
    threshold: str | None,
    threshold_base: str,
    rounds: Sequence[Json] = (),
    winner: int | None = None,
) -> Json | None:
    """``{"outcome", "decided_by"}`` for a closed poll, or None when it set no rule.

    ``decided_by`` holds the numbers behind the outcome: ``quorum`` and ``present``
    when a quorum was set; ``threshold``, ``threshold_base``, ``votes`` (the deciding
    votes), ``base`` and ``needed`` when a threshold was.
    """
    if quorum is None and threshold is None:
        return None
    why: Json = {}
    met = True
    if quorum is not None:
        why.update(quorum=quorum, present=present)
        met = present >= quorum
    has_winner = True
    if kind in ("single", "ranked"):
        top = max(counts) if counts else 0
        if kind == "single":
            has_winner = top > 0 and counts.count(top) == 1
        else:
            has_winner = winner is not None
    carried = met and (kind not in ("single", "ranked") or has_winner)
    if threshold is not None:
        votes, cast = _deciding(kind, counts, voters, rounds, winner)
        base = cast if threshold_base == "cast" else eligible
        need = needed(threshold, base)
        why.update(
            threshold=threshold, threshold_base=threshold_base, votes=votes, base=base, needed=need
        )
        carried = carried and has_winner and votes >= need
    outcome = "no_quorum" if not met else "carried" if carried else "not_carried"
    return {"outcome": outcome, "decided_by": why}


def _deciding(
    kind: str, counts: Sequence[int], voters: int, rounds: Sequence[Json], winner: int | None
) -> tuple[int, int]:
    """The deciding votes and the votes cast, as the threshold reads them."""
    if kind == "yes_no_abstain":
        return counts[0], counts[0] + counts[1]
    if kind == "ranked":
        final = rounds[-1]["counts"] if rounds else []
        votes = (
            final[winner]
            if winner is not None
            else max((c for c in final if c is not None), default=0)
        )
        return votes, voters
    return (max(counts) if counts else 0), voters

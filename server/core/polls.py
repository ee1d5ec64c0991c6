"""Live polls.

Rules (PROTOCOL.md, "Votes"):

* One ballot per participant per poll. With the room's ``revote`` setting on,
  a new ballot replaces the old one until the poll closes; without it a second
  ballot is ``conflict``.
* Only residents vote, for themselves; a clerk may vote for an attendee in the
  hall. Moderators, clerks (for themselves), offices and observers may not.
* ``single``: exactly one choice; ``multi``: one to ``max_choices`` distinct
  choices; ``yes_no_abstain``: the fixed options 赞成/反对/弃权, one choice.
* ``eligible`` counts the residents present (online or in the hall, not
  removed) when the poll opened, plus anyone who voted later.
* A ``secret`` poll never reveals who chose what: no event carries a ballot,
  and its live tallies keep ``eligible`` as it was at opening (the final count
  comes with ``poll.closed``), so a late voter's choice cannot be singled out.
  For an open poll, moderators see each ballot (``poll.ballot``, theirs only).
* Live counts (``poll.tally``) go to everyone with ``live_results``, else to
  moderators only, at most one per poll every 500 ms: a vote inside the
  window marks the tally due, and the next entry at or after the window's end
  (the server appends a ``tick`` then) announces it.

Sealed ballots (rules 4, every ``secret`` poll): the core never sees a choice.

* ``poll.open`` carries ``ballot_key``, a random id of the poll's key, which
  the server keeps outside the log. ``poll.vote`` carries ``sealed`` (the
  choice sealed under that key by the server, which checked it against the
  poll first) and no ``choices``. The rules of who may vote, once or again,
  stand as above: the log still says who voted.
* Live tallies come only in ``poll.release`` entries the server appends, each
  covering at least ``BATCH`` ballots cast since the last one (revotes count)
  and at most one every 500 ms; the tally shown, in events and in snapshots
  alike, is the last one released, with the eligibility at opening.
* ``poll.close`` (or ``session.end``) stops the ballots. Then the server
  appends ``poll.count``: the tally and the choices of every ballot in
  shuffled order, which must agree with each other and with the voters the
  log knows; only then does ``poll.closed`` announce the result, and the
  sealed ballots are forgotten (the server destroys the key once the count is
  durable). A second count of the same poll is ``conflict``; a count that
  says the key was ``lost`` closes the poll with unknown counts.
* While a poll is open, ``revote`` and ``invite_mode`` (who may join, and so
  vote) do not change: ``conflict``.

Ranked and score polls, quorum and thresholds (rules 6; ``tally.py`` counts):

* ``ranked``: a ballot's ``choices`` list options in order of preference, one
  to all of them, distinct (kept in that order). Its counts are first
  preferences; the close runs the instant runoff (``winner``, ``rounds``).
* ``score`` (with ``max_score``, 1..10): a ballot's ``scores`` give one whole
  score 0..max_score per option (no ``choices``); its counts are the totals,
  and the close adds the ``means``. Only a score poll takes ``scores`` or
  ``max_score``.
* ``quorum`` (any kind) counts the eligible participants present at the close
  (residents online or seated in the hall, not removed): the close records
  it (``present``). ``threshold`` (``simple``, ``2/3``, ``3/4``) with
  ``threshold_base`` (``cast``, the default, or ``eligible``); a threshold on
  a ``multi`` or ``score`` poll, or a base without a threshold, is
  ``bad_command``; a ``yes_no_abstain`` poll with a quorum and no threshold
  takes ``simple``. When the counts are final (the close; a secret poll's
  count) the poll says what was decided: ``outcome`` and ``decided_by``.
* Before rules 6 none of these exist: ``bad_command``.
"""

from __future__ import annotations

from . import tally as counting
from .args import PollCount, PollOpen, PollRef, PollRelease, PollVote
from .context import Context
from .state import Poll, RoomState
from .types import MODERATORS, PUBLIC, CommandError, ErrorCode, Json, Role

YES_NO_ABSTAIN = ["赞成", "反对", "弃权"]
TALLY_INTERVAL_MS = 500
BATCH = 3  # a sealed poll's live tally moves by at least this many new ballots


def _poll(ctx: Context, poll_id: str) -> Poll:
    poll = ctx.state.polls.get(poll_id)
    if poll is None:
        raise CommandError(ErrorCode.NOT_FOUND, f"no poll {poll_id}")
    return poll


def announce_tally(ctx: Context, poll: Poll) -> None:
    poll.last_tally_at = ctx.at
    poll.tally_dirty = False
    # A late voter raises `eligible`: while the poll is open that would single out
    # a newcomer's secret ballot, so its live counts keep the eligibility at opening.
    ctx.emit("poll.tally", poll.shown_tally(), PUBLIC if poll.live_results else MODERATORS)


def announce_turnout(ctx: Context, poll: Poll) -> None:
    poll.last_turnout_at = ctx.at
    poll.turnout_dirty = False
    ctx.emit("poll.turnout", poll.turnout(), PUBLIC)


def count_turnout(ctx: Context, poll: Poll) -> None:
    """A ballot was cast: everyone hears the turnout now, or within 500 ms of the last
    (rooms of rules 7; older logs replay to the events their clients saw)."""
    if not ctx.state.rules.turnout:
        return
    if poll.last_turnout_at is None or ctx.at - poll.last_turnout_at >= TALLY_INTERVAL_MS:
        announce_turnout(ctx, poll)
    else:
        poll.turnout_dirty = True


def _due(dirty: bool, last_at: int | None) -> int | None:
    return last_at + TALLY_INTERVAL_MS if dirty and last_at is not None else None


def tally_deadline(poll: Poll) -> int | None:
    """When the poll's coalesced tally or turnout is next due (None: nothing waits)."""
    due = [
        d
        for d in (
            _due(poll.tally_dirty, poll.last_tally_at),
            _due(poll.turnout_dirty, poll.last_turnout_at),
        )
        if d is not None
    ]
    return min(due) if due else None


def flush_due_tallies(ctx: Context) -> None:
    for poll in ctx.state.polls.values():
        if poll.status != "open":
            continue
        due = _due(poll.tally_dirty, poll.last_tally_at)
        if due is not None and due <= ctx.at:
            announce_tally(ctx, poll)
        due = _due(poll.turnout_dirty, poll.last_turnout_at)
        if due is not None and due <= ctx.at:
            announce_turnout(ctx, poll)


def present_voters(state: RoomState) -> set[str]:
    """The eligible participants present now: residents online or seated in the hall,
    not removed (whom a poll opens to, and whom a quorum counts at the close)."""
    return {
        p.participant_id
        for p in state.participants.values()
        if p.role is Role.PARTICIPANT and p.present
    }


def _decide(poll: Poll, ballots: list[tuple[int, ...]] | list[list[int]]) -> None:
    """Record what the poll decided, its counts being final (rules 6 fields only)."""
    decided: Json = {}
    winner: int | None = None
    rounds: list[Json] = []
    if poll.kind == "ranked":
        winner, rounds = counting.irv(len(poll.options), ballots)
        decided.update(winner=winner, rounds=rounds)
    if poll.kind == "score":
        decided["means"] = counting.means(poll.counts, poll.voters)
    assert poll.present is not None or poll.quorum is None
    rule = counting.decide(
        kind=poll.kind,
        counts=poll.counts,
        voters=poll.voters,
        eligible=poll.eligible,
        present=poll.present or 0,
        quorum=poll.quorum,
        threshold=poll.threshold,
        threshold_base=poll.threshold_base or "cast",
        rounds=rounds,
        winner=winner,
    )
    if rule is not None:
        decided.update(rule)
    poll.decided = decided or None


def close_poll(ctx: Context, poll: Poll) -> Json:
    poll.status = "closed"
    poll.closed_at = ctx.at
    poll.tally_dirty = False
    # A named poll's ``poll.closed`` says who voted; a sealed one's waits for the count,
    # so its last ballots' turnout goes out now.
    if poll.turnout_dirty and poll.sealed_ballots:
        announce_turnout(ctx, poll)
    poll.turnout_dirty = False
    if ctx.state.rules.procedure:
        poll.present = len(present_voters(ctx.state))
    if poll.sealed_ballots:
        # The result waits for the count (poll.count), which only the server can make.
        return {"counts": None, "voters": poll.voters, "eligible": poll.eligible}
    _decide(poll, list(poll.ballots.values()))
    ctx.emit("poll.closed", poll.tally())
    return {"counts": list(poll.counts), "voters": poll.voters, "eligible": poll.eligible}


def check_ballot(
    poll: Poll, choices: list[int] | None, scores: list[int] | None
) -> tuple[int, ...]:
    """A vote's ``choices`` or ``scores`` as a ballot of ``poll``, or ``bad_command``.
    The server asks it too before it seals a secret ballot, which the core cannot
    open."""
    if poll.kind == "score":
        if scores is None or choices is not None:
            raise CommandError(ErrorCode.BAD_COMMAND, "a score poll's ballot is scores")
        return check_scores(poll, scores)
    if scores is not None:
        raise CommandError(ErrorCode.BAD_COMMAND, "only a score poll takes scores")
    if choices is None:
        raise CommandError(ErrorCode.BAD_COMMAND, "choices is required")
    return check_choices(poll, choices)


def check_scores(poll: Poll, scores: list[int]) -> tuple[int, ...]:
    """``scores`` as a score poll's ballot: one per option, 0..max_score."""
    assert poll.max_score is not None
    if len(scores) != len(poll.options):
        raise CommandError(
            ErrorCode.BAD_COMMAND, f"give one score for each of the {len(poll.options)} options"
        )
    if any(not 0 <= s <= poll.max_score for s in scores):
        raise CommandError(
            ErrorCode.BAD_COMMAND, f"a score is a whole number from 0 to {poll.max_score}"
        )
    return tuple(scores)


def check_choices(poll: Poll, choices: list[int]) -> tuple[int, ...]:
    """``choices`` as a ballot of ``poll`` (sorted; a ranking in its order), or
    ``bad_command``."""
    if poll.kind == "score":
        return check_scores(poll, choices)  # a count's record of a score ballot
    if len(set(choices)) != len(choices):
        raise CommandError(ErrorCode.BAD_COMMAND, "choices must be distinct")
    if any(c >= len(poll.options) for c in choices):
        raise CommandError(ErrorCode.BAD_COMMAND, "no such option")
    if poll.kind == "ranked":
        if not choices:
            raise CommandError(ErrorCode.BAD_COMMAND, "rank at least one option")
        return tuple(choices)
    if poll.kind == "multi":
        if not 1 <= len(choices) <= poll.max_choices:
            raise CommandError(
                ErrorCode.BAD_COMMAND, f"choose between 1 and {poll.max_choices} options"
            )
    elif len(choices) != 1:
        raise CommandError(ErrorCode.BAD_COMMAND, "choose exactly one option")
    return tuple(sorted(choices))


def _options(ctx: Context, args: PollOpen) -> tuple[list[str], int]:
    """The poll's options and its ``max_choices``, or ``bad_command``."""
    _procedure(ctx, args)
    if args.kind == "yes_no_abstain":
        return list(YES_NO_ABSTAIN), 1
    options = args.options or []
    if len(options) < 2:
        raise CommandError(ErrorCode.BAD_COMMAND, "a poll needs at least two options")
    if len(set(options)) != len(options):
        raise CommandError(ErrorCode.BAD_COMMAND, "options must be distinct")
    if args.kind in ("ranked", "score"):
        return options, len(options)  # a ranking may hold every option; a score, one each
    max_choices = 1 if args.kind == "single" else args.max_choices or len(options)
    if max_choices > len(options):
        raise CommandError(ErrorCode.BAD_COMMAND, "max_choices exceeds the number of options")
    return options, max_choices


def _procedure(ctx: Context, args: PollOpen) -> None:
    """Rules 6 arguments that do not fit the poll (or come before rules 6): ``bad_command``."""
    new = args.kind in ("ranked", "score") or any(
        v is not None for v in (args.max_score, args.quorum, args.threshold, args.threshold_base)
    )
    if new and not ctx.state.rules.procedure:
        raise CommandError(
            ErrorCode.BAD_COMMAND, "ranked and score polls, quorum and thresholds need rules 6"
        )
    if (args.kind == "score") != (args.max_score is not None):
        raise CommandError(
            ErrorCode.BAD_COMMAND, "a score poll needs max_score, and only a score poll takes it"
        )
    if args.threshold is not None and args.kind in counting.NO_THRESHOLD_KINDS:
        raise CommandError(
            ErrorCode.BAD_COMMAND,
            f"a {args.kind} poll takes no threshold: each ballot backs several "
            "options, so no option's share decides (a quorum is fine)",
        )
    if args.threshold_base is not None and args.threshold is None:
        raise CommandError(ErrorCode.BAD_COMMAND, "threshold_base needs a threshold")


def poll_open_check(ctx: Context, args: PollOpen) -> None:
    """options that do not make a poll; rules 6 arguments that do not fit it"""
    _options(ctx, args)


def poll_open(ctx: Context, args: PollOpen) -> Json:
    moderator = ctx.actor()
    options, max_choices = _options(ctx, args)
    threshold = args.threshold
    if threshold is None and args.quorum is not None and args.kind == "yes_no_abstain":
        threshold = "simple"  # a motion with a quorum passes by a majority of votes cast
    state = ctx.state
    eligible = present_voters(state)
    key_id: str | None = None
    if args.secret and state.rules.sealed_ballots:
        # Set by the server after the edge's checks: an entry without it was not.
        if args.ballot_key is None:
            raise CommandError(ErrorCode.BAD_COMMAND, "a secret poll needs its ballot key")
        key_id = args.ballot_key
    poll = Poll(
        poll_id=ctx.new_id("p"),
        item_id=state.item.item_id,
        question=args.question,
        options=options,
        kind=args.kind,
        max_choices=max_choices,
        secret=args.secret,
        live_results=args.live_results,
        opened_at=ctx.at,
        opened_by=moderator.participant_id,
        eligible_ids=eligible,
        counts=[0] * len(options),
        key_id=key_id,
        max_score=args.max_score,
        quorum=args.quorum,
        threshold=threshold,
        threshold_base=(args.threshold_base or "cast") if threshold else None,
    )
    state.polls[poll.poll_id] = poll
    opened = poll.to_wire()
    if state.rules.turnout:  # the pages show "0 of N voted" from the start
        opened["turnout"] = poll.turnout()
    ctx.emit("poll.opened", opened)
    return {"poll_id": poll.poll_id}


def poll_vote_check(ctx: Context, args: PollVote) -> None:
    """no such poll; closed; choices that do not fit; a second ballot without revote"""
    voter = ctx.acting_for(args.on_behalf_of)
    poll = _poll(ctx, args.poll_id)
    if poll.status != "open":
        raise CommandError(ErrorCode.CONFLICT, "the poll is closed")
    if args.sealed is None:
        check_ballot(poll, args.choices, args.scores)
    if voter.participant_id in poll.ballots and not ctx.state.settings["revote"]:
        raise CommandError(ErrorCode.CONFLICT, "already voted")


def poll_vote(ctx: Context, args: PollVote) -> Json:
    voter = ctx.acting_for(args.on_behalf_of)
    poll = _poll(ctx, args.poll_id)
    # Which of the two a ballot carries is the server's doing (it seals a secret
    # poll's choices after the edge's checks): an entry with the other was not.
    if poll.sealed_ballots:
        if args.sealed is None or args.choices is not None or args.scores is not None:
            raise CommandError(
                ErrorCode.BAD_COMMAND, "a secret ballot is sealed by the server, never in clear"
            )
    elif args.sealed is not None:
        raise CommandError(ErrorCode.BAD_COMMAND, "choices is required")
    if args.sealed is not None:
        poll.ballots[voter.participant_id] = ()
        poll.sealed[voter.participant_id] = args.sealed
        poll.cast += 1
        count_turnout(ctx, poll)
        return {}  # its tally moves by poll.release, in batches
    ballot = check_ballot(poll, args.choices, args.scores)
    counting.add_ballot(poll.kind, poll.counts, poll.ballots.get(voter.participant_id, ()), -1)
    counting.add_ballot(poll.kind, poll.counts, ballot)
    poll.ballots[voter.participant_id] = ballot
    if not poll.secret:
        data: Json = {
            "poll_id": poll.poll_id,
            "participant_id": voter.participant_id,
            "scores" if poll.kind == "score" else "choices": list(ballot),
        }
        if ctx.state.rules.hall_only_proxies and voter.participant_id != ctx.entry.actor:
            data["by"] = ctx.entry.actor
        ctx.emit("poll.ballot", data, MODERATORS)
    if poll.last_tally_at is None or ctx.at - poll.last_tally_at >= TALLY_INTERVAL_MS:
        announce_tally(ctx, poll)
    else:
        poll.tally_dirty = True
    count_turnout(ctx, poll)
    return {}


def poll_close_check(ctx: Context, args: PollRef) -> None:
    """no such poll; already closed"""
    if _poll(ctx, args.poll_id).status != "open":
        raise CommandError(ErrorCode.CONFLICT, "the poll is already closed")


def poll_close(ctx: Context, args: PollRef) -> Json:
    return close_poll(ctx, _poll(ctx, args.poll_id))


def _sealed_poll(ctx: Context, poll_id: str) -> Poll:
    poll = _poll(ctx, poll_id)
    if not poll.sealed_ballots:
        raise CommandError(ErrorCode.BAD_COMMAND, "only a secret poll's ballots are sealed")
    return poll


def poll_release(ctx: Context, args: PollRelease) -> Json:
    """The server releases a sealed poll's live tally (a batch of ballots)."""
    poll = _sealed_poll(ctx, args.poll_id)
    if poll.status != "open":
        raise CommandError(ErrorCode.CONFLICT, "the poll is closed")
    if len(args.counts) != len(poll.options) or args.voters > poll.voters:
        raise CommandError(ErrorCode.BAD_COMMAND, "the tally does not fit the poll")
    if args.cast > poll.cast or args.cast - poll.released_cast < BATCH:
        raise CommandError(ErrorCode.CONFLICT, f"a tally moves by {BATCH} ballots or more")
    if poll.last_tally_at is not None and ctx.at - poll.last_tally_at < TALLY_INTERVAL_MS:
        raise CommandError(ErrorCode.CONFLICT, "a tally was released less than 500 ms ago")
    poll.released = {"counts": list(args.counts), "voters": args.voters}
    poll.released_cast = args.cast
    announce_tally(ctx, poll)
    return {}


def poll_count(ctx: Context, args: PollCount) -> Json:
    """The server counts a closed sealed poll: the result, and the ballots in shuffled
    order (which must add up to it); the sealed ballots are forgotten."""
    poll = _sealed_poll(ctx, args.poll_id)
    if poll.status != "closed":
        raise CommandError(ErrorCode.CONFLICT, "the poll is still open")
    if poll.counted:
        raise CommandError(ErrorCode.CONFLICT, "the poll is already counted")
    if args.lost:
        poll.lost = True
    else:
        choices = [check_choices(poll, b) for b in (args.choices or [])]
        counts = counting.count(poll.kind, len(poll.options), choices)
        if (
            args.counts != counts
            or args.voters != poll.voters
            or len(choices) != poll.voters
            or args.eligible != poll.eligible
        ):
            raise CommandError(ErrorCode.BAD_COMMAND, "the count does not add up")
        poll.counts = counts
        poll.recount = [list(b) for b in choices]  # (sorted, a ranking in its order)
        _decide(poll, poll.recount)
    poll.counted = True
    poll.sealed.clear()
    ctx.emit("poll.closed", poll.tally())
    return poll.tally()

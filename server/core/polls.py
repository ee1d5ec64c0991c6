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
"""

from __future__ import annotations

from .args import PollOpen, PollRef, PollVote
from .context import Context
from .state import Poll
from .types import MODERATORS, PUBLIC, CommandError, ErrorCode, Json, Role

YES_NO_ABSTAIN = ["赞成", "反对", "弃权"]
TALLY_INTERVAL_MS = 500


def _poll(ctx: Context, poll_id: str) -> Poll:
    poll = ctx.state.polls.get(poll_id)
    if poll is None:
        raise CommandError(ErrorCode.NOT_FOUND, f"no poll {poll_id}")
    return poll


def announce_tally(ctx: Context, poll: Poll) -> None:
    poll.last_tally_at = ctx.at
    poll.tally_dirty = False
    tally = poll.tally()
    if poll.secret:
        # A late voter raises `eligible`: while the poll is open that would single
        # out a newcomer's ballot, so live counts keep the eligibility at opening.
        tally["eligible"] = len(poll.eligible_ids)
    ctx.emit("poll.tally", tally, PUBLIC if poll.live_results else MODERATORS)


def tally_deadline(poll: Poll) -> int | None:
    if not poll.tally_dirty or poll.last_tally_at is None:
        return None
    return poll.last_tally_at + TALLY_INTERVAL_MS


def flush_due_tallies(ctx: Context) -> None:
    for poll in ctx.state.polls.values():
        due = tally_deadline(poll)
        if due is not None and due <= ctx.at and poll.status == "open":
            announce_tally(ctx, poll)


def close_poll(ctx: Context, poll: Poll) -> Json:
    poll.status = "closed"
    poll.closed_at = ctx.at
    poll.tally_dirty = False
    ctx.emit("poll.closed", poll.tally())
    return {"counts": list(poll.counts), "voters": poll.voters, "eligible": poll.eligible}


def poll_open(ctx: Context, args: PollOpen) -> Json:
    moderator = ctx.actor()
    kind = args.kind
    if kind == "yes_no_abstain":
        options = list(YES_NO_ABSTAIN)
        max_choices = 1
    else:
        options = args.options or []
        if len(options) < 2:
            raise CommandError(ErrorCode.BAD_COMMAND, "a poll needs at least two options")
        if len(set(options)) != len(options):
            raise CommandError(ErrorCode.BAD_COMMAND, "options must be distinct")
        max_choices = 1 if kind == "single" else args.max_choices or len(options)
        if max_choices > len(options):
            raise CommandError(ErrorCode.BAD_COMMAND, "max_choices exceeds the number of options")
    state = ctx.state
    eligible = {p.participant_id for p in state.participants.values()
                if p.role is Role.PARTICIPANT and p.present}
    poll = Poll(poll_id=ctx.new_id("p"), item_id=state.item.item_id, question=args.question,
                options=options, kind=kind, max_choices=max_choices,
                secret=args.secret, live_results=args.live_results,
                opened_at=ctx.at, opened_by=moderator.participant_id, eligible_ids=eligible,
                counts=[0] * len(options))
    state.polls[poll.poll_id] = poll
    ctx.emit("poll.opened", poll.to_wire())
    return {"poll_id": poll.poll_id}


def poll_vote(ctx: Context, args: PollVote) -> Json:
    voter = ctx.acting_for(args.on_behalf_of)
    poll = _poll(ctx, args.poll_id)
    if poll.status != "open":
        raise CommandError(ErrorCode.CONFLICT, "the poll is closed")
    choices = args.choices
    if len(set(choices)) != len(choices):
        raise CommandError(ErrorCode.BAD_COMMAND, "choices must be distinct")
    if any(c >= len(poll.options) for c in choices):
        raise CommandError(ErrorCode.BAD_COMMAND, "no such option")
    if poll.kind == "multi":
        if not 1 <= len(choices) <= poll.max_choices:
            raise CommandError(ErrorCode.BAD_COMMAND,
                               f"choose between 1 and {poll.max_choices} options")
    elif len(choices) != 1:
        raise CommandError(ErrorCode.BAD_COMMAND, "choose exactly one option")
    previous = poll.ballots.get(voter.participant_id)
    if previous is not None and not ctx.state.settings["revote"]:
        raise CommandError(ErrorCode.CONFLICT, "already voted")
    for c in previous or ():
        poll.counts[c] -= 1
    ballot = tuple(sorted(choices))
    for c in ballot:
        poll.counts[c] += 1
    poll.ballots[voter.participant_id] = ballot
    if not poll.secret:
        data: Json = {"poll_id": poll.poll_id, "participant_id": voter.participant_id,
                "choices": list(ballot)}
        if ctx.state.rules.hall_only_proxies and voter.participant_id != ctx.entry.actor:
            data["by"] = ctx.entry.actor
        ctx.emit("poll.ballot", data, MODERATORS)
    if poll.last_tally_at is None or ctx.at - poll.last_tally_at >= TALLY_INTERVAL_MS:
        announce_tally(ctx, poll)
    else:
        poll.tally_dirty = True
    return {}


def poll_close(ctx: Context, args: PollRef) -> Json:
    poll = _poll(ctx, args.poll_id)
    if poll.status != "open":
        raise CommandError(ErrorCode.CONFLICT, "the poll is already closed")
    return close_poll(ctx, poll)

"""The speaking queue and the floor: hands, turns, statements.

Rules (PROTOCOL.md, "Stances and the speaking queue"):

* ``hand.raise`` with the stance you already wait with is a no-op success; with
  another stance it moves you to the end of that side; while you hold the
  floor, or while the session is not live, it is ``conflict``. ``hand.lower``
  when not waiting succeeds and does nothing.
* ``turn.next`` and ``turn.grant`` answer ``conflict`` while a turn runs.
  Giving someone the floor removes their queue entry. ``turn.grant`` is a
  moderator override, marked ``override: true``.
* Every turn ends at ``ends_at`` by itself (``expired``, lasting exactly
  ``ends_at - started_at``); a floor holder with no socket anywhere for 20 s
  (counted from the turn's start if they were already away) loses the floor
  (``left``); attendees in the hall never do.
* Statements come from the floor holder; a clerk posts them for a holder who
  has no socket (an attendee in the hall). Observers and offices never speak.
* Only finished turns count in the balance; override turns count like others.
"""

from __future__ import annotations

from . import queue as policy
from .args import (
    ForSomeone,
    HandRaise,
    NoArgs,
    Person,
    StatementPost,
    TurnEnd,
    TurnExtend,
    TurnGrant,
)
from .context import Context
from .state import Participant, QueueEntry, Statement, Turn
from .types import CommandError, ErrorCode, Json, Role

LEFT_GRACE_MS = 20_000


def end_turn(ctx: Context, reason: str, *, ended_at: int | None = None) -> None:
    """End the running turn, count it, and announce the new balance and queue."""
    state = ctx.state
    turn = state.turn
    assert turn is not None
    end = ctx.at if ended_at is None else ended_at
    end = max(turn.started_at, min(end, turn.ends_at))
    turn.ended_at, turn.reason, turn.duration_ms = end, reason, end - turn.started_at
    state.turn = None
    item = state.item_by_id(turn.item_id)
    assert item is not None
    policy.record_finished_turn(
        item,
        participant_id=turn.participant_id,
        stance=turn.stance,
        duration_ms=turn.duration_ms,
        ended_at=end,
    )
    ctx.emit(
        "turn.ended",
        {
            "turn_id": turn.turn_id,
            "participant_id": turn.participant_id,
            "stance": turn.stance,
            "reason": reason,
            "duration_ms": turn.duration_ms,
            "override": turn.override,
            "balance": {side: t.to_wire() for side, t in item.balance.items()},
        },
    )
    if item is state.item:
        ctx.emit_queue()


def floor_deadline(ctx: Context) -> int | None:
    """When the running turn must end by itself: its limit, or the holder's absence."""
    turn = ctx.state.turn
    if turn is None:
        return None
    holder = ctx.state.participants[turn.participant_id]
    if holder.in_hall or holder.online:
        return turn.ends_at
    # Absent since they left, or since the turn began if they were never here.
    gone_since = max(holder.offline_since or turn.started_at, turn.started_at)
    return min(turn.ends_at, gone_since + LEFT_GRACE_MS)


def enforce_deadlines(ctx: Context) -> None:
    """Called before every entry: end a turn whose deadline is at or before ``at``."""
    turn = ctx.state.turn
    deadline = floor_deadline(ctx)
    if turn is None or deadline is None or deadline > ctx.at:
        return
    reason = "expired" if deadline == turn.ends_at else "left"
    end_turn(ctx, reason, ended_at=deadline)


def _give_floor(ctx: Context, participant_id: str, stance: str, *, override: bool) -> Json:
    state = ctx.state
    person = state.participants[participant_id]
    item = state.item
    item.queue.pop(participant_id, None)
    started = ctx.at
    turn = Turn(
        turn_id=ctx.new_id("t"),
        item_id=item.item_id,
        participant_id=participant_id,
        name=person.name,
        stance=stance,
        started_at=started,
        ends_at=started + state.settings["turn_seconds"] * 1000,
        override=override,
        recorded=bool(state.settings.get("record_audio")),
    )  # rules 5
    state.turn = turn
    item.turns.append(turn)
    ctx.emit("turn.started", turn.to_wire())
    # Announced even when the holder was not waiting: `next` may change all the same.
    ctx.emit_queue()
    return {"turn_id": turn.turn_id}


def _require_no_turn(ctx: Context) -> None:
    if ctx.state.turn is not None:
        raise CommandError(ErrorCode.CONFLICT, "a turn is running: end it first")


def _running_turn(ctx: Context, turn_id: str | None) -> Turn:
    turn = ctx.state.turn
    if turn is None:
        raise CommandError(ErrorCode.CONFLICT, "no turn is running")
    if turn_id is not None and turn_id != turn.turn_id:
        raise CommandError(ErrorCode.CONFLICT, f"turn {turn_id} is not the running turn")
    return turn


def _proxied(ctx: Context, on_behalf_of: str | None) -> Participant:
    """Whom a hand is for. Before rules 3 a moderator could act for anyone."""
    sender = ctx.actor()
    if (
        not ctx.state.rules.hall_only_proxies
        and sender.role is Role.MODERATOR
        and on_behalf_of not in (None, sender.participant_id)
    ):
        person = ctx.participant(on_behalf_of or "")
        if person.role is not Role.PARTICIPANT:
            raise CommandError(ErrorCode.FORBIDDEN, "only residents can be acted for")
        return person
    return ctx.acting_for(on_behalf_of)


# -- checks: each command's refusals (pure; the reducer and the edge both call them) --


def hand_raise_check(ctx: Context, args: HandRaise) -> None:
    """someone not acted for; the floor holder"""
    person = _proxied(ctx, args.on_behalf_of)
    turn = ctx.state.turn
    if turn is not None and turn.participant_id == person.participant_id:
        raise CommandError(ErrorCode.CONFLICT, "you hold the floor")


def hand_lower_check(ctx: Context, args: ForSomeone) -> None:
    """someone not acted for"""
    _proxied(ctx, args.on_behalf_of)


def queue_remove_check(ctx: Context, args: Person) -> None:
    """not waiting"""
    if args.participant_id not in ctx.state.item.queue:
        raise CommandError(ErrorCode.NOT_FOUND, "that participant is not waiting")


def turn_next_check(ctx: Context, args: NoArgs) -> None:
    """a turn running; nobody waiting"""
    _require_no_turn(ctx)
    if policy.pick_next(ctx.state.item, ctx.state.settings["policy"]) is None:
        raise CommandError(ErrorCode.CONFLICT, "nobody is waiting")


def turn_grant_check(ctx: Context, args: TurnGrant) -> None:
    """a turn running; no such person; an observer"""
    _require_no_turn(ctx)
    if ctx.participant(args.participant_id).role is Role.OBSERVER:
        raise CommandError(ErrorCode.CONFLICT, "observers cannot take the floor")


def turn_end_check(ctx: Context, args: TurnEnd | TurnExtend) -> None:
    """no turn, or not that turn, running"""
    _running_turn(ctx, args.turn_id)


def turn_yield_check(ctx: Context, args: NoArgs) -> None:
    """not the floor holder"""
    turn = ctx.state.turn
    if turn is None or turn.participant_id != ctx.actor().participant_id:
        raise CommandError(ErrorCode.CONFLICT, "you do not hold the floor")


def statement_check(ctx: Context, args: StatementPost) -> None:
    """nobody, or someone else, holds the floor (a clerk: one not in the hall)

    The floor holder speaks; a clerk types for a holder who is in the hall. A
    clerk who does not hold the floor posts for the holder, named or not.
    """
    sender = ctx.actor()
    turn = ctx.state.turn
    if turn is None:
        raise CommandError(ErrorCode.CONFLICT, "nobody holds the floor")
    holder = ctx.state.participants[turn.participant_id]
    if not ctx.state.rules.hall_only_proxies:
        _legacy_statement_check(sender, holder, args.on_behalf_of)
        return
    for_holder = sender.role is Role.CLERK and sender.participant_id != holder.participant_id
    target = args.on_behalf_of or (holder.participant_id if for_holder else None)
    if ctx.acting_for(target).participant_id != holder.participant_id:
        raise CommandError(ErrorCode.CONFLICT, "you do not hold the floor")


# -- handlers: applied after the row's check passed ----------------------------------


def hand_raise(ctx: Context, args: HandRaise) -> Json:
    person = _proxied(ctx, args.on_behalf_of)
    item = ctx.state.item
    existing = item.queue.get(person.participant_id)
    if existing is not None and existing.stance == args.stance:
        if args.note is not None and args.note != (existing.note or ""):
            existing.note = args.note or None
            ctx.hands_moved()
        return {"position": policy.position(item, person.participant_id)}
    by = ctx.entry.actor if person.participant_id != ctx.entry.actor else None
    item.queue.pop(person.participant_id, None)
    item.queue[person.participant_id] = QueueEntry(
        participant_id=person.participant_id,
        stance=args.stance,
        raised_at=ctx.at,
        order=ctx.entry.seq,
        note=args.note or None,
        by=by if ctx.state.rules.hall_only_proxies else None,
    )
    ctx.hands_moved()
    return {"position": policy.position(item, person.participant_id)}


def hand_lower(ctx: Context, args: ForSomeone) -> Json:
    person = _proxied(ctx, args.on_behalf_of)
    if ctx.state.item.queue.pop(person.participant_id, None) is not None:
        ctx.hands_moved()
    return {}


def queue_remove(ctx: Context, args: Person) -> Json:
    del ctx.state.item.queue[args.participant_id]
    ctx.emit_queue()
    return {}


def turn_next(ctx: Context, args: NoArgs) -> Json:
    chosen = policy.pick_next(ctx.state.item, ctx.state.settings["policy"])
    assert chosen is not None  # turn_next_check
    return _give_floor(ctx, chosen.participant_id, chosen.stance, override=False)


def turn_grant(ctx: Context, args: TurnGrant) -> Json:
    person = ctx.participant(args.participant_id)
    waiting = ctx.state.item.queue.get(person.participant_id)
    stance = args.stance or (waiting.stance if waiting else "neutral")
    return _give_floor(ctx, person.participant_id, stance, override=True)


def turn_end(ctx: Context, args: TurnEnd) -> Json:
    end_turn(ctx, "moderator")
    return {}


def turn_extend(ctx: Context, args: TurnExtend) -> Json:
    turn = _running_turn(ctx, args.turn_id)
    turn.ends_at += args.seconds * 1000
    turn.extended_ms += args.seconds * 1000
    ctx.emit("turn.extended", turn.to_wire())
    return {"ends_at": turn.ends_at}


def turn_yield(ctx: Context, args: NoArgs) -> Json:
    end_turn(ctx, "yielded")
    return {}


def statement_post(ctx: Context, args: StatementPost) -> Json:
    """Attributed to the holder; ``by`` says who typed it."""
    turn = ctx.state.turn
    assert turn is not None  # statement_check
    statement = Statement(
        statement_id=ctx.new_id("s"),
        turn_id=turn.turn_id,
        participant_id=turn.participant_id,
        text=args.text,
        at=ctx.at,
        by=ctx.actor().participant_id,
    )
    turn.statements.append(statement)
    ctx.emit(
        "statement.posted",
        statement.to_wire_named() if ctx.state.rules.hall_only_proxies else statement.to_wire(),
    )
    return {"statement_id": statement.statement_id}


def _legacy_statement_check(
    sender: Participant, holder: Participant, on_behalf: str | None
) -> None:
    """Rules 1-2: a clerk could post for any holder without a socket."""
    if sender.role is Role.MODERATOR and on_behalf not in (None, sender.participant_id):
        raise CommandError(ErrorCode.FORBIDDEN, "a clerk posts for an attendee in the hall")
    own = sender.participant_id == holder.participant_id
    if own and on_behalf in (None, holder.participant_id):
        return
    if sender.role is Role.CLERK and on_behalf in (None, holder.participant_id):
        if holder.online:
            raise CommandError(
                ErrorCode.CONFLICT, "the floor holder is online and posts their own statements"
            )
        return
    raise CommandError(ErrorCode.CONFLICT, "you do not hold the floor")

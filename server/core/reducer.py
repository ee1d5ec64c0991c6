"""The room state machine: ``apply(state, entry) -> Outcome``.

Rules of application, the same on every node:

* Entries are applied in log order, each exactly once. Before an entry's own
  effect, the clock advances to ``entry.at``: a turn whose deadline is at or
  before it ends (expired, or lost by an absent holder), due live tallies are
  announced, and remembered nonces older than ten minutes are forgotten. After
  it, a waiting list whose coalescing window has closed is announced.
* A command carrying a nonce the sender already used within ten minutes gets
  the first reply again and changes nothing.
* The entry's row in the command table decides, in this order: its arguments
  parse into the row's class, the sender may send it (for themselves, or for
  someone else), the session's state allows it, and the row's ``check``
  finds nothing to refuse. Then its handler runs, and only applies.
* ``precheck`` asks the same of a node's replica before a command is
  appended, so what the room would refuse for a reason already visible there
  is refused at the edge and never reaches the log. The reducer still
  decides: the replica may be behind, and a command that passed the
  precheck may be refused at its place in the log.
* A command that fails (``CommandError``) changes nothing; the clock advance
  before it stands.
* An entry the room cannot apply at all (an unknown kind, arguments the
  server would never have written, a handler that raises anything else) is a
  fault: its events are dropped, it is recorded in ``state.faults`` and
  announced to the moderators as ``room.fault``, and the room goes on. Every
  node meets the same entry with the same code, so every node records the
  same fault, and replay stays deterministic. (A handler that raised halfway
  may have changed the state before it did; it changed it the same way
  everywhere.)
* Every event takes the next event number of the room, whoever may see it.

After applying, call ``next_deadline(state)``: when it is not None, append a
``tick`` entry once the clock reaches it.
"""

from __future__ import annotations

from typing import Any

from . import floor, polls
from .commands import ONLY_LIVE, TABLE, Command
from .context import Context
from .schema import parse
from .state import RoomState
from .types import MODERATORS, CommandError, Entry, ErrorCode, Json, Outcome

NONCE_TTL_MS = 10 * 60 * 1000


def apply(state: RoomState, entry: Entry) -> Outcome:
    """Apply one log entry to ``state`` (in place) and say what it did."""
    if entry.seq != state.entry_seq + 1:
        raise ValueError(f"entry {entry.seq} applied after {state.entry_seq}")
    ctx = Context(state, entry)
    state.entry_seq = entry.seq
    state.last_at = max(state.last_at, entry.at)
    if entry.kind != "room.create":
        _advance_clock(ctx)

    if entry.nonce is not None and entry.actor is not None:
        known = remembered(state, entry.actor, entry.nonce, now=entry.at)
        if known is not None:
            return _outcome(ctx, known)

    reply = _run(ctx)
    # After the entry's own effect, so the list announced is the one it left.
    due = ctx.queue_deadline()
    if due is not None and due <= ctx.at:
        ctx.emit_queue()
    if entry.nonce is not None and entry.actor is not None:
        state.nonces[(entry.actor, entry.nonce)] = (entry.at, reply)
    return _outcome(ctx, reply)


def remembered(state: RoomState, actor: str, nonce: str, *, now: int) -> Json | None:
    """The reply first given to ``actor``'s command with ``nonce``, if still remembered
    at ``now`` (``{"result": ...}`` or ``{"error": CommandError}``)."""
    known = state.nonces.get((actor, nonce))
    if known is None or now - known[0] >= NONCE_TTL_MS:
        return None  # never seen, or forgotten (pruned at the room's next entry)
    return known[1]


def admit(ctx: Context, row: Command, args: Any) -> None:
    """Whether the entry's sender may send it, and the session's state allows it.

    Raises ``CommandError``. Cheap: ``precheck`` asks it of a replica too.
    """
    if row.senders or row.for_others:
        sender = ctx.actor()
        behalf = getattr(args, "on_behalf_of", None)
        for_other = behalf is not None and behalf != sender.participant_id
        allowed = row.for_others if for_other else row.senders
        if sender.role not in allowed:
            role = sender.role.value
            if for_other and sender.role in row.senders:
                message = f"a {role} may not send {row.name} on behalf of someone"
            elif not for_other and sender.role in row.for_others:
                message = f"a {role} sends {row.name} only on behalf of an attendee in the hall"
            else:
                message = f"{row.name} is not allowed for a {role}"
            raise CommandError(ErrorCode.FORBIDDEN, message)
    status = ctx.state.status
    if status not in row.states:
        if row.states == ONLY_LIVE:
            message = f"the session is {status}, not live"
        elif status == "ended":
            message = "the session has ended"
        else:
            message = f"the session is already {status}"
        raise CommandError(ErrorCode.CONFLICT, message)


def precheck(state: RoomState, row: Command, args: Any, *, actor: str, now: int) -> None:
    """Refuse now what ``apply`` would refuse of ``actor``'s command at ``now``.

    Raises ``CommandError``; changes nothing. Cheap (no text is read), so the
    server asks it of its replica before it screens or appends anything. It
    refuses only what the reducer would refuse at the same time on the same
    state: when the replica's clock has a turn's deadline to pass first (the
    entry will end that turn before it applies), the row's own check is left
    to the reducer.
    """
    at = max(now, state.last_at)  # the log's clock never runs backwards
    ctx = Context(state, Entry(seq=state.entry_seq + 1, at=at, kind=row.name, actor=actor))
    admit(ctx, row, args)
    deadline = floor.floor_deadline(ctx)
    if row.check is not None and (deadline is None or deadline > at):
        row.check(ctx, args)


def _run(ctx: Context) -> Json:
    row = TABLE.get(ctx.entry.kind)
    mark = len(ctx.events), ctx.state.event_seq
    try:
        if row is None:
            raise _Fault(f"unknown entry kind {ctx.entry.kind!r}")
        try:
            args: Any = parse(row.args, ctx.entry.args, client=False, logged=True)
        except CommandError as error:
            # The server checks every argument before it appends: this one was
            # written by something else, or by a server with other rules.
            raise _Fault(error.message) from None
        admit(ctx, row, args)
        if row.check is not None:
            row.check(ctx, args)
        return {"result": row.handler(ctx, args)}
    except CommandError as error:
        # Handlers check before they change anything; drop any event all the same.
        _drop_events(ctx, mark)
        return {"error": error}
    except Exception as exc:  # noqa: BLE001  (the rule of faults, above)
        _drop_events(ctx, mark)
        return _fault(ctx, exc)


class _Fault(Exception):
    """An entry the room cannot apply (not the sender's mistake: the log's)."""


def _drop_events(ctx: Context, mark: tuple[int, int]) -> None:
    del ctx.events[mark[0] :]
    ctx.state.event_seq = mark[1]


def _fault(ctx: Context, exc: Exception) -> Json:
    entry = ctx.entry
    reason = str(exc) if isinstance(exc, _Fault) else type(exc).__name__
    ctx.state.faults.append((entry.seq, entry.kind))
    ctx.emit(
        "room.fault", {"entry_seq": entry.seq, "kind": entry.kind, "reason": reason}, MODERATORS
    )
    return {
        "error": CommandError(
            ErrorCode.BAD_COMMAND, f"entry {entry.seq} could not be applied ({reason})"
        )
    }


def _outcome(ctx: Context, reply: Json) -> Outcome:
    return Outcome(
        entry_seq=ctx.entry.seq,
        events=tuple(ctx.events),
        result=reply.get("result"),
        error=reply.get("error"),
    )


def _advance_clock(ctx: Context) -> None:
    floor.enforce_deadlines(ctx)
    polls.flush_due_tallies(ctx)
    nonces = ctx.state.nonces
    while nonces:
        key, (at, _) = next(iter(nonces.items()))
        if ctx.at - at < NONCE_TTL_MS:
            break
        del nonces[key]


def next_deadline(state: RoomState) -> int | None:
    """The earliest time at which the room must be ticked, or None."""
    ctx = Context(state, Entry(seq=state.entry_seq, at=state.last_at, kind="tick"))
    deadlines = [floor.floor_deadline(ctx), ctx.queue_deadline()]
    deadlines += [polls.tally_deadline(p) for p in state.polls.values() if p.status == "open"]
    known = [d for d in deadlines if d is not None]
    return min(known) if known else None


def new_room(room_id: str) -> RoomState:
    return RoomState(room_id=room_id)


def replay(room_id: str, entries: list[Entry]) -> RoomState:
    """A room's state after applying ``entries`` from the start."""
    state = new_room(room_id)
    for entry in entries:
        apply(state, entry)
    return state

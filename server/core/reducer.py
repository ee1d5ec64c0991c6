"""The room state machine: ``apply(state, entry) -> Outcome``.

Rules of application, the same on every node:

* Entries are applied in log order, each exactly once. Before an entry's own
  effect, the clock advances to ``entry.at``: a turn whose deadline is at or
  before it ends (expired, or lost by an absent holder), due live tallies are
  announced, and remembered nonces older than ten minutes are forgotten. After
  it, a waiting list whose coalescing window has closed is announced.
* A command carrying a nonce the sender already used within ten minutes gets
  the first reply again and changes nothing.
* A command that fails (``CommandError``) changes nothing; the clock advance
  before it stands.
* Every event takes the next event number of the room, whoever may see it.

After applying, call ``next_deadline(state)``: when it is not None, append a
``tick`` entry once the clock reaches it.
"""

from __future__ import annotations

from . import chat, floor, polls, session, system  # noqa: F401  (register handlers)
from .context import HANDLERS, Context
from .state import RoomState
from .types import CommandError, Entry, ErrorCode, Json, Outcome

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
        remembered = state.nonces.get((entry.actor, entry.nonce))
        if remembered is not None:
            return _outcome(ctx, remembered[1])

    reply = _run(ctx)
    # After the entry's own effect, so the list announced is the one it left.
    due = ctx.queue_deadline()
    if due is not None and due <= ctx.at:
        ctx.emit_queue()
    if entry.nonce is not None and entry.actor is not None:
        state.nonces[(entry.actor, entry.nonce)] = (entry.at, reply)
    return _outcome(ctx, reply)


def _run(ctx: Context) -> Json:
    handler = HANDLERS.get(ctx.entry.kind)
    if handler is None:
        return {"error": CommandError(ErrorCode.BAD_COMMAND, f"unknown entry {ctx.entry.kind!r}")}
    mark = len(ctx.events), ctx.state.event_seq
    try:
        return {"result": handler(ctx, ctx.entry.args)}
    except CommandError as error:
        # Handlers check before they change anything; drop any event all the same.
        del ctx.events[mark[0]:]
        ctx.state.event_seq = mark[1]
        return {"error": error}


def _outcome(ctx: Context, reply: Json) -> Outcome:
    return Outcome(entry_seq=ctx.entry.seq, events=tuple(ctx.events),
                   result=reply.get("result"), error=reply.get("error"))


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

"""Carries one client command from the socket to the log and back to a reply.

The command's row in the table (``core/commands.py``) says everything: the
arguments are parsed with its class, the remembered reply of a repeated nonce
is given again, role, session state and the row's own check (the floor, a
mute, the chat mode and rate, a poll's state...) are asked of this node's
replica (``reducer.precheck``), and only then are the row's texts screened,
the arguments only the server sets filled, and the entry appended.

So a command the room would refuse for a reason this node can already see
is refused here: it costs no screening and never reaches the log (a flood of
rate-limited chats or of statements from someone without the floor leaves
the permanent record as it was). The order is the cost: cheap checks on the
replica first (a refusal confirmed by reading the log's tail), the
moderation pipeline after. The reducer decides again at the entry's place in
the log; these checks only keep junk out of it.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import TYPE_CHECKING, Any

from ..backends.base import BackendUnavailable
from ..core.commands import Command, Settle, client_command
from ..core.polls import check_ballot
from ..core.reducer import precheck, remembered
from ..core.schema import ServerValue, parse, server_values, to_log
from ..core.state import RoomState
from ..core.types import CommandError, ErrorCode, Json, Outcome
from ..host.signing import seal_approval
from ..wire import Command as Frame
from ..wire import error_reply, ok_reply

if TYPE_CHECKING:
    from ..host.node import RoomHost
    from ..services import Services
    from ..tokens import TokenClaims


def reply_to(cid: int | None, result: Json | None, error: CommandError | None) -> Json:
    return error_reply(cid, error) if error is not None else ok_reply(cid, result or {})


async def execute(services: Services, host: RoomHost, claims: TokenClaims, frame: Frame) -> Json:
    """The reply to ``frame``; its events have been queued to the sender before it."""
    if frame.cmd == "ping":
        return ok_reply(frame.id, {"server_time": services.clock()})
    row = client_command(frame.cmd)
    label = row.name if row is not None else "unknown"
    try:
        if frame.cmd == "hello":
            raise CommandError(ErrorCode.CONFLICT, "already said hello")
        if row is None:
            raise CommandError(ErrorCode.BAD_COMMAND, f"unknown command {frame.cmd!r}")
        args: Any = parse(row.args, frame.args, client=True)
        now = services.clock()
        if frame.nonce is not None:
            known = remembered(host.state, claims.participant_id, frame.nonce, now=now)
            if known is not None:
                return reply_to(frame.id, known.get("result"), known.get("error"))
        await _precheck(host, row, args, claims.participant_id, now)
        state = host.state
        logged = services.screener.command(
            row,
            to_log(args),
            spam_action=state.settings["spam_action"],
            room_id=host.room_id,
            participant_id=claims.participant_id,
            now_ms=now,
            topic=room_topic(state),
        )
        await _server_set(services, host, claims, row, args, logged)
        outcome = await services.node.submit(
            host.room_id, row.name, actor=claims.participant_id, args=logged, nonce=frame.nonce
        )
        if row.settles is not None and outcome.error is None:
            outcome = await _settled(services, host, row.settles, args, outcome)
    except CommandError as error:
        services.metrics.commands.labels(label, error.code.value).inc()
        return error_reply(frame.id, error)
    except BackendUnavailable:
        services.metrics.commands.labels(label, "unavailable").inc()
        return error_reply(
            frame.id, CommandError(ErrorCode.UNAVAILABLE, "the room's log is unreachable; retry")
        )
    result = outcome.error.code.value if outcome.error is not None else "ok"
    services.metrics.commands.labels(label, result).inc()
    return reply_to(frame.id, outcome.result, outcome.error)


async def _precheck(host: RoomHost, row: Command, args: Any, actor: str, now: int) -> None:
    """Refuse what the room would refuse on this node's replica (``CommandError``).

    A refusal is confirmed against the log's tail first: the replica may be a
    moment behind (a session started, a poll opened, through another node), and
    the edge must not refuse what the log would accept. That costs a read, never
    an append, and a socket sends at most 20 commands a second; with the log
    unreachable, the replica's answer stands (nothing could be appended anyway).
    """
    try:
        precheck(host.state, row, args, actor=actor, now=now)
    except CommandError:
        with contextlib.suppress(BackendUnavailable):
            await host.catch_up()
        precheck(host.state, row, args, actor=actor, now=now)


async def _seal(
    services: Services, host: RoomHost, claims: TokenClaims, args: Any, logged: Json
) -> None:
    """A secret poll's ballot (rules 4, see ``ballots``): its choices checked, then
    sealed in their place."""
    poll = host.state.polls.get(args.poll_id)
    if not host.state.rules.sealed_ballots or poll is None or not poll.sealed_ballots:
        return  # (the precheck found the poll; the reducer refuses it if it is gone)
    ballot = check_ballot(poll, args.choices, args.scores)  # the precheck's, again, for its value
    voter = args.on_behalf_of or claims.participant_id
    sealed = (
        await services.node.ballots.seal_vote(host, poll, voter, ballot)
        if poll.status == "open"
        else None
    )
    if sealed is None:
        raise CommandError(ErrorCode.CONFLICT, "the poll is closed")
    logged.pop("choices", None)
    logged.pop("scores", None)
    logged.pop("salt", None)  # a seal is random already
    logged["sealed"] = sealed


async def _settled(
    services: Services, host: RoomHost, settle: Settle, args: Any, outcome: Outcome
) -> Outcome:
    """After a command that may leave secret-ballot work (a full batch, a closed poll),
    do it when its row says: before the reply for a close, whose reply carries the
    count (``args`` names the poll); in the background for the others."""
    ballots = services.node.ballots
    if settle is Settle.AFTER:
        services.node.spawn(ballots.settle(host))
        return outcome
    poll = host.state.polls.get(args.poll_id)
    if poll is None or not poll.sealed_ballots:
        return outcome
    await ballots.settle(host)
    poll = host.state.polls[args.poll_id]
    if not poll.counted:
        return outcome  # another node counts it; poll.closed will tell
    tally = poll.tally()
    result = {"counts": tally["counts"], "voters": tally["voters"], "eligible": tally["eligible"]}
    return Outcome(entry_seq=outcome.entry_seq, events=outcome.events, result=result)


def room_topic(state: RoomState) -> str:
    """What the room is about, for the moderation scorer: title, topic, current item."""
    item = state.agenda[state.current].title if 0 <= state.current < len(state.agenda) else ""
    return " ".join(t for t in (state.title, state.topic, item) if t)


async def _server_set(
    services: Services, host: RoomHost, claims: TokenClaims, row: Command, args: Any, logged: Json
) -> None:
    """Fill in the arguments of a client command that the server supplies, as the row
    names them (the verdict of screening is the screener's)."""
    for name, value in server_values(row.args).items():  # in field order: salt, then seal
        if value is ServerValue.SALT:
            # The public minutes carry a digest of the log: a random salt keeps a
            # secret ballot from being guessed by hashing the few possible entries.
            logged[name] = secrets.token_hex(16)
        elif value is ServerValue.MINUTES_URL:
            logged[name] = f"{services.config.public_url}/r/{host.room_id}/minutes"
        elif value is ServerValue.BALLOT_KEY:
            if host.state.rules.sealed_ballots and args.secret:
                # The key stays in the side store; the log names it only.
                logged[name] = await services.node.ballots.new_key()
        elif value is ServerValue.SEALED:
            await _seal(services, host, claims, args, logged)
        elif value is ServerValue.SIGNATURE:  # rules 6: the digest checked, then signed
            await seal_approval(
                host.state,
                claims.participant_id,
                row.name,
                args,
                logged,
                digest=lambda entries: services.minutes.digest(
                    services.backend, host.room_id, entries
                ),
                key=services.signing_key,
                clock=services.clock,
            )

"""Carries one client command from the socket to the log and back to a reply.

Checks that need no room state happen here, before anything is appended
(argument shapes, moderation of texts, remembered nonces); the reducer
decides everything else at the command's place in the log.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from .backends.base import BackendUnavailable
from .core import commands
from .core.reducer import NONCE_TTL_MS
from .core.types import CommandError, ErrorCode, Json
from .wire import Command, error_reply, ok_reply

if TYPE_CHECKING:
    from .app import Services
    from .node import RoomHost
    from .tokens import TokenClaims


def reply_to(cid: int | None, result: Json | None, error: CommandError | None) -> Json:
    return error_reply(cid, error) if error is not None else ok_reply(cid, result or {})


def remembered_reply(host: RoomHost, claims: TokenClaims, command: Command, *,
                     now: int) -> Json | None:
    if command.nonce is None:
        return None
    known = host.state.nonces.get((claims.participant_id, command.nonce))
    if known is None or now - known[0] >= NONCE_TTL_MS:
        return None  # forgotten (the reducer prunes at its next entry)
    return reply_to(command.id, known[1].get("result"), known[1].get("error"))


async def execute(services: Services, host: RoomHost, claims: TokenClaims,
                  command: Command) -> Json:
    """The reply to ``command``; its events have been queued to the sender before it."""
    if command.cmd == "ping":
        return ok_reply(command.id, {"server_time": services.clock()})
    try:
        if command.cmd == "hello":
            raise CommandError(ErrorCode.CONFLICT, "already said hello")
        args = commands.validate(command.cmd, command.args)
        known = remembered_reply(host, claims, command, now=services.clock())
        if known is not None:
            return known
        args = services.screener.command(
            command.cmd, args, spam_action=host.state.settings["spam_action"],
            room_id=host.room_id, participant_id=claims.participant_id, now_ms=services.clock())
        if command.cmd == "poll.vote":
            # The public minutes carry a digest of the log: a random salt keeps a
            # secret ballot from being guessed by hashing the few possible entries.
            args = {**args, "salt": secrets.token_hex(16)}
        if command.cmd == "minutes.publish":
            args = {**args, "minutes_url": f"{services.config.public_url}/r/{host.room_id}/minutes"}
        outcome = await services.node.submit(host.room_id, command.cmd,
                                             actor=claims.participant_id, args=args,
                                             nonce=command.nonce)
    except CommandError as error:
        services.metrics.commands.labels(command.cmd if commands.is_command(command.cmd)
                                         else "unknown", error.code.value).inc()
        return error_reply(command.id, error)
    except BackendUnavailable:
        services.metrics.commands.labels(command.cmd, "unavailable").inc()
        return error_reply(command.id, CommandError(ErrorCode.UNAVAILABLE,
                                                    "the room's log is unreachable; retry"))
    result = outcome.error.code.value if outcome.error is not None else "ok"
    services.metrics.commands.labels(command.cmd, result).inc()
    return reply_to(command.id, outcome.result, outcome.error)

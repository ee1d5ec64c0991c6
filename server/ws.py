"""The WebSocket endpoint: hello, then commands in, replies and events out."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from .backends.base import BackendUnavailable
from .core.types import STAFF_ROLES, CommandError, ErrorCode
from .core.views import Viewer, snapshot
from .dispatch import execute
from .fastpath import DirectWriter, Path, direct_writer
from .hub import Close, Outbox, Subscriber
from .ratelimit import TokenBucket
from .tokens import InvalidToken, RevokedToken, TokenClaims
from .wire import (
    CLOSE_INTERNAL,
    CLOSE_NO_ROOM,
    CLOSE_POLICY,
    CLOSE_REMOVED,
    CLOSE_RESTARTING,
    CLOSE_UNAUTHORIZED,
    Codec,
    choose_codec,
    error_reply,
    event_message,
    ok_reply,
    parse_command,
    request_id,
)

if TYPE_CHECKING:
    from .app import Services
    from .node import RoomHost

logger = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 5.0
CATCH_UP_TIMEOUT_S = 5.0
BAD_FRAMES_IN_A_ROW = 20
COMMANDS_PER_SECOND = 20
SOCKETS_PER_RESIDENT = 4  # per node: a phone, a tablet, a reload racing its old socket
CLOSE_DRAIN_TIMEOUT_S = 5.0
_connection_ids = itertools.count(1)
ROOM_SOCKET_PATH = re.compile(r"/ws/([^/]+)")


class RoomSockets:
    """ASGI middleware that serves ``/ws/{room_id}`` itself, ahead of Starlette.

    A room socket lives for hours, and thousands are open at once: every layer
    of routing and exception handling it passed through would stay suspended
    in memory, once per socket, for nothing. So it gets the server's own
    ``receive`` and ``send``, and, where ``fastpath`` allows it, a writer that
    puts the hub's frames straight on the connection's transport. Elsewhere the
    hub sends through ASGI.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = ROOM_SOCKET_PATH.fullmatch(scope["path"]) if scope["type"] == "websocket" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        await serve_socket(scope["app"].state.services,
                           Socket(receive, send, direct_writer(send)), scope, unquote(match[1]))


class Disconnected(Exception):
    """The client has gone."""


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class Socket:
    """One WebSocket's ASGI calls, and its direct writer when the server allows one."""

    __slots__ = ("_receive", "direct", "send")

    def __init__(self, receive: Receive, send: Send, direct: DirectWriter | None) -> None:
        self._receive, self.send, self.direct = receive, send, direct

    async def accept(self, subprotocol: str | None) -> None:
        if (await self._receive())["type"] != "websocket.connect":
            raise Disconnected
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol})

    async def receive(self) -> str | bytes:
        message = await self._receive()
        if message["type"] != "websocket.receive":
            raise Disconnected
        text: str | None = message.get("text")
        return text if text is not None else bytes(message.get("bytes") or b"")

    async def close(self, code: int, reason: str = "") -> None:
        """Close, unless the client has gone already."""
        try:
            await self.send({"type": "websocket.close", "code": code, "reason": reason})
        except Exception:  # ASGI servers differ in how they say "already gone"
            pass


async def serve_socket(services: Services, ws: Socket, scope: Scope, room_id: str) -> None:
    offered = list(scope.get("subprotocols") or [])
    codec = choose_codec(offered)
    try:
        await ws.accept(codec.name if codec.name in offered else None)
    except (Disconnected, OSError):
        return
    conn_id = next(_connection_ids)
    try:
        await Connection(services, ws, codec, conn_id).run(room_id)
    except Refused as refused:
        await ws.close(refused.code, refused.reason)
    except (Disconnected, OSError):
        pass
    except Exception:
        logger.exception("connection %s failed", conn_id)
        await ws.close(CLOSE_INTERNAL, "internal error")


class Connection:
    def __init__(self, services: Services, ws: Socket, codec: Codec, conn_id: int) -> None:
        self.services, self.ws, self.codec, self.conn_id = services, ws, codec, conn_id

    async def run(self, room_id: str) -> None:
        try:
            frame = await asyncio.wait_for(self.ws.receive(), HELLO_TIMEOUT_S)
        except TimeoutError:
            raise Refused(CLOSE_UNAUTHORIZED, "hello expected within 5 s") from None
        try:
            hello = parse_command(self.codec.decode(frame))
        except (ValueError, CommandError):
            raise Refused(CLOSE_UNAUTHORIZED, "the first frame must be hello") from None
        if hello.cmd != "hello":
            raise Refused(CLOSE_UNAUTHORIZED, "the first frame must be hello")
        try:
            host = await self.services.node.host(room_id)
        except BackendUnavailable:
            raise Refused(CLOSE_RESTARTING, "the room's log is unreachable; reconnect") from None
        if host is None:
            raise Refused(CLOSE_NO_ROOM, "no such room")
        claims = self._authenticate(host, hello.args.get("token"))
        since = hello.args.get("since")
        if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
            since = None
        if since is not None and since > host.state.event_seq:
            # Perhaps this node lags the log: catch up before judging `since`.
            try:
                await asyncio.wait_for(host.catch_up(), CATCH_UP_TIMEOUT_S)
            except (TimeoutError, BackendUnavailable):
                # Never answer from behind `since`: let the client try again (or elsewhere).
                raise Refused(CLOSE_RESTARTING, "this node cannot reach the log; reconnect") from None
            # The wait may have let a removal or revocation through.
            self._authenticate(host, hello.args.get("token"))
        if (claims.role not in STAFF_ROLES and host.presence.sockets.get(
                claims.participant_id, 0) >= SOCKETS_PER_RESIDENT):
            # Each socket may send 20 commands a second: many sockets must not multiply that.
            raise Refused(CLOSE_POLICY, "too many connections for one person")
        subscriber = self._welcome(host, claims, hello.id, since)
        await self._serve(host, claims, subscriber)

    def _authenticate(self, host: RoomHost, token: Any) -> TokenClaims:
        try:
            claims, _ = self.services.signer.admit(host.state, token)
        except RevokedToken:
            raise Refused(CLOSE_REMOVED, "removed from the room") from None
        except InvalidToken:
            raise Refused(CLOSE_UNAUTHORIZED, "bad token") from None
        return claims

    def _welcome(self, host: RoomHost, claims: TokenClaims, hello_id: int | None,
                 since: int | None) -> Subscriber:
        """Queue the welcome and any replay, and join the room's fan-out, atomically."""
        viewer = Viewer(claims.participant_id, claims.role)
        subscriber = Subscriber(viewer, self.codec,
                                Outbox(self.ws.send, self.ws.direct,
                                       on_too_slow=self.services.metrics.slow_closed.inc))
        state = host.state
        replay = host.events_since(since, viewer) if since is not None else None
        welcome = subscriber.encode(ok_reply(hello_id, {
            "you": state.participants[claims.participant_id].to_wire(),
            "server_time": self.services.clock(),
            "seq": state.event_seq,
            "state": None if replay is not None else snapshot(state, viewer),
            "replayed": replay is not None,
        }))
        missed = (subscriber.encode(event_message(e)) for e in replay or ())
        subscriber.outbox.send_first(itertools.chain([welcome], missed))
        host.hub.add(subscriber)
        subscriber.outbox.start()
        return subscriber

    async def _serve(self, host: RoomHost, claims: TokenClaims, subscriber: Subscriber) -> None:
        metrics = self.services.metrics
        metrics.sockets.inc()
        on_path = metrics.sockets_by_path.labels(
            (Path.ASGI if self.ws.direct is None else Path.DIRECT).value)
        on_path.inc()
        host.presence.connected(claims.participant_id)
        outbox = subscriber.outbox
        try:
            # Ends when the client goes, or when a close has been sent (the server
            # then reports the socket disconnected).
            await self._read(host, claims, subscriber)
            if outbox.closing:
                # The reader asked for a close: let what is queued go out, then it.
                await outbox.wait_sent(CLOSE_DRAIN_TIMEOUT_S)
        except (Disconnected, OSError):
            pass
        finally:
            host.hub.remove(subscriber)
            host.presence.disconnected(claims.participant_id)
            metrics.sockets.dec()
            on_path.dec()
            outbox.stop()

    async def _read(self, host: RoomHost, claims: TokenClaims, subscriber: Subscriber) -> None:
        limited = claims.role not in STAFF_ROLES
        bucket = TokenBucket(rate=COMMANDS_PER_SECOND, burst=COMMANDS_PER_SECOND,
                             clock=self.services.clock)
        bad_in_a_row = 0
        while True:
            frame = await self.ws.receive()
            obj: Any = None
            try:
                obj = self.codec.decode(frame)
                command = parse_command(obj)
            except (ValueError, CommandError) as problem:
                error = problem if isinstance(problem, CommandError) else CommandError(
                    ErrorCode.BAD_FRAME, "the frame could not be decoded")
                if error.code is ErrorCode.BAD_FRAME:
                    bad_in_a_row += 1
                    if bad_in_a_row >= BAD_FRAMES_IN_A_ROW:
                        subscriber.outbox.close_after_pending(
                            Close(CLOSE_POLICY, "too many bad frames"))
                        return
                subscriber.send(error_reply(request_id(obj), error))
                continue
            bad_in_a_row = 0
            if limited and not bucket.take():
                subscriber.send(error_reply(command.id, CommandError(
                    ErrorCode.RATE_LIMITED, f"at most {COMMANDS_PER_SECOND} commands a second")))
                continue
            subscriber.send(await execute(self.services, host, claims, command))

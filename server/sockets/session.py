"""Room sockets: what a socket says and hears, whichever driver carries its frames.

The rules of a room socket live here once: the first frame must be ``hello``
within 5 s; the token, the room and ``since`` are checked (``admit``); the
welcome and any replay are queued and the socket joins the room's fan-out in
one step (``Session.open``); then every frame is a command, answered in order,
with bad frames answered ``bad_frame`` (1008 after 20 in a row) and a resident
held to 20 commands a second (``Session.handle``).

Two drivers carry the frames. ``roomsocket.RoomSocket`` is Yishi's own
protocol, which ``yishi serve`` gives uvicorn. ``RoomSockets`` below is the
ASGI one, for any other server or uvicorn WebSocket implementation.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from ..backends.base import BackendUnavailable
from ..core.commands import client_command
from ..core.schema import parse
from ..core.types import STAFF_ROLES, CommandError, ErrorCode
from ..core.views import Viewer, snapshot
from ..host.hub import Close, Outbox, Subscriber
from ..host.voice import is_audio
from ..ratelimit import TokenBucket
from ..tokens import InvalidToken, RevokedToken, TokenClaims
from ..wire import (
    CLOSE_INTERNAL,
    CLOSE_NO_ROOM,
    CLOSE_POLICY,
    CLOSE_REMOVED,
    CLOSE_RESTARTING,
    CLOSE_UNAUTHORIZED,
    CLOSE_UNAVAILABLE,
    Codec,
    choose_codec,
    error_reply,
    event_message,
    ok_reply,
    parse_command,
    request_id,
)
from .dispatch import execute
from .fastpath import DirectWriter, Path, direct_writer
from .voicegate import SpeakerGate, listen

if TYPE_CHECKING:
    from ..host.node import RoomHost
    from ..services import Services

logger = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 5.0
CATCH_UP_TIMEOUT_S = 5.0
BAD_FRAMES_IN_A_ROW = 20
COMMANDS_PER_SECOND = 20
SOCKETS_PER_RESIDENT = 4  # per node: a phone, a tablet, a reload racing its old socket
CLOSE_DRAIN_TIMEOUT_S = 5.0
connection_ids = itertools.count(1)
ROOM_SOCKET_PATH = re.compile(r"/ws/([^/]+)")


class Disconnected(Exception):
    """The client has gone."""


class Refused(Exception):
    """Close the socket with ``code`` (before or instead of its welcome)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def hello_late() -> Refused:
    return Refused(CLOSE_UNAUTHORIZED, "hello expected within 5 s")


@dataclass(frozen=True, slots=True)
class Admitted:
    """A hello that passed: who, where, and from which event on."""

    host: RoomHost
    claims: TokenClaims
    hello_id: int | None
    since: int | None


async def admit(services: Services, room_id: str, codec: Codec, frame: str | bytes) -> Admitted:
    """Check the first frame (``hello``), the room, the token and ``since``.
    Raises ``Refused`` with the close to send. Nothing may await between the
    return and ``Session.open`` (the socket count per resident is checked here)."""
    try:
        hello = parse_command(codec.decode(frame))
    except (ValueError, CommandError):
        raise Refused(CLOSE_UNAUTHORIZED, "the first frame must be hello") from None
    if hello.cmd != "hello":
        raise Refused(CLOSE_UNAUTHORIZED, "the first frame must be hello")
    try:
        host = await services.node.host(room_id)
    except BackendUnavailable:
        raise Refused(CLOSE_RESTARTING, "the room's log is unreachable; reconnect") from None
    except CommandError as refusal:  # unavailable: the room's log is damaged (room_damage)
        raise Refused(CLOSE_UNAVAILABLE, f"unavailable: {refusal.message}"[:120]) from None
    if host is None:
        raise Refused(CLOSE_NO_ROOM, "no such room")
    claims = _authenticate(services, host, hello.args.get("token"))
    since = hello.args.get("since")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
        since = None
    epoch = hello.args.get("epoch")
    if isinstance(epoch, str) and epoch != host.epoch:
        since = None  # another history than the log's: a full state replaces it
    if since is not None and since > host.state.event_seq:
        # Perhaps this node lags the log: catch up before judging `since`.
        try:
            await asyncio.wait_for(host.catch_up(), CATCH_UP_TIMEOUT_S)
        except (TimeoutError, BackendUnavailable):
            # Never answer from behind `since`: let the client try again (or elsewhere).
            raise Refused(CLOSE_RESTARTING, "this node cannot reach the log; reconnect") from None
        # The wait may have let a removal or revocation through.
        _authenticate(services, host, hello.args.get("token"))
    if (
        claims.role not in STAFF_ROLES
        and host.presence.sockets.get(claims.participant_id, 0) >= SOCKETS_PER_RESIDENT
    ):
        # Each socket may send 20 commands a second: many sockets must not multiply that.
        raise Refused(CLOSE_POLICY, "too many connections for one person")
    return Admitted(host, claims, hello.id, since)


def _authenticate(services: Services, host: RoomHost, token: Any) -> TokenClaims:
    try:
        claims, _ = services.signer.admit(host.state, token)
    except RevokedToken:
        raise Refused(CLOSE_REMOVED, "removed from the room") from None
    except InvalidToken:
        raise Refused(CLOSE_UNAUTHORIZED, "bad token") from None
    return claims


class Session:
    """An admitted socket in its room: its commands in, its replies and events out."""

    __slots__ = ("_bad", "_bucket", "_gate", "_path", "claims", "host", "services", "subscriber")

    def __init__(
        self, services: Services, admitted: Admitted, subscriber: Subscriber, path: Path
    ) -> None:
        self.services, self.host, self.claims = services, admitted.host, admitted.claims
        self.subscriber, self._path = subscriber, path
        self._bucket: TokenBucket | None = None
        self._gate: SpeakerGate | None = None  # made by the first audio frame
        self._bad = 0

    @classmethod
    def open(
        cls, services: Services, admitted: Admitted, codec: Codec, outbox: Outbox, path: Path
    ) -> Session:
        """Queue the welcome and any replay, and join the room's fan-out, atomically."""
        host, claims = admitted.host, admitted.claims
        viewer = Viewer(claims.participant_id, claims.role)
        subscriber = Subscriber(viewer, codec, outbox)
        state = host.state
        since = admitted.since
        replay = host.events_since(since, viewer) if since is not None else None
        welcome = subscriber.encode(
            ok_reply(
                admitted.hello_id,
                {
                    "you": state.participants[claims.participant_id].to_wire(),
                    "server_time": services.clock(),
                    "seq": state.event_seq,
                    "epoch": host.epoch,
                    "state": None if replay is not None else snapshot(state, viewer),
                    "replayed": replay is not None,
                },
            )
        )
        missed = (subscriber.encode(event_message(e)) for e in replay or ())
        outbox.send_first(itertools.chain([welcome], missed))
        host.hub.add(subscriber)
        outbox.start()
        metrics = services.metrics
        metrics.sockets.inc()
        metrics.sockets_by_path.labels(path.value).inc()
        host.presence.connected(claims.participant_id)
        return cls(services, admitted, subscriber, path)

    def end(self) -> None:
        """Leave the room (the socket has gone, or is closing)."""
        self.host.hub.remove(self.subscriber)
        self.host.voice.listeners.discard(self.subscriber)
        self.host.presence.disconnected(self.claims.participant_id)
        metrics = self.services.metrics
        metrics.sockets.dec()
        metrics.sockets_by_path.labels(self._path.value).dec()
        self.subscriber.outbox.stop()

    def takes_audio(self, frame: str | bytes) -> bool:
        """Whether ``frame`` is an audio frame (``voice``), which ``audio`` handles at once."""
        return self.subscriber.codec.binary and is_audio(frame)

    def audio(self, frame: bytes) -> None:
        """Relay an audio frame, or drop it (never answered, never a bad frame)."""
        gate = self._gate
        if gate is None:
            gate = self._gate = SpeakerGate(self.services, self.host, self.claims, self.subscriber)
        gate.receive(frame)

    async def handle(self, frame: str | bytes) -> bool:
        """Answer one frame. False once the socket is to read no more (its close is
        queued after what it was sent)."""
        subscriber = self.subscriber
        if self.takes_audio(frame):
            assert isinstance(frame, bytes)
            self.audio(frame)
            return True
        obj: Any = None
        try:
            obj = subscriber.codec.decode(frame)
            command = parse_command(obj)
        except (ValueError, CommandError) as problem:
            error = (
                problem
                if isinstance(problem, CommandError)
                else CommandError(ErrorCode.BAD_FRAME, "the frame could not be decoded")
            )
            if error.code is ErrorCode.BAD_FRAME:
                self._bad += 1
                if self._bad >= BAD_FRAMES_IN_A_ROW:
                    subscriber.outbox.close_after_pending(
                        Close(CLOSE_POLICY, "too many bad frames")
                    )
                    return False
            subscriber.send(error_reply(request_id(obj), error))
            return True
        self._bad = 0
        if self.claims.role not in STAFF_ROLES:
            bucket = self._bucket
            if bucket is None:
                bucket = self._bucket = TokenBucket(
                    rate=COMMANDS_PER_SECOND, burst=COMMANDS_PER_SECOND, clock=self.services.clock
                )
            if not bucket.take():
                subscriber.send(
                    error_reply(
                        command.id,
                        CommandError(
                            ErrorCode.RATE_LIMITED,
                            f"at most {COMMANDS_PER_SECOND} commands a second",
                        ),
                    )
                )
                return True
        row = client_command(command.cmd)
        if row is not None and not row.logged:  # audio.listen: this socket's own
            try:
                args: Any = parse(row.args, command.args, client=True)
                reply = ok_reply(command.id, listen(self.host, subscriber, args.on))
            except CommandError as error:
                reply = error_reply(command.id, error)
            subscriber.send(reply)
            return True
        subscriber.send(await execute(self.services, self.host, self.claims, command))
        return True


# The ASGI driver.


class RoomSockets:
    """ASGI middleware that serves ``/ws/{room_id}`` itself, ahead of Starlette.

    A room socket lives for hours, and thousands are open at once: every layer
    of routing and exception handling it passed through would stay suspended
    in memory, once per socket, for nothing. So it gets the server's own
    ``receive`` and ``send``, and, where ``fastpath`` allows it, a writer that
    puts the hub's frames straight on the connection's transport. Elsewhere the
    hub sends through ASGI. (Under ``yishi serve`` room sockets never get here:
    ``roomsocket.RoomSocket`` serves them.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = ROOM_SOCKET_PATH.fullmatch(scope["path"]) if scope["type"] == "websocket" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        await serve_socket(
            scope["app"].state.services,
            Socket(receive, send, direct_writer(send)),
            scope,
            unquote(match[1]),
        )


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
        except Exception:  # noqa: BLE001, S110  (ASGI servers differ in how they say "gone")
            pass


async def serve_socket(services: Services, ws: Socket, scope: Scope, room_id: str) -> None:
    offered = list(scope.get("subprotocols") or [])
    codec = choose_codec(offered)
    try:
        await ws.accept(codec.name if codec.name in offered else None)
    except (Disconnected, OSError):
        return
    conn_id = next(connection_ids)
    try:
        try:
            frame = await asyncio.wait_for(ws.receive(), HELLO_TIMEOUT_S)
        except TimeoutError:
            raise hello_late() from None
        admitted = await admit(services, room_id, codec, frame)
        outbox = Outbox(ws.send, ws.direct, on_too_slow=services.metrics.slow_closed.inc)
        path = Path.ASGI if ws.direct is None else Path.DIRECT
        await _serve(ws, Session.open(services, admitted, codec, outbox, path))
    except Refused as refused:
        await ws.close(refused.code, refused.reason)
    except (Disconnected, OSError):
        pass
    except Exception as bug:  # noqa: BLE001  (our bug: logged, within budget, then 1011)
        client = scope.get("client")
        services.client_log.failed(
            client[0] if client else None, f"connection {conn_id} failed", bug
        )
        await ws.close(CLOSE_INTERNAL, "internal error")


async def _serve(ws: Socket, session: Session) -> None:
    outbox = session.subscriber.outbox
    try:
        # Ends when the client goes (or a close has been sent: the server then
        # reports the socket disconnected), or when the session reads no more.
        while await session.handle(await ws.receive()):
            pass
        # The session asked for a close: let what is queued go out, then it.
        await outbox.wait_sent(CLOSE_DRAIN_TIMEOUT_S)
    except (Disconnected, OSError):
        pass
    finally:
        session.end()

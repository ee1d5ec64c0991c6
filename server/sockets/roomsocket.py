"""Room sockets on Yishi's own asyncio protocol, driving websockets' sans-I/O ``ServerProtocol``.

``yishi serve`` gives uvicorn this class as its WebSocket protocol
(``ws=RoomSocket``): uvicorn's HTTP protocol makes one per upgraded
connection and hands it the transport and the request. The rules:

1. A connection to ``/ws/{room_id}`` of a Yishi app is served here. Any other
   (another path, or an app in which no Yishi services are found) is handed
   whole to uvicorn's websockets-sansio protocol, which serves it through ASGI
   exactly as ``ws="websockets-sansio"`` would.
2. The handshake is answered and let go: the socket keeps its codec (the
   sub-protocol: ``yishi.v1.msgpack`` if offered first, else JSON), not the
   request or the response. Per-message deflate is never negotiated.
3. An idle socket is this object and its ``ServerProtocol``: no task, queue,
   future or scope. Frames go to an inbox; a task made when one arrives answers
   them in order (``ws.Session``) and ends when the inbox is empty. Reading
   pauses while ``INBOX_FRAMES`` frames wait. The hello deadline is a timer
   handle, cancelled by the first frame.
   Reading pauses too while the transport holds more than its high-water mark
   unsent (``pause_writing``), whatever filled it: events, or the pongs and
   other control frames the ``ServerProtocol`` answers a client's frames with.
   A client that sends without reading makes the server hold at most that and
   one read's answers, before ``hello`` as after. One that stays so for
   ``SLOW_READER_S`` is closed as too slow (4008, counted as the hub counts its
   own), and its connection aborted if it does not read even its close frame.
4. Nothing reaches the wire but past the ``ServerProtocol``'s state. It makes
   the control frames (pongs, pings, the close), and its output is written at
   once after every call into it, so frames leave in order. Data frames, built
   once per event for every socket (``hub.Outgoing.wire``), are what its
   ``send_text``/``send_binary`` would write (no extension is ever in use), and
   are written only while it is OPEN and the transport is not closing: nothing
   follows a close frame, sent or received.
5. Keep-alive: one timer per server pings every open room socket each
   ``ws_ping_interval`` (uvicorn's default, 20 s); a socket whose ping is still
   unanswered ``ws_ping_timeout`` later (20 s) is failed with 1011.
6. The client answers a close the server sent within ``CLOSE_GRACE_S``, or its
   connection is aborted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import CONNECTING, OPEN
from websockets.server import ServerProtocol

from ..host.hub import CLOSE_GRACE_S, TOO_SLOW, UNBOUNDED, Outbox
from ..uvicorn_parts import WebSocketsSansIOProtocol, get_remote_addr
from ..wire import CLOSE_INTERNAL, CLOSE_RESTARTING, Codec, choose_codec, frame
from .fastpath import Path, announce, write_while_open
from .serversockets import ServerSockets
from .session import (
    HELLO_TIMEOUT_S,
    ROOM_SOCKET_PATH,
    Refused,
    Session,
    admit,
    connection_ids,
    hello_late,
)

if TYPE_CHECKING:
    from uvicorn import Config

    from ..uvicorn_parts import ServerState

__all__ = ["RoomSocket", "ServerSockets"]


INBOX_FRAMES = 16  # frames waiting to be answered before the socket stops reading
SLOW_READER_S = 10.0  # over the high-water mark this long: closed 4008
KERNEL_UNSENT = 16 * 1024  # bytes the kernel holds unsent for a socket (TCP_NOTSENT_LOWAT)
CLOSE_KEEPALIVE = 1011
CLOSE_INVALID_DATA = 1007
_SHARED = "_yishi_room_sockets"  # the attribute of uvicorn's Config holding a ServerSockets
_WS_LOGGER = logging.getLogger("uvicorn.error")  # as uvicorn's own protocols log
WHY = "websockets sans-I/O ServerProtocol, one keep-alive timer per server"


class RoomSocket(asyncio.Protocol):
    """One upgraded connection: a room socket (rules 2 to 6), or one handed to uvicorn (1)."""

    __slots__ = (
        "_codec",
        "_drained",
        "_inbox",
        "_inner",
        "_parts",
        "_ping",
        "_raw",
        "_room",
        "_session",
        "_shared",
        "_slow",
        "_task",
        "_timer",
        "conn",
        "conn_id",
        "transport",
    )

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        shared: ServerSockets | None = getattr(config, _SHARED, None)
        if shared is None:
            if not config.loaded:
                config.load()
            shared = ServerSockets(
                config, server_state, app_state, _loop or asyncio.get_event_loop()
            )
            setattr(config, _SHARED, shared)
        self._shared = shared
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.conn = ServerProtocol(max_size=config.ws_max_size, logger=_WS_LOGGER)
        self.conn_id = 0
        self._inner: Any = None  # uvicorn's websockets-sansio protocol, once handed over
        self._raw: bytes | None = None  # the request, until it is answered or handed over
        self._codec: Codec | None = None
        self._room: str | None = None  # until the hello is answered
        self._session: Session | None = None
        self._inbox: deque[str | bytes] | None = None
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None  # hello deadline, then close grace
        self._drained: asyncio.Future[None] | None = None  # while the transport is full
        self._slow: asyncio.TimerHandle | None = None  # its deadline to drain (4008)
        self._parts: tuple[bool, list[bytes]] | None = None  # a fragmented message
        self._ping = 0  # the keep-alive tick of the ping not answered yet

    @property
    def client(self) -> tuple[str, int] | None:
        """The client's address."""
        return get_remote_addr(self.transport) if self.transport is not None else None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._shared.server_state.connections.add(self)  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        inner = self._inner
        if inner is not None:
            inner.data_received(data)
            return
        conn = self.conn
        if conn.state is CONNECTING:
            self._raw = data if self._raw is None else self._raw + data
        conn.receive_data(data)
        self._flush()
        for event in conn.events_received():
            if isinstance(event, Frame):
                self._frame(event)
            elif isinstance(event, Request):
                self._handshake(event)
                if self._inner is not None:
                    return

    def eof_received(self) -> bool | None:
        if self._inner is not None:
            self._inner.eof_received()
            return None
        self.conn.receive_eof()
        self.conn.data_to_send()  # the end of the stream: the transport closes itself
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is not None:
            self._inner.connection_lost(exc)
            return
        shared = self._shared
        shared.server_state.connections.discard(self)
        shared.closed(self)
        self._cancel_timer()
        self._cancel_slow()
        self.conn.receive_eof()  # CLOSED: nothing more is written
        self.conn.data_to_send()
        self._wake_writers()
        self._inbox = None
        session, self._session = self._session, None
        if session is not None:
            session.end()

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()
        elif self._drained is None:
            loop = self._shared.loop
            self._drained = loop.create_future()
            transport = self.transport
            if transport.is_reading():
                transport.pause_reading()  # what it sends would only be answered into the pile
            if self._slow is None and self.conn.state is OPEN:  # else a close's grace runs
                self._slow = loop.call_later(SLOW_READER_S, self._too_slow)

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()
            return
        self._cancel_slow()
        self._wake_writers()
        self._read_if_room()

    def shutdown(self) -> None:
        """uvicorn's server is stopping: close with 1012."""
        if self._inner is not None:
            self._inner.shutdown()
            return
        if self.conn.state is OPEN and not self.transport.is_closing():
            self.conn.send_close(CLOSE_RESTARTING, "server restarting")
            self._flush()
        self.transport.close()

    # The hub's writer (hub.Writer) and the Outbox's send.

    def write(self, frames: bytes, *, limit: int) -> bool:
        return write_while_open(self.conn, self.transport, frames, limit=limit)

    def unsent(self) -> int:
        return self.transport.get_write_buffer_size()

    def abort(self) -> None:
        self.transport.abort()

    async def send(self, message: dict[str, Any]) -> None:
        """``websocket.send`` or ``websocket.close``, once the client reads again."""
        while self._drained is not None:
            await asyncio.shield(self._drained)
        if message["type"] == "websocket.send":
            payload = message.get("bytes")
            self.write(frame(payload if payload is not None else message["text"]), limit=UNBOUNDED)
        elif message["type"] == "websocket.close":
            self.close(message.get("code", 1000), message.get("reason") or "")

    def close(self, code: int, reason: str = "") -> None:
        """Send a close frame (unless one was sent or received), and read on for the
        client's answer for ``CLOSE_GRACE_S``."""
        transport = self.transport
        if self.conn.state is not OPEN or transport.is_closing():
            return
        self.conn.send_close(code, reason)
        self._flush()
        self._inbox = None
        self._cancel_slow()  # the close's own grace bounds it now
        if not transport.is_closing():
            self._read_if_room()  # for the client's answer
            self._cancel_timer()
            self._timer = self._shared.loop.call_later(CLOSE_GRACE_S, transport.abort)

    def keepalive(self, tick: int, payload: bytes, timeout_ticks: int | None) -> None:
        """Ping, or fail the connection if the last ping went unanswered too long."""
        conn = self.conn
        if conn.state is not OPEN or self.transport.is_closing():
            return
        if self._ping:
            if timeout_ticks is not None and tick - self._ping >= timeout_ticks:
                self._ping = 0
                conn.fail(CLOSE_KEEPALIVE, "keepalive ping timeout")
                self._flush()
            return
        conn.send_ping(payload)
        self._flush()
        self._ping = tick

    # Inside

    def _flush(self) -> None:
        """Write what the ServerProtocol has to send; hang up after its end of stream."""
        out = self.conn.data_to_send()
        if not out:
            return
        transport = self.transport
        if transport.is_closing():
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        if data:
            transport.write(data)
        if not out[-1]:  # websockets' SEND_EOF: the server closes the TCP connection
            transport.close()
            if transport.get_write_buffer_size():
                self._cancel_timer()
                self._timer = self._shared.loop.call_later(CLOSE_GRACE_S, transport.abort)

    def _read_if_room(self) -> None:
        """Read again, unless frames wait to be answered or the client reads nothing."""
        transport, inbox = self.transport, self._inbox
        if (
            not transport.is_reading()
            and not transport.is_closing()
            and self._drained is None
            and (inbox is None or len(inbox) < INBOX_FRAMES)
        ):
            transport.resume_reading()

    def _too_slow(self) -> None:
        """The client has read nothing of what waits for it for ``SLOW_READER_S``."""
        self._slow = None
        session = self._session
        if session is not None:
            session.subscriber.outbox.too_slow()  # counted; its events are dropped
        else:
            services = self._shared.services()
            if services is not None:
                services.metrics.slow_closed.inc()
        self.close(TOO_SLOW.code, TOO_SLOW.reason)  # behind what waits; cut off after a grace

    def _cancel_slow(self) -> None:
        if self._slow is not None:
            self._slow.cancel()
            self._slow = None

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _wake_writers(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _handshake(self, request: Request) -> None:
        shared = self._shared
        raw_path = request.path.partition("?")[0]
        match = ROOM_SOCKET_PATH.fullmatch(shared.config.root_path + unquote(raw_path))
        if match is None or shared.services() is None:
            self._hand_over()
            return
        self._raw = None
        conn = self.conn
        response = conn.accept(request)
        if response.status_code != 101:
            conn.send_response(response)
            self._flush()
            self.transport.close()
            return
        offered = [
            token.strip()
            for header in request.headers.get_all("Sec-WebSocket-Protocol")
            for token in header.split(",")
        ]
        codec = choose_codec(offered)
        headers = response.headers
        if codec.name in offered:
            headers["Sec-WebSocket-Protocol"] = codec.name
        del headers["Date"]  # uvicorn's default headers carry it, as on its own sockets
        for name, value in shared.server_state.default_headers:
            headers[name.decode("latin-1")] = value.decode("latin-1")
        conn.send_response(response)
        self._flush()
        self._codec, self._room = codec, unquote(match[1])
        _bound_unsent(self.transport)
        self.conn_id = next(connection_ids)
        self._timer = shared.loop.call_later(HELLO_TIMEOUT_S, self._hello_late)
        shared.opened(self)
        announce(Path.NATIVE, WHY)

    def _hand_over(self) -> None:
        """Not a room socket: uvicorn's websockets-sansio protocol serves it (rule 1)."""
        shared = self._shared
        raw, self._raw = self._raw or b"", None
        shared.server_state.connections.discard(self)
        assert WebSocketsSansIOProtocol is not None  # this class is used only where it is (cli)
        inner = WebSocketsSansIOProtocol(
            config=shared.config,
            server_state=shared.server_state,
            app_state=shared.app_state,
            _loop=shared.loop,
        )
        self._inner = inner
        inner.connection_made(self.transport)
        inner.data_received(raw)

    def _frame(self, event: Frame) -> None:
        opcode = event.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if event.fin:
                self._message(opcode is Opcode.TEXT, bytes(event.data))
            else:
                self._parts = (opcode is Opcode.TEXT, [bytes(event.data)])
        elif opcode is Opcode.CONT:
            parts = self._parts
            if parts is not None:  # else the ServerProtocol has failed the connection
                parts[1].append(bytes(event.data))
                if event.fin:
                    self._parts = None
                    self._message(parts[0], b"".join(parts[1]))
        elif opcode is Opcode.PONG:
            if self._ping and bytes(event.data) == (self._ping & 0xFFFFFFFF).to_bytes(4, "big"):
                self._ping = 0

    def _message(self, text: bool, data: bytes) -> None:
        if self.conn.state is not OPEN:
            return  # a close is on its way: read no more
        payload: str | bytes = data
        if text:
            try:
                payload = data.decode()
            except UnicodeDecodeError:
                self.conn.fail(CLOSE_INVALID_DATA, "invalid UTF-8")
                self._flush()
                return
        session = self._session
        if session is None:
            if self._room is None:
                return
            self._cancel_timer()  # the hello (or a frame after it) came in time
        elif session.subscriber.outbox.closing is not None:
            return
        elif not text and session.takes_audio(payload):
            session.audio(data)  # at once: audio waits for no command before it
            return
        inbox = self._inbox
        if inbox is None:
            inbox = self._inbox = deque()
        inbox.append(payload)
        if len(inbox) >= INBOX_FRAMES and self.transport.is_reading():
            self.transport.pause_reading()
        if self._task is None:
            task = self._task = self._shared.loop.create_task(self._run())
            tasks = self._shared.server_state.tasks
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _run(self) -> None:
        """Answer the inbox in order, then end (rule 3)."""
        try:
            while inbox := self._inbox:
                payload = inbox.popleft()
                self._read_if_room()
                session = self._session
                if session is None:
                    await self._hello(payload)
                elif not await session.handle(payload):
                    self._inbox = None  # its close follows what it was sent
        except Refused as refused:
            self.close(refused.code, refused.reason)
        except Exception as bug:  # noqa: BLE001  (our bug: logged, within budget, then 1011)
            services = self._shared.services()
            assert services is not None  # a room socket is one of a Yishi app
            client = self.client
            services.client_log.failed(
                client[0] if client else None, f"connection {self.conn_id} failed", bug
            )
            self.close(CLOSE_INTERNAL, "internal error")
        finally:
            self._task = None
            if not self._inbox:
                self._inbox = None

    async def _hello(self, payload: str | bytes) -> None:
        services, codec, room = self._shared.services(), self._codec, self._room
        assert services is not None and codec is not None and room is not None
        admitted = await admit(services, room, codec, payload)
        if self.conn.state is not OPEN or self.transport.is_closing():
            return  # gone, or closed, while the room was looked up
        self._room = None
        outbox = Outbox(self.send, self, on_too_slow=services.metrics.slow_closed.inc)
        self._session = Session.open(services, admitted, codec, outbox, Path.NATIVE)

    def _hello_late(self) -> None:
        self._timer = None
        refused = hello_late()
        self.close(refused.code, refused.reason)


def _bound_unsent(transport: asyncio.Transport) -> None:
    """Keep what a socket has not sent yet mostly where Yishi can see it.

    Without this the kernel takes megabytes for a slow reader before the
    transport holds a byte back, and neither the hub's bound (4008) nor the
    audio's (the oldest frames dropped) would see the client lagging: a phone
    would get seconds of old sound in front of every event.
    """
    sock = transport.get_extra_info("socket")
    option = getattr(socket, "TCP_NOTSENT_LOWAT", None)
    if sock is not None and option is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, option, KERNEL_UNSENT)

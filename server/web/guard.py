"""Read deadlines for plain HTTP, against clients that send slowly on purpose.

uvicorn's httptools protocol closes a connection idle *between* requests after
``timeout_keep_alive``, but arms nothing while a request is being read: a client
that opens a connection and sends nothing, or dribbles its headers or a declared
body a byte at a time, holds the connection (and its buffers) for ever. Rules:

1. A request's head (request line and headers) must be complete within
   ``head_timeout_s`` of the connection opening, or of the previous response ending.
2. Its body must be complete within ``body_timeout_s`` of the head.
3. A head that has grown past ``MAX_HEAD_BYTES`` is answered 431 and the
   connection closed (httptools itself sets no bound).
4. Past a deadline the connection closes; a 408 goes first when no answer is
   being written on it (one would otherwise interleave with it).
5. A WebSocket upgrade leaves this protocol and its deadlines behind; the
   socket's own rules (server/sockets/roomsocket.py) apply from there. On the
   ``--metrics-port`` socket no upgrade is made: 404, and the connection closes.

The class hooks the parser callbacks httptools names (``on_message_begin``,
``on_headers_complete``, ``on_message_complete``) and uvicorn's
``on_response_complete``/``handle_websocket_upgrade``; it reads uvicorn's
``tasks``/``pipeline``. tests/server/test_server_slow_clients.py runs it against a
real ``yishi serve`` in the uvicorn range pyproject.toml allows
(tests/server/uvicorn_matrix.sh widens it).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..uvicorn_parts import HttpToolsProtocol

MAX_HEAD_BYTES = 32 * 1024

IDLE, HEAD, BODY = "idle", "head", "body"  # what is being read


def _answer(status: int, reason: str) -> bytes:
    body = reason.encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with the read deadlines above."""

    head_timeout_s = 10.0
    body_timeout_s = 10.0
    metrics_port: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._phase = IDLE
        self._head_bytes = 0
        self._unanswered = 0  # requests read whose response has not ended
        self._deadline: asyncio.TimerHandle | None = None

    # The deadline.
    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        self._close(408, "Request Timeout")

    def _close(self, status: int, reason: str) -> None:
        if self.transport.is_closing():
            return
        cycle = self.cycle
        writing = cycle is not None and cycle.response_started and not cycle.response_complete
        if not (writing or self.pipeline):
            self.transport.write(_answer(status, reason))
        self.transport.close()

    # asyncio.Protocol.
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm(self.head_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        reading_head = self._phase in (IDLE, HEAD)
        if reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still reading the same head after all of it: every byte counted was head.
        if reading_head and self._phase in (IDLE, HEAD) and self._head_bytes > MAX_HEAD_BYTES:
            self._disarm()
            self._close(431, "Request Header Fields Too Large")

    # httptools' parser callbacks.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a request sent before the previous one was answered
            self._arm(self.head_timeout_s)
        self._phase = HEAD

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._phase = BODY
        self._arm(self.body_timeout_s)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()
        self._phase = IDLE
        self._head_bytes = 0
        if self.cycle is not None and not self.cycle.response_complete:
            self._unanswered += 1  # (a request answered before its body ended is not)

    # uvicorn's hooks.
    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._unanswered = max(0, self._unanswered - 1)
        if self._unanswered == 0 and self._phase == IDLE and not self.transport.is_closing():
            self._arm(self.head_timeout_s)

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        if self.metrics_port is not None and self.server and self.server[1] == self.metrics_port:
            self.transport.write(_answer(404, "Not Found"))
            self.transport.close()
            return
        super().handle_websocket_upgrade()


def guarded_http(
    *, head_timeout_s: float, body_timeout_s: float, metrics_port: int | None = None
) -> type[GuardedHttp]:
    """The protocol class to give uvicorn as ``http=``, with these deadlines."""
    return type(
        "GuardedHttp",
        (GuardedHttp,),
        {
            "head_timeout_s": head_timeout_s,
            "body_timeout_s": body_timeout_s,
            "metrics_port": metrics_port,
        },
    )

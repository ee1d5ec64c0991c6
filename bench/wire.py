"""A lean WebSocket client and a one-shot HTTP/1.1 JSON call, on bare asyncio.

Why not the `websockets` client: the load generator holds up to 5,000 sockets in
one process on a shared 2-core machine, and the client must not become the
bottleneck. An ``asyncio.Protocol`` that parses frames in place costs a fraction
of a full client per frame. It implements exactly what the benchmark needs
(RFC 6455 client side): the upgrade, no extensions (so no compression can be
negotiated), text/binary frames with continuation, ping -> pong, close codes.
Every server is measured through this same client, so its cost is the same for all.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any

Json = dict[str, Any]


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (clients must mask, RFC 6455 section 5.3)."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    masked = (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big")
    return head + mask + masked


class WsConn(asyncio.Protocol):
    """One client WebSocket. ``on_message(conn, payload, now_us)`` gets each message.

    ``opened`` resolves when the upgrade succeeded (or raises why not); ``closed``
    resolves with the close code (1006 when the TCP connection just ended).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        path: str,
        on_message: Callable[[WsConn, bytes, int], None],
        subprotocol: str | None = None,
        peer: Any = None,
    ) -> None:
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int] = loop.create_future()
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            + (f"Sec-WebSocket-Protocol: {subprotocol}\r\n" if subprotocol else "")
            + "\r\n"
        ).encode()
        self._on_message = on_message
        self._buf = bytearray()
        self._upgraded = False
        self._fragments: list[bytes] = []
        self.transport: Any = None  # an asyncio or uvloop transport
        self.close_code: int | None = None
        # Set by the caller before any frame can arrive: its per-socket record.
        self.peer: Any = peer
        # A free slot for the dialect (e.g. "waiting for the hello reply").
        self.state: Any = None

    # asyncio.Protocol -------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"connection lost during upgrade: {exc}"))
        if not self.closed.done():
            self.closed.set_result(self.close_code if self.close_code is not None else 1006)

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        if not self._upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            if b" 101 " not in status + b" ":
                self._fail(f"upgrade refused: {status.decode(errors='replace')}")
                return
            del buf[: end + 4]
            self._upgraded = True
            if self.opened.done():  # the caller gave up waiting
                self.transport.abort()
                return
            self.opened.set_result(None)
        now_us = time.time_ns() // 1000
        pos = 0
        size = len(buf)
        while size - pos >= 2:
            b0 = buf[pos]
            n = buf[pos + 1] & 0x7F
            start = pos + 2
            if n == 126:
                if size - pos < 4:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                start = pos + 4
            elif n == 127:
                if size - pos < 10:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            end = start + n
            if end > size:
                break
            payload = bytes(buf[start:end])
            pos = end
            opcode = b0 & 0x0F
            if opcode in (1, 2, 0):
                if not b0 & 0x80:
                    self._fragments.append(payload)
                    continue
                if self._fragments:
                    payload = b"".join(self._fragments) + payload
                    self._fragments.clear()
                self._on_message(self, payload, now_us)
            elif opcode == 9:
                self._write(_frame(10, payload))
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self._write(_frame(8, payload[:2]))
                if self.transport is not None:
                    self.transport.close()
                pos = size
                break
        del buf[:pos]

    # API ----------------------------------------------------------------------

    def send_text(self, text: str) -> None:
        self._write(_frame(1, text.encode()))

    def send_binary(self, data: bytes) -> None:
        self._write(_frame(2, data))

    def close(self, code: int = 1000) -> None:
        """Start a clean close; ``closed`` resolves when the server answers."""
        self._write(_frame(8, code.to_bytes(2, "big")))

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a lost network)."""
        if self.transport is not None:
            self.transport.abort()

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _fail(self, why: str) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.abort()


async def ws_connect(
    *,
    host: str,
    port: int,
    path: str,
    on_message: Callable[[WsConn, bytes, int], None],
    subprotocol: str | None = None,
    peer: Any = None,
    rcvbuf: int | None = None,
    timeout: float = 30.0,
) -> WsConn:
    """Open one WebSocket; ``rcvbuf`` shrinks the kernel receive buffer (slow readers)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, (host, port))
            _, conn = await loop.create_connection(
                lambda: WsConn(
                    host=host,
                    port=port,
                    path=path,
                    on_message=on_message,
                    subprotocol=subprotocol,
                    peer=peer,
                ),
                sock=sock,
            )
            await conn.opened
    except BaseException:
        sock.close()
        raise
    return conn


async def http_json(
    method: str,
    url_host: str,
    url_port: int,
    path: str,
    *,
    body: Json | None = None,
    token: str | None = None,
    local_addr: str | None = None,
    timeout: float = 30.0,
) -> tuple[int, Any]:
    """One HTTP/1.1 request with ``Connection: close``; returns (status, decoded JSON or text).

    ``local_addr`` picks the loopback source address, so that joins can come from
    many addresses the way a district's households do (the join endpoint limits
    attempts per address).
    """
    data = json.dumps(body).encode() if body is not None else b""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {url_host}:{url_port}\r\nConnection: close\r\n"
        f"Content-Length: {len(data)}\r\n"
        + ("Content-Type: application/json\r\n" if body is not None else "")
        + (f"Authorization: Bearer {token}\r\n" if token else "")
        + "\r\n"
    ).encode()
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(
            url_host, url_port, local_addr=(local_addr, 0) if local_addr else None
        )
        try:
            writer.write(head + data)
            raw = await reader.read(-1)
        finally:
            writer.close()
    header, _, content = raw.partition(b"\r\n\r\n")
    lines = header.split(b"\r\n")
    status = int(lines[0].split()[1])
    if any(
        line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower()
        for line in lines
    ):
        content = _dechunk(content)
    text = content.decode(errors="replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def _dechunk(content: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        eol = content.find(b"\r\n", pos)
        if eol < 0:
            break
        n = int(content[pos:eol].split(b";")[0], 16)
        if n == 0:
            break
        out += content[eol + 2 : eol + 2 + n]
        pos = eol + 2 + n + 2
    return bytes(out)

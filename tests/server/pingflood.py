"""A hostile client on a plain TCP socket: it does the WebSocket upgrade by hand,
perhaps says hello, then only writes ping frames and never reads a byte. And the
server's memory, as the kernel counts it (``VmRSS`` of the real process)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import select
import socket
import threading
import time
from pathlib import Path

from roomclient import Api

PING_PAYLOAD = bytes(range(125))  # the largest a control frame may carry
MASK = b"\x01\x02\x03\x04"
PING = (
    b"\x89"
    + bytes([0x80 | len(PING_PAYLOAD)])
    + MASK
    + bytes(b ^ MASK[i % 4] for i, b in enumerate(PING_PAYLOAD))
)
BLOCK = PING * (64 * 1024 // len(PING))  # whole frames, about 64 KB
CONNECT_TIMEOUT = 10.0
FLOOD_BYTES = 64 * 2**20  # per socket: what the unbounded server once held, twice over
STALL_S = 5.0  # taking nothing this long: the server has stopped reading the socket
HELLO_S, SLOW_READER_S, CLOSE_GRACE_S = 5.0, 10.0, 10.0
GROWTH_AT_MOST = 24 * 2**20  # for all the sockets of one test together
CUT_OFF_WITHIN_S = max(HELLO_S, SLOW_READER_S) + CLOSE_GRACE_S + 20.0  # a wide margin


def masked_text(text: str) -> bytes:
    data = text.encode()
    assert len(data) < 1 << 16
    head = b"\x81" + (
        bytes([0x80 | len(data)])
        if len(data) < 126
        else bytes([0x80 | 126]) + len(data).to_bytes(2, "big")
    )
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(data))


def upgraded(port: int, room_id: str, token: str | None) -> socket.socket:
    """A socket past the handshake (and, with ``token``, past its welcome)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=CONNECT_TIMEOUT)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/{room_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: yishi.v1.json\r\n\r\n"
        ).encode()
    )
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = sock.recv(4096)
        assert chunk, "the server hung up during the handshake"
        got += chunk
    assert got.startswith(b"HTTP/1.1 101"), got[:200]
    if token is not None:
        sock.sendall(masked_text(json.dumps({"id": 1, "cmd": "hello", "args": {"token": token}})))
        while b'"ok":true' not in got:  # the welcome's start; then nothing is read
            chunk = sock.recv(65536)
            assert chunk, "the server hung up before its welcome"
            got += chunk
    return sock


def flood(sock: socket.socket, *, at_most: int, stall_s: float) -> int:
    """Write pings (never reading) until ``at_most`` bytes have gone, the server has
    hung up, or it has taken nothing for ``stall_s``; the bytes written."""
    sock.setblocking(False)
    sent = 0
    while sent < at_most:
        _, writable, _ = select.select([], [sock], [], stall_s)
        if not writable:
            break  # the server no longer reads this socket
        try:
            sent += sock.send(BLOCK)
        except BlockingIOError:
            continue
        except OSError:
            break  # hung up
    return sent


def hung_up(sock: socket.socket, timeout: float) -> bool:
    """Whether the server drops the connection within ``timeout``: a write then fails
    (what it sent is never read, so nothing else tells the client)."""
    sock.setblocking(False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            sock.send(PING)
        except BlockingIOError:
            time.sleep(0.1)  # a reset has no event the client could wait on
        except OSError:
            return True
    return False


def peak_rss(pid: int, done: threading.Event) -> int:
    """The highest ``VmRSS`` of ``pid`` seen until ``done`` is set (sampled)."""
    peak = rss_bytes(pid)
    while not done.wait(0.02):
        peak = max(peak, rss_bytes(pid))
    return max(peak, rss_bytes(pid))


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


async def flood_all(pid: int, port: int, room_id: str, tokens: list[str | None]) -> int:
    """Flood one socket per token (None: no hello) at once, each up to
    ``FLOOD_BYTES``; the growth of ``pid``'s resident memory meanwhile. Asserts
    that the server then drops every one of them."""
    socks = [await asyncio.to_thread(upgraded, port, room_id, token) for token in tokens]
    done = threading.Event()
    sampler = asyncio.create_task(asyncio.to_thread(peak_rss, pid, done))
    before = rss_bytes(pid)
    try:
        await asyncio.gather(
            *(asyncio.to_thread(flood, s, at_most=FLOOD_BYTES, stall_s=STALL_S) for s in socks)
        )
    finally:
        done.set()
    growth = await sampler - before
    cut_off = await asyncio.gather(
        *(asyncio.to_thread(hung_up, s, CUT_OFF_WITHIN_S) for s in socks)
    )
    for sock in socks:
        sock.close()
    assert all(cut_off), "a flooding socket was never closed"
    return growth


async def slow_closed(api: Api) -> float:
    """How many sockets the server has closed as too slow (4008), from /metrics."""
    text = (await api.http.get("/metrics")).text
    found = re.search(r"^yishi_slow_clients_closed_total (\S+)$", text, re.MULTILINE)
    return float(found[1]) if found else 0.0

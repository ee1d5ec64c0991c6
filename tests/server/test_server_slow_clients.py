"""Clients that send slowly on purpose (slow-loris), with a raw socket against a real
`yishi serve --request-timeout 1`: each is cut off soon after the deadline, while
prompt clients and open room sockets are not (server/web/guard.py).
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest
from roomclient import Api
from roomharness import ADMIN, ServerProcess, make_room

TIMEOUT_S = 1.0
CUT_OFF_WITHIN_S = 8.0  # the deadline, and a wide margin for a busy machine
DRIBBLE_S = 0.2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path_factory.mktemp("slow") / "data", options=["--request-timeout", str(TIMEOUT_S)]
    )
    proc.start()
    yield proc
    proc.stop()


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=CUT_OFF_WITHIN_S)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; raises TimeoutError if it does not."""
    sock.settimeout(CUT_OFF_WITHIN_S)
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def dribble(sock: socket.socket, data: bytes, started: float) -> bool:
    """Send ``data`` a byte at a time; False once the server has closed the connection."""
    for byte in data:
        if time.monotonic() - started > CUT_OFF_WITHIN_S:
            return True
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return False
        time.sleep(DRIBBLE_S)  # the attack itself: one byte, then a pause
    return True


def test_a_connection_that_sends_nothing_is_closed(server: ServerProcess) -> None:
    """Today's failure: uvicorn armed no timer before the first request."""
    with connect(server) as sock:
        started = time.monotonic()
        answer = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - started >= TIMEOUT_S * 0.9


def test_headers_dribbled_a_byte_at_a_time_are_cut_off(server: ServerProcess) -> None:
    head = (
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Padding: " + b"a" * 200 + b"\r\n\r\n"
    )
    with connect(server) as sock:
        started = time.monotonic()
        still_open = dribble(sock, head, started)
        assert not still_open or time.monotonic() - started < CUT_OFF_WITHIN_S + DRIBBLE_S
        answer = read_until_closed(sock)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer
        assert b"200 OK" not in answer


def test_a_body_dribbled_a_byte_at_a_time_is_cut_off(server: ServerProcess) -> None:
    body = b'{"invite": "' + b"a" * 200 + b'", "name": "x"}'
    head = (
        f"POST /api/rooms/nothing/join HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with connect(server) as sock:
        sock.sendall(head)
        started = time.monotonic()
        dribble(sock, body, started)
        answer = read_until_closed(sock)
        assert b"404" not in answer  # the request never reached the room lookup
        assert time.monotonic() - started < CUT_OFF_WITHIN_S + 2 * DRIBBLE_S


def test_an_endless_head_is_refused(server: ServerProcess) -> None:
    """40 KiB of headers, sent at once: 431 without waiting for the deadline."""
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + b"".join(f"X-Header-{i}: {'b' * 1000}\r\n".encode() for i in range(40))
        )
        answer = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
        assert time.monotonic() - started < CUT_OFF_WITHIN_S


def test_prompt_clients_keep_their_connection(server: ServerProcess) -> None:
    """Keep-alive requests, each sent whole, all get answers on one connection."""
    with connect(server) as sock:
        for _ in range(3):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while not answer.endswith(b'{"ok":true}'):
                answer += sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200")


async def test_room_sockets_outlive_the_request_deadline(server: ServerProcess) -> None:
    api = Api(server.base_url, ADMIN)
    room = await make_room(server, api)
    try:
        mod = await room.moderator()
        started = time.monotonic()
        while time.monotonic() - started < 3 * TIMEOUT_S:
            assert (await mod.call("ping")).ok
            await asyncio.sleep(TIMEOUT_S / 2)  # idle past the HTTP deadline, on purpose
        assert (await mod.call("ping")).ok
    finally:
        await room.close_all()
        await api.aclose()

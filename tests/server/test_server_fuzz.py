"""Arbitrary JSON and MessagePack thrown at every HTTP endpoint and every command.

Whatever arrives, the server answers with one of the contract's error codes (or
success), never a 500; a socket that sent junk is still open and answers the
next ping; and the server's log holds no traceback.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from roomharness import ADMIN, ServerProcess
from websockets.sync.client import ClientConnection, connect
from yishi.core.commands import TABLE

HTTP_CODES = {
    "bad_frame",
    "bad_command",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "rate_limited",
    "too_large",
    "rejected",
    "unavailable",
}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["\ud800", "u1", "p1", "support", "", "0" * 70])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=15,
)
ARG_NAMES = sorted({f for row in TABLE.values() for f in row.args.__dataclass_fields__} | {"x"})
ARGS = st.dictionaries(st.sampled_from(ARG_NAMES), JSON, max_size=5) | JSON
COMMANDS = st.sampled_from([*TABLE, "hello", "ping", "", "no.such"])


@pytest.fixture(scope="module")
def fuzz_room(server: ServerProcess) -> dict[str, Any]:
    with httpx.Client(base_url=server.base_url, timeout=10, trust_env=False) as http:
        room = http.post(
            "/api/rooms", json={"title": "模糊测试"}, headers={"Authorization": f"Bearer {ADMIN}"}
        ).json()
        resident = http.post(
            f"/api/rooms/{room['room_id']}/join", json={"invite": room["invite_code"], "name": "甲"}
        ).json()
    # A live session, so commands reach their handlers rather than stop at the state.
    with connect(f"{server.ws_base}/ws/{room['room_id']}") as ws:
        _hello(ws, "yishi.v1.json", room["moderator_token"])
        ws.send(json.dumps({"id": 2, "cmd": "session.start", "args": {}}))
        assert _replies(ws, "yishi.v1.json", 2)[2]["ok"]
    return {**room, "resident_token": resident["token"]}


def _http_ok(response: httpx.Response) -> None:
    assert response.status_code < 500 or response.status_code == 503, response.text
    if response.status_code >= 400:
        assert response.json()["error"]["code"] in HTTP_CODES


@given(
    body=JSON,
    path=st.sampled_from(
        [
            "/api/rooms",
            "/api/rooms/{room}/invites",
            "/api/rooms/{room}/join",
            "/api/rooms/{room}/staff",
        ]
    ),
    admin=st.booleans(),
)
@FUZZ
def test_any_json_body_gets_a_contract_error(
    server: ServerProcess, fuzz_room: dict[str, Any], body: Any, path: str, admin: bool
) -> None:
    token = ADMIN if path == "/api/rooms" else fuzz_room["moderator_token"]
    headers = {"Authorization": f"Bearer {token}"} if admin else {}
    raw = json.dumps(body).encode()  # lone surrogates travel as \\ud800 escapes
    with httpx.Client(base_url=server.base_url, timeout=10, trust_env=False) as http:
        _http_ok(
            http.post(
                path.format(room=fuzz_room["room_id"]),
                content=raw,
                headers={**headers, "content-type": "application/json"},
            )
        )


def _hello(ws: ClientConnection, proto: str, token: str) -> None:
    hello = {"id": 1, "cmd": "hello", "args": {"token": token}}
    ws.send(json.dumps(hello) if proto.endswith("json") else msgpack.packb(hello))


def _replies(ws: ClientConnection, proto: str, until: int) -> dict[Any, Any]:
    seen: dict[Any, Any] = {}
    while until not in seen:
        frame = ws.recv(timeout=15)
        message = json.loads(frame) if proto.endswith("json") else msgpack.unpackb(frame)
        if "re" in message:
            seen[message["re"]] = message
    return seen


@given(
    commands=st.lists(st.tuples(COMMANDS, ARGS), min_size=1, max_size=6),
    proto=st.sampled_from(["yishi.v1.json", "yishi.v1.msgpack"]),
    moderator=st.booleans(),
)
@FUZZ
def test_any_command_gets_a_reply_and_the_socket_stays(
    server: ServerProcess,
    fuzz_room: dict[str, Any],
    commands: list[tuple[str, Any]],
    proto: str,
    moderator: bool,
) -> None:
    token = fuzz_room["moderator_token" if moderator else "resident_token"]
    with connect(
        f"{server.ws_base}/ws/{fuzz_room['room_id']}", subprotocols=[proto], max_size=2**22
    ) as ws:  # type: ignore[list-item]
        _hello(ws, proto, token)
        _replies(ws, proto, 1)
        for n, (cmd, args) in enumerate(commands, start=2):
            message = {"id": n, "cmd": cmd, "args": args}
            try:
                ws.send(json.dumps(message) if proto.endswith("json") else msgpack.packb(message))
            except ValueError:  # msgpack cannot carry a lone surrogate at all
                continue
        last = len(commands) + 2
        ping = {"id": last, "cmd": "ping", "args": {}}
        ws.send(json.dumps(ping) if proto.endswith("json") else msgpack.packb(ping))
        replies = _replies(ws, proto, last)
        assert replies[last]["ok"]
        for reply in replies.values():
            assert reply["ok"] or reply["error"]["code"] in HTTP_CODES, reply


def test_no_traceback_after_the_fuzzing(server: ServerProcess) -> None:
    assert "Traceback" not in server.log_tail(5000)

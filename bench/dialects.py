"""How the load generator talks to each server under test.

A dialect knows the WebSocket path, what to send once a socket is open, when
the socket is ready to receive broadcasts, how to find the benchmark text in a
frame, and how the publisher sends one. It does no timing and no counting.

* ``b0``: bare `websockets`; subscribers on ``/ws``, the publisher on ``/pub``.
* ``sio``: python-socketio (Engine.IO 4 / Socket.IO 5 over a WebSocket, no
  polling); the publisher emits ``pub``, the server emits ``m`` to the room.
* ``yishi``: PROTOCOL.md v1 in JSON; listeners are participants who joined with
  the invite code, the publisher is the moderator sending ``chat.send``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bench.wire import WsConn

Json = dict[str, Any]


@dataclass(slots=True)
class Peer:
    """What the generator keeps per socket (the dialect reads and updates parts of it)."""

    index: int
    publisher: bool = False
    node: int = 0
    cred: str | None = None  # Yishi token
    seq: int = 0  # Yishi: last event seq seen (for hello's ``since``)
    track_seq: bool = False  # parse every frame, not only chat frames
    ready: Callable[[str | None], None] = lambda error: None  # None: ready; str: why not
    other: int = 0  # frames that are neither benchmark messages nor replies
    on_other: Callable[[], None] | None = None
    replies: dict[str, int] = field(default_factory=dict)  # publisher: outcome -> count
    first_error: str | None = None
    on_reply: Callable[[], None] | None = None
    # Kept by the generator.
    live: bool = False
    slow: bool = False
    last_key: int = -1
    got: int = 0  # benchmark messages received, in all phases
    barrier: int = -1


class Dialect(Protocol):
    name: str
    subprotocol: str | None
    resumes: bool  # can a reconnecting socket get what it missed?

    def path(self, *, publisher: bool) -> str: ...
    def opened(self, conn: WsConn, peer: Peer, *, since: int | None) -> None: ...
    def text_of(self, conn: WsConn, peer: Peer, payload: bytes) -> str | None: ...
    def publish(self, conn: WsConn, peer: Peer, text: str) -> None: ...


class B0:
    name = "b0"
    subprotocol: str | None = None
    resumes = False

    def path(self, *, publisher: bool) -> str:
        return "/pub" if publisher else "/ws"

    def opened(self, conn: WsConn, peer: Peer, *, since: int | None) -> None:
        peer.ready(None)

    def text_of(self, conn: WsConn, peer: Peer, payload: bytes) -> str | None:
        return payload.decode()

    def publish(self, conn: WsConn, peer: Peer, text: str) -> None:
        conn.send_text(text)


class SocketIO:
    name = "sio"
    subprotocol: str | None = None
    resumes = False

    def path(self, *, publisher: bool) -> str:
        return "/socket.io/?EIO=4&transport=websocket"

    def opened(self, conn: WsConn, peer: Peer, *, since: int | None) -> None:
        pass  # The server speaks first (the Engine.IO open packet); see text_of.

    def text_of(self, conn: WsConn, peer: Peer, payload: bytes) -> str | None:
        head = payload[:2]
        if head == b"42":
            event = json.loads(payload[2:])
            if event[0] == "m":
                return str(event[1])
            return None
        if payload[:1] == b"2":  # Engine.IO ping: answer or be dropped
            conn.send_text("3")
        elif payload[:1] == b"0":  # Engine.IO open: join the default namespace
            conn.send_text('40{"pub":1}' if peer.publisher else "40")
        elif head == b"40":
            peer.ready(None)
        elif head == b"44":
            peer.ready(f"socket.io connect error: {payload[:200]!r}")
        return None

    def publish(self, conn: WsConn, peer: Peer, text: str) -> None:
        conn.send_text("42" + json.dumps(["pub", text]))


def _chat_text(envelope: bytes) -> str | None:
    """A chat.posted envelope's text, found without parsing the JSON (a few times
    cheaper, so the client saturates later); None when it holds an escape."""
    start = envelope.find(b'"text":"')
    if start < 0:
        return None
    start += 8
    end = envelope.find(b'"', start)
    text = envelope[start:end]
    return None if end < 0 or b"\\" in text else text.decode()


class Yishi:
    name = "yishi"
    subprotocol: str | None = "yishi.v1.json"
    resumes = True

    def __init__(self, *, room_id: str) -> None:
        self.room_id = room_id
        self._next_id = 100

    def path(self, *, publisher: bool) -> str:
        return f"/ws/{self.room_id}"

    def send(self, conn: WsConn, message: Json) -> None:
        """One command, in this dialect's sub-protocol."""
        conn.send_text(json.dumps(message))

    def opened(self, conn: WsConn, peer: Peer, *, since: int | None) -> None:
        args: Json = {"token": peer.cred}
        if since is not None:
            args["since"] = since
        self.send(conn, {"id": 1, "cmd": "hello", "args": args})
        conn.state = "hello"

    def command(self, conn: WsConn, cmd: str, args: Json) -> int:
        self._next_id += 1
        self.send(conn, {"id": self._next_id, "cmd": cmd, "args": args})
        return self._next_id

    def text_of(self, conn: WsConn, peer: Peer, payload: bytes) -> str | None:
        # Fast path: a listener that does not need seq skips frames that are no chat.
        if not peer.track_seq and conn.state is None:
            if b'"chat.posted"' not in payload:
                return None
            text = _chat_text(payload)
            if text is not None:
                return text
        return self.frame_text(conn, peer, json.loads(payload))

    def frame_text(self, conn: WsConn, peer: Peer, frame: Json) -> str | None:
        """A decoded frame (either sub-protocol): a reply is handled, seq noted, and
        a chat message's text returned."""
        if "re" in frame:
            self._reply(conn, peer, frame)
            return None
        seq = frame.get("seq")
        if isinstance(seq, int) and seq > peer.seq:
            peer.seq = seq
        if frame.get("type") == "chat.posted":
            return str(frame["data"]["text"])
        peer.other += 1
        if peer.on_other is not None:
            peer.on_other()
        return None

    def _reply(self, conn: WsConn, peer: Peer, frame: Json) -> None:
        if frame["re"] == 1 and conn.state == "hello":
            conn.state = None
            if frame.get("ok"):
                peer.seq = max(peer.seq, int(frame["result"].get("seq") or 0))
                peer.ready(None)
            else:
                peer.ready(f"hello refused: {frame.get('error')}")
            return
        if frame.get("ok"):
            status = (frame.get("result") or {}).get("status", "ok")
            outcome = "ok" if status in ("ok", "visible") else f"status {status}"
        else:
            outcome = f"error {(frame.get('error') or {}).get('code')}"
            if peer.first_error is None:
                peer.first_error = str(frame.get("error"))
        peer.replies[outcome] = peer.replies.get(outcome, 0) + 1
        if peer.on_reply is not None:
            peer.on_reply()

    def publish(self, conn: WsConn, peer: Peer, text: str) -> None:
        self.command(conn, "chat.send", {"text": text})

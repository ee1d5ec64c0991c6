"""The one mapping point between WebSocket frames and the core's types.

Two sub-protocols carry the same envelopes: ``yishi.v1.json`` (UTF-8 JSON in
text frames) and ``yishi.v1.msgpack`` (MessagePack in binary frames). A client
offering neither gets JSON.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from typing import Any

import msgpack

from .core.types import CommandError, ErrorCode, Event, Json

JSON_PROTOCOL = "yishi.v1.json"
MSGPACK_PROTOCOL = "yishi.v1.msgpack"

# Close codes (PROTOCOL.md, "Close codes") that the server sends itself. The
# WebSocket layer sends 1009 (a frame over the 64 KiB ``ws_max_size`` of ``yishi serve``).
CLOSE_UNAUTHORIZED = 4001
CLOSE_REMOVED = 4003
CLOSE_NO_ROOM = 4004
CLOSE_TOO_SLOW = 4008
CLOSE_POLICY = 1008
CLOSE_INTERNAL = 1011
CLOSE_RESTARTING = 1012
CLOSE_UNAVAILABLE = 1013  # try again later: the room cannot be served now (its log is damaged)

# Containers within containers a command may hold (the envelope counts as one): real
# commands go four or five deep (a count's choice lists, the settings' cue seconds).
# What is deeper is a bad frame, refused before anything walks it recursively.
MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Command:
    id: int | None
    cmd: str
    args: Json
    nonce: str | None


class Codec:
    """Encodes server envelopes and decodes client ones for one sub-protocol."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.binary = name == MSGPACK_PROTOCOL

    def encode(self, message: Json) -> str | bytes:
        if self.binary:
            return msgpack.packb(message)  # type: ignore[no-any-return]
        return json.dumps(message, ensure_ascii=False, separators=(",", ":"))

    def decode(self, frame: str | bytes | None) -> Any:
        """The frame's object; raises ``ValueError`` when it cannot be decoded."""
        if frame is None:
            raise ValueError("empty frame")
        try:
            if self.binary:
                if not isinstance(frame, bytes):
                    raise ValueError("expected a binary frame")
                return msgpack.unpackb(frame, strict_map_key=True)
            text = frame.decode() if isinstance(frame, bytes) else frame
            return json.loads(text)  # lone surrogates: parse_command refuses them, with the id
        except RecursionError:
            raise ValueError("nested too deeply") from None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def loads_json(text: str | bytes) -> Any:
    """JSON text as an object; raises ``ValueError`` for what a client may not send:
    bad JSON, nesting too deep for the parser, and lone surrogates (``"\\ud800"`` is
    valid JSON but no UTF-8 text: it could be neither stored nor sent back)."""
    try:
        obj = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    raw = text if isinstance(text, str) else text.decode("utf-8", "replace")
    if _SURROGATE_ESCAPE.search(raw):  # rare: only then walk the object
        try:
            json.dumps(obj, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise ValueError("the text holds a lone surrogate, which is not UTF-8") from None
    return obj


CODECS = {name: Codec(name) for name in (JSON_PROTOCOL, MSGPACK_PROTOCOL)}


def choose_codec(offered: list[str]) -> Codec:
    for name in offered:
        if name in CODECS:
            return CODECS[name]
    return CODECS[JSON_PROTOCOL]


def parse_command(obj: Any) -> Command:
    """An envelope's command; raises ``CommandError(bad_frame)`` for a malformed one."""
    if not isinstance(obj, dict):
        raise CommandError(ErrorCode.BAD_FRAME, "a command must be an object")
    cid = obj.get("id")
    if isinstance(cid, bool) or not isinstance(cid, int):
        raise CommandError(ErrorCode.BAD_FRAME, "id must be an integer")
    cmd = obj.get("cmd")
    if not isinstance(cmd, str):
        raise CommandError(ErrorCode.BAD_FRAME, "cmd must be a string")
    args = obj.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
        raise CommandError(ErrorCode.BAD_COMMAND, "args must be an object with string keys")
    nonce = obj.get("nonce")
    if nonce is not None and (not isinstance(nonce, str) or not 0 < len(nonce) <= 128):
        raise CommandError(ErrorCode.BAD_COMMAND, "nonce must be a string of 1 to 128 characters")
    unfit = _unfit([cmd, args, nonce])
    if unfit is not None:
        raise CommandError(ErrorCode.BAD_FRAME, unfit)
    return Command(cid, cmd, args, nonce)


def _unfit(value: Any) -> str | None:
    """Why ``value`` (a command's args) cannot be taken, or None: containers nested
    more than ``MAX_DEPTH`` deep, or a lone surrogate in a string (JSON's "\\ud800"
    escape makes one). Walked with a stack of its own, not by recursion: a hostile
    depth costs a list, never a ``RecursionError``; it stops at the first problem."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode()
            except UnicodeEncodeError:
                return "a lone surrogate is not UTF-8 text"
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} deep"
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                item = item.values()
            stack.extend((inner, depth + 1) for inner in item)
    return None


def request_id(obj: Any) -> int | None:
    """The id of a (perhaps malformed) envelope, for the error reply."""
    if isinstance(obj, dict):
        cid = obj.get("id")
        if isinstance(cid, int) and not isinstance(cid, bool):
            return cid
    return None


def ok_reply(cid: int | None, result: Json) -> Json:
    return {"re": cid, "ok": True, "result": result}


def error_reply(cid: int | None, error: CommandError) -> Json:
    return {"re": cid, "ok": False, "error": error.to_wire()}


def event_message(event: Event) -> Json:
    return event.to_wire()


def frame(payload: str | bytes) -> bytes:
    """The whole WebSocket frame of one message as a server sends it (RFC 6455
    section 5.2: final, unmasked): text for ``str``, binary for ``bytes``."""
    if isinstance(payload, bytes):
        opcode, data = 0x82, payload
    else:
        opcode, data = 0x81, payload.encode()
    size = len(data)
    if size < 126:
        head = struct.pack("!BB", opcode, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", opcode, 126, size)
    else:
        head = struct.pack("!BBQ", opcode, 127, size)
    return head + data

"""A room's recordings in Redis: one list of MessagePack frames per turn
(``yishi:{room}:rec:<turn>``) and the set of turns kept (``yishi:{room}:rec``), all
under the room's hash tag, so a room's recording is erased in one ``DEL``."""

from __future__ import annotations

from typing import Any

import msgpack

from ..base import RecordedFrame, StoredFrame
from . import keys
from .link import Link, as_bytes


async def add(link: Link, room_id: str, frames: list[RecordedFrame]) -> None:
    by_turn: dict[str, list[bytes]] = {}
    for turn, speaker, seq, ts, data in frames:
        by_turn.setdefault(turn, []).append(
            msgpack.packb([speaker, seq, ts, bytes(data)], use_bin_type=True)
        )
    if not by_turn:
        return

    async def push(r: Any) -> None:
        pipe = r.pipeline(transaction=True)  # the index never names a turn with no list
        for turn, packed in by_turn.items():
            pipe.rpush(keys.recording_key(room_id, turn), *packed)
        pipe.sadd(keys.recordings_key(room_id), *by_turn)
        await pipe.execute()

    await link.call("RPUSH", push)


async def frames(link: Link, room_id: str, turn_id: str) -> list[StoredFrame]:
    name = keys.recording_key(room_id, turn_id)
    rows = await link.call("LRANGE", lambda r: r.lrange(name, 0, -1))
    out: list[StoredFrame] = []
    for row in rows:
        speaker, seq, ts, data = msgpack.unpackb(as_bytes(row), raw=False)
        out.append((str(speaker), int(seq), int(ts), bytes(data)))
    return out


async def turns(link: Link, room_id: str) -> list[str]:
    index = keys.recordings_key(room_id)
    found = await link.call("SMEMBERS", lambda r: r.smembers(index))
    return sorted(as_bytes(t).decode() for t in found)


async def drop(link: Link, room_id: str) -> None:
    index = keys.recordings_key(room_id)
    found = await link.call("SMEMBERS", lambda r: r.smembers(index))
    names = [keys.recording_key(room_id, as_bytes(t).decode()) for t in found]
    # One DEL (one slot: the hash tag), so nothing is left half-erased.
    await link.call("DEL", lambda r: r.delete(*names, index))

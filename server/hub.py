"""Local sockets per room, and fan-out of the room's events to them.

Each event is encoded once per sub-protocol (its wire form is the same for
everyone allowed to see it), wrapped once in the ASGI message that sends it,
and that same message object is queued for every socket that may see it.
Every socket has a bounded outbox: a client that cannot keep up is closed
with 4008 and resumes with ``since``, instead of growing the server's memory.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from yishi.core.types import Event, Json
from yishi.core.views import Viewer, can_see

from .wire import CLOSE_TOO_SLOW, Codec, event_message

OUTBOX_FRAMES = 2048

# An ASGI "websocket.send" message, ready to hand to the server.
Frame = dict[str, Any]


def frame(payload: str | bytes) -> Frame:
    if isinstance(payload, bytes):
        return {"type": "websocket.send", "bytes": payload}
    return {"type": "websocket.send", "text": payload}


@dataclass(frozen=True, slots=True)
class Close:
    code: int
    reason: str = ""


class Outbox:
    """A socket's bounded queue of frames to send; ``Close`` ends it.

    A resuming client may be owed thousands of missed events: they go out first,
    encoded lazily as the socket drains (``send_first``), so a long replay is
    neither held in memory per socket nor counted against the live queue's bound.
    """

    __slots__ = ("_frames", "_limit", "_backlog", "_waiter", "closing")

    def __init__(self, *, limit: int = OUTBOX_FRAMES) -> None:
        self._frames: deque[Frame | Close] = deque()
        self._limit = limit
        self._backlog: Iterator[Frame] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self.closing: Close | None = None

    def send_first(self, frames: Iterator[Frame]) -> None:
        """Send ``frames`` before anything queued (call before the socket is subscribed)."""
        self._backlog = frames

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def put(self, item: Frame) -> None:
        if self.closing is not None:
            return
        if len(self._frames) >= self._limit:
            self.close_now(Close(CLOSE_TOO_SLOW, "too slow: reconnect with since"))
            return
        self._frames.append(item)
        self._wake()

    def close_after_pending(self, close: Close) -> None:
        """Close once what is queued has been sent (e.g. 4003 after the removal event)."""
        if self.closing is None:
            self.closing = close
            self._frames.append(close)
            self._wake()

    def close_now(self, close: Close) -> None:
        """Drop what is queued and close."""
        self.closing = close
        self._backlog = None
        self._frames.clear()
        self._frames.append(close)
        self._wake()

    async def get(self) -> Frame | Close:
        if self._backlog is not None:
            item = next(self._backlog, None)
            if item is not None:
                return item
            self._backlog = None
        while not self._frames:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            self._waiter = None
        return self._frames.popleft()


@dataclass(eq=False, slots=True)
class Subscriber:
    viewer: Viewer
    codec: Codec
    outbox: Outbox = field(default_factory=Outbox)

    def encode(self, message: Json) -> Frame:
        return frame(self.codec.encode(message))

    def send(self, message: Json) -> None:
        self.outbox.put(self.encode(message))


class RoomHub:
    """The sockets of one room on this node."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.frames_sent = 0

    def add(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)

    def remove(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def publish(self, events: Iterable[Event]) -> None:
        for event in events:
            frames: dict[str, Frame] = {}
            sent = 0
            for sub in self.subscribers:
                if not can_see(event, sub.viewer):
                    continue
                message = frames.get(sub.codec.name)
                if message is None:
                    message = frames[sub.codec.name] = frame(
                        sub.codec.encode(event_message(event)))
                sub.outbox.put(message)
                sent += 1
            self.frames_sent += sent

    def of_participant(self, participant_id: str) -> list[Subscriber]:
        return [s for s in self.subscribers if s.viewer.participant_id == participant_id]

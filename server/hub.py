"""Local sockets per room, and fan-out of the room's events to them.

Each event is encoded once per sub-protocol (its wire form is the same for
everyone allowed to see it) and the same frame object is queued for every
socket that may see it. Every socket has a bounded outbox: a client that
cannot keep up is closed with 4008 and resumes with ``since``, instead of
growing the server's memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from yishi.core.types import Event, Json
from yishi.core.views import Viewer, can_see

from .wire import CLOSE_TOO_SLOW, Codec, event_message

OUTBOX_FRAMES = 2048

Frame = str | bytes


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

    def __init__(self, *, limit: int = OUTBOX_FRAMES) -> None:
        self._queue: asyncio.Queue[Frame | Close] = asyncio.Queue()
        self._limit = limit
        self._backlog: Iterator[Frame] | None = None
        self.closing: Close | None = None

    def send_first(self, frames: Iterator[Frame]) -> None:
        """Send ``frames`` before anything queued (call before the socket is subscribed)."""
        self._backlog = frames

    def put(self, frame: Frame) -> None:
        if self.closing is not None:
            return
        if self._queue.qsize() >= self._limit:
            self.close_now(Close(CLOSE_TOO_SLOW, "too slow: reconnect with since"))
            return
        self._queue.put_nowait(frame)

    def close_after_pending(self, close: Close) -> None:
        """Close once what is queued has been sent (e.g. 4003 after the removal event)."""
        if self.closing is None:
            self.closing = close
            self._queue.put_nowait(close)

    def close_now(self, close: Close) -> None:
        """Drop what is queued and close."""
        if self.closing is not None and self._queue.empty():
            return
        self.closing = close
        self._backlog = None
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(close)

    async def get(self) -> Frame | Close:
        if self._backlog is not None and self.closing is None:
            frame = next(self._backlog, None)
            if frame is not None:
                return frame
            self._backlog = None
        return await self._queue.get()

    def __len__(self) -> int:
        return self._queue.qsize()


@dataclass(eq=False, slots=True)
class Subscriber:
    viewer: Viewer
    codec: Codec
    outbox: Outbox = field(default_factory=Outbox)

    def send(self, message: Json) -> None:
        self.outbox.put(self.codec.encode(message))


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
            for sub in self.subscribers:
                if not can_see(event, sub.viewer):
                    continue
                frame = frames.get(sub.codec.name)
                if frame is None:
                    frame = frames[sub.codec.name] = sub.codec.encode(event_message(event))
                sub.outbox.put(frame)
                self.frames_sent += 1

    def of_participant(self, participant_id: str) -> list[Subscriber]:
        return [s for s in self.subscribers if s.viewer.participant_id == participant_id]

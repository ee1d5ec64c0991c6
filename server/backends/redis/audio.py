"""Audio between nodes: Redis pub/sub only, best effort, never in a stream.

A node that relayed a frame publishes ``"<node id> <frame>"`` on the room's
audio channel (``yishi:{room}:au``); every node hears it on the pub/sub
connection the log's entries come by (``redis_feed``) and hands it to its
listeners, except the node that sent it (it has served its own sockets).
Frames to publish wait in a short queue that drops the oldest (speech late by
more than a moment is worth nothing) and go out pipelined, one round trip per
batch: a frame never waits behind an append, and a lost connection loses a
moment of sound, nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from ..base import AudioListener
from . import keys
from .link import LINK_ERRORS, Link, nap

logger = logging.getLogger(__name__)

QUEUED = 256  # frames waiting to be published (a few seconds of a few speakers)
BATCH = 128  # frames per pipeline
RETRY_S = 0.5  # after a failed publish


class AudioChannels:
    """One backend's audio: publishing, and handing frames heard to its listeners."""

    def __init__(self, node_id: str) -> None:
        self._mark = node_id.encode() + b" "
        self._queue: deque[tuple[str, bytes]] = deque(maxlen=QUEUED)
        self._wakeup = asyncio.Event()
        self.listeners: tuple[AudioListener, ...] = ()
        self.dropped = 0  # a metric: frames never published (queue full, Redis down)

    def publish(self, room_id: str, frame: bytes) -> None:
        if len(self._queue) == QUEUED:
            self.dropped += 1
        self._queue.append((keys.audio_channel(room_id), self._mark + frame))
        self._wakeup.set()

    def subscribe(self, listener: AudioListener) -> None:
        self.listeners = (*self.listeners, listener)

    def unsubscribe(self, listener: AudioListener) -> None:
        self.listeners = tuple(x for x in self.listeners if x is not listener)

    def heard(self, channel: bytes, data: bytes) -> None:
        """A message on an audio channel (from the pub/sub connection)."""
        if data.startswith(self._mark):
            return  # our own: its listeners here were served when it was relayed
        room_id = keys.room_of_audio_channel(channel)
        _, space, frame = data.partition(b" ")
        if room_id is None or not space:
            return
        for listener in self.listeners:
            try:
                listener(room_id, frame)
            except Exception:
                logger.exception("audio listener failed on %s", room_id)

    async def run(self, link: Link, stopping: asyncio.Event) -> None:
        """Publish what is queued until the backend stops."""
        queue = self._queue
        while not stopping.is_set():
            await self._wakeup.wait()
            self._wakeup.clear()
            while queue and not stopping.is_set():
                batch = [queue.popleft() for _ in range(min(len(queue), BATCH))]
                try:
                    pipe = link.client.pipeline(transaction=False)
                    for channel, data in batch:
                        link.publish(pipe, channel, data)
                    await pipe.execute()
                except LINK_ERRORS as exc:
                    self.dropped += len(batch)
                    logger.warning("audio not published (%s)", exc)
                    await nap(stopping, RETRY_S)

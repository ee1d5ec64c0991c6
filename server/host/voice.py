"""Voice on the floor: audio frames in, checked against the floor, out to every listener.

An audio frame is a MessagePack array on the room's own socket
(``["audio", turn, seq, ts, data]``, docs/protocol.md "Voice on the floor").
It is handled where it arrives, synchronously: no task, no log, no fsync, no
reply. The checks go cheapest first: size, the socket's rate, the shape, the
floor (``core.voice.heard`` on this node's replica), then the budget of the
speaker heard in the room (``voicebudget``: one voice's worth, however many
sockets it speaks from). A frame that passes
is re-framed once with who is heard (``from``, ``chair``; the Opus packet as
it came) and written to every listening socket of the room on this node
(``Outbox.put_audio``: bounded, the oldest dropped, never a close), published
to the other nodes (``LogBackend.publish_audio``: pub/sub, never the stream),
and kept for the room's recording when the room records. Every frame is
counted by its result; a dropped frame is never answered.

The frame is published to the other nodes before this node's own pass over its
listeners, so the nodes write it at the same time. A frame from another node
takes from the same speaker's budget here before it goes to this node's
listeners: a speaker on two nodes is held to one budget on each.

This module is the room's part (listeners, fan-out, counters); a socket's part,
its frames checked and relayed and its ``audio.listen``, is ``voicegate``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgpack

from ..core.voice import Dropped
from .hub import Outgoing, Subscriber
from .voicebudget import VoiceBudget

FRAME_PREFIX = b"\x95\xa5audio"  # MessagePack: a 5-array whose first item is "audio"
MAX_FRAME_BYTES = 2048  # 60 ms of Opus at 24 kbit/s is about 180 bytes
FRAMES_PER_SECOND = 60  # per socket (one frame per 20 ms, the shortest frame there is)
FRAME_BURST = 20
SLICE = 200  # listeners written to per turn of the event loop (about 2 ms)
RESULTS = (*(d.value for d in Dropped), "relayed")


def is_audio(payload: str | bytes) -> bool:
    """Whether a message from a client is an audio frame (every command is a map)."""
    return isinstance(payload, bytes) and payload.startswith(FRAME_PREFIX)


class VoiceStats:
    """Counters read when /metrics is scraped (plain ints: they move 50 times a
    second per speaker, and per listener on the way out)."""

    def __init__(self) -> None:
        self.frames = dict.fromkeys(RESULTS, 0)
        self.deliveries = 0  # frames written (or held) for a listener
        self.dropped_by_listeners = 0  # frames a slow listener's socket dropped
        self.from_other_nodes = 0
        self.over_budget_from_other_nodes = 0  # heard from them, dropped here (the budget)


class RoomVoice:
    """The listening sockets of one room on this node.

    A frame goes out in slices of ``SLICE`` listeners, one slice per turn of the
    event loop: a pass over thousands of sockets takes milliseconds, and an
    event arriving meanwhile goes out between two slices instead of after the
    whole pass (audio must never hold an event back). Each listener still gets
    the frames in order: every frame's slices follow the same order.
    """

    __slots__ = ("budget", "listeners", "stats")

    def __init__(self, stats: VoiceStats, *, clock: Callable[[], int]) -> None:
        self.listeners: set[Subscriber] = set()
        self.stats = stats
        self.budget = VoiceBudget(clock=clock)

    def from_other_node(self, frame: bytes) -> None:
        """A frame another node relayed: to this node's listeners, as it came, if its
        speaker's budget here allows it."""
        stats = self.stats
        stats.from_other_nodes += 1
        try:
            _, _, _, _, data, speaker, _ = msgpack.unpackb(frame, raw=False)
        except Exception:  # noqa: BLE001  (a node sends none such; drop it if one did)
            return
        if not (
            isinstance(speaker, str)
            and isinstance(data, bytes)
            and self.budget.admit(speaker, len(data))
        ):
            stats.over_budget_from_other_nodes += 1
            return
        self.fan_out(frame, None)

    def fan_out(self, frame: bytes, sender: Subscriber | None) -> None:
        """Send one relayed frame to every listener but its sender."""
        if self.listeners:
            self._send(Outgoing(frame), tuple(self.listeners), 0, sender)

    def _send(
        self,
        out: Outgoing,
        listeners: tuple[Subscriber, ...],
        start: int,
        sender: Subscriber | None,
    ) -> None:
        end = start + SLICE
        dropped = sent = 0
        for listener in listeners[start:end]:
            if listener is not sender:
                dropped += listener.outbox.put_audio(out)
                sent += 1
        stats = self.stats
        stats.deliveries += sent
        stats.dropped_by_listeners += dropped
        if end < len(listeners):
            asyncio.get_running_loop().call_soon(self._send, out, listeners, end, sender)

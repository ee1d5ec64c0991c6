"""How much voice one participant may put through a room, on each node.

One voice needs one stream whatever the number of sockets it speaks from: an
Opus stream of 20 ms frames is 50 frames a second (the browser's page sends 60
ms frames, 17 a second, about 190 bytes each at 24 kbit/s). A participant
with four sockets, each within its own socket's rate, once put 230 frames a
second of 2 KB each to every listener, and into the recording. So:

1. Each speaker heard (the floor holder, or a moderator as the chair) has one
   budget per room on each node: ``FRAMES_PER_SECOND`` frames and
   ``BYTES_PER_SECOND`` bytes of Opus a second, after bursts of ``FRAME_BURST``
   frames and ``BYTE_BURST`` bytes. A frame goes through only if both allow it.
2. Every frame this node would fan out to its listeners takes from the budget
   first, the ones its own sockets sent and the ones other nodes relayed alike:
   a speaker whose sockets are on two nodes is held to one budget on each node's
   listeners. Over the budget, a frame is dropped before fan-out, never
   published, never recorded.
3. The least recently heard speakers' budgets are forgotten first, past
   ``SPEAKERS_KEPT``; a forgotten budget starts full again, as an idle one is.
"""

from __future__ import annotations

from collections.abc import Callable

from ..ratelimit import KeyedBuckets

FRAMES_PER_SECOND = 50  # 20 ms frames, the shortest Opus frame a voice needs
FRAME_BURST = 20  # a second of the page's frames, arriving at once after a hiccup
BYTES_PER_SECOND = 8_000  # 64 kbit/s, well over the page's 24 kbit/s
BYTE_BURST = 8_000  # a second of it (and room for the largest frames, 2 KB each)
SPEAKERS_KEPT = 256


class VoiceBudget:
    """The speakers' budgets of one room on this node (rule 1)."""

    __slots__ = ("_bytes", "_frames")

    def __init__(self, *, clock: Callable[[], int]) -> None:
        self._frames = KeyedBuckets(
            rate=FRAMES_PER_SECOND, burst=FRAME_BURST, clock=clock, keep=SPEAKERS_KEPT
        )
        self._bytes = KeyedBuckets(
            rate=BYTES_PER_SECOND, burst=BYTE_BURST, clock=clock, keep=SPEAKERS_KEPT
        )

    def admit(self, speaker: str, size: int) -> bool:
        """Take one frame of ``size`` bytes of Opus from ``speaker``'s budget; False,
        taking nothing, if it is spent."""
        frames = self._frames.get(speaker)
        if frames.empty() or not self._bytes.get(speaker).take(size):
            return False
        return frames.take()

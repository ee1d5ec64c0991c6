"""Turn audio kept for rooms that record (opt-in per room).

The voice relay (``voice``) hands every frame it accepted, in a room whose
settings record, to :meth:`Recordings.keep`: once, on the node that accepted it.
"""

from __future__ import annotations

from .backends.base import LogBackend


class Recordings:
    """Where accepted audio frames of recording rooms go."""

    def __init__(self, backend: LogBackend) -> None:
        self.backend = backend

    def keep(self, room_id: str, turn_id: str, speaker: str, seq: int, ts: int,
             data: bytes) -> None:
        """Keep one Opus frame of ``turn_id`` (never blocks: the relay calls it inline)."""

"""Room snapshots as bytes, read back without trusting the store.

A snapshot is a pickle of the room's state and its recent events. Pickle can
name any callable, so loading one from a shared store (Redis) would let whoever
can write there run code on every node; the reader below accepts only the
room's own record types and a few containers, and refuses anything else.
"""

from __future__ import annotations

import collections
import io
import pickle
from typing import Any

from yishi.core import state as core_state
from yishi.core import types as core_types
from yishi.core.state import RULES_VERSION, RoomState
from yishi.core.types import Event

_ALLOWED = {
    ("builtins", "set"), ("builtins", "frozenset"),
    ("collections", "OrderedDict"), ("collections", "deque"),
    ("copyreg", "_reconstructor"), ("builtins", "object"),
    *((core_state.__name__, name) for name in (
        "Participant", "QueueEntry", "SideTally", "Statement", "Turn", "AgendaItem", "Poll",
        "ChatMessage", "Decision", "Action", "Note", "ChatBucket", "RoomState")),
    *((core_types.__name__, name) for name in (
        "CommandError", "ErrorCode", "Role", "Event", "Audience", "AudienceKind")),
}


class UnsafeSnapshot(Exception):
    """The snapshot names something that is not a room record."""


class _RoomUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise UnsafeSnapshot(f"{module}.{name} is not allowed in a snapshot")
        return super().find_class(module, name)


def dump(state: RoomState, events: list[Event]) -> bytes:
    return pickle.dumps((RULES_VERSION, state, events), protocol=pickle.HIGHEST_PROTOCOL)


def load(blob: bytes) -> tuple[int, RoomState, list[Event]]:
    """(rules version, state, events); raises ``UnsafeSnapshot`` or ``pickle`` errors."""
    version, state, events = _RoomUnpickler(io.BytesIO(blob)).load()
    if not isinstance(state, RoomState) or not isinstance(events, (list, collections.deque)):
        raise UnsafeSnapshot("not a room snapshot")
    return int(version), state, list(events)

"""Room snapshots as bytes, read back without trusting the store.

A snapshot is a pickle of the room's state and its recent events. Pickle can
name any callable, so loading one from a shared store (Redis) would let whoever
can write there run code on every node; the reader below accepts only the
room's own record types and a few containers, and refuses anything else.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import operator
import pickle
from collections.abc import Callable
from typing import Any

from .core import state as core_state
from .core import types as core_types
from .core.state import RULES_VERSION, RoomState
from .core.types import Event

# The room's records (dataclasses) and the other types a room's state holds.
_RECORDS: tuple[type, ...] = (
    core_state.Participant, core_state.QueueEntry, core_state.SideTally, core_state.Statement,
    core_state.Turn, core_state.AgendaItem, core_state.Poll, core_state.ChatMessage,
    core_state.Decision, core_state.Action, core_state.Note, core_state.ChatBucket,
    core_state.RoomState, core_types.Event, core_types.Audience)
_ALLOWED = {
    ("builtins", "set"), ("builtins", "frozenset"),
    ("collections", "OrderedDict"), ("collections", "deque"),
    *((cls.__module__, cls.__qualname__) for cls in _RECORDS + (
        core_types.CommandError, core_types.ErrorCode, core_types.Role, core_types.AudienceKind)),
}


class UnsafeSnapshot(Exception):
    """The snapshot names something that is not a room record."""


class _RoomUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise UnsafeSnapshot(f"{module}.{name} is not allowed in a snapshot")
        return super().find_class(module, name)


def _as_constructor_call(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    """Pickle a record as ``cls(*fields)``: one C-level attrgetter per object, where
    the slotted dataclass default looks up its fields in Python every time (a 5,000-
    person room with 12,000 kept events took 113 ms to dump that way, on the loop)."""
    names = [f.name for f in dataclasses.fields(cls)]
    get = operator.attrgetter(*names, names[0])  # two names or more: always a tuple

    def reduce(record: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, get(record)[:-1]

    return reduce


_REDUCERS = {cls: _as_constructor_call(cls) for cls in _RECORDS}


def dump(state: RoomState, events: list[Event]) -> bytes:
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump((RULES_VERSION, state, events))
    return out.getvalue()


def load(blob: bytes) -> tuple[int, RoomState, list[Event]]:
    """(rules version, state, events); raises ``UnsafeSnapshot`` or ``pickle`` errors."""
    version, state, events = _RoomUnpickler(io.BytesIO(blob)).load()
    if not isinstance(state, RoomState) or not isinstance(events, (list, collections.deque)):
        raise UnsafeSnapshot("not a room snapshot")
    return int(version), state, list(events)

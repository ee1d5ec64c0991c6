"""Room snapshots as bytes, read back without trusting the store.

A snapshot is a pickle of the room's state and its recent events. Pickle can
name any callable, so loading one from a shared store (Redis) would let whoever
can write there run code on every node; the reader below accepts only the
room's own record types and a few containers, and refuses anything else.

Layout: one pickle of ``(rules version, state, CHUNKED)``, then any number of
pickles of event lists, in seq order, to the end of the blob. (A snapshot of
an earlier release is one pickle of ``(rules version, state, events)``; it
still loads.) Splitting lets a node take a snapshot without stalling its event
loop (:class:`SnapshotWriter`): the state, which the next entry changes, is
pickled at once, on the loop; the events, which never change once emitted, are
pickled in a thread, by chunks of ``CHUNK_EVENTS`` consecutive event numbers,
and a full chunk is pickled once and reused by every later snapshot. The
chunks may hold a few events older than the ring kept; the ring drops them
again as it is refilled.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import operator
import pickle
from collections.abc import Callable
from typing import Any

from ..core import state as core_state
from ..core import types as core_types
from ..core.state import RoomState
from ..core.types import Event
from ..core.versions import RULES_VERSION


class UnsafeSnapshot(Exception):
    """The snapshot names something that is not one of its state's records."""


def _as_constructor_call(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    """Pickle a record as ``cls(*fields)``: one C-level attrgetter per object, where
    the slotted dataclass default looks up its fields in Python every time (a 5,000-
    person room with 12,000 kept events took 113 ms to dump that way, on the loop)."""
    names = [f.name for f in dataclasses.fields(cls)]
    get = operator.attrgetter(*names, names[0])  # two names or more: always a tuple

    def reduce(record: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, get(record)[:-1]

    return reduce


class SafePickle:
    """Pickles of one kind of state (a room's, a community's): its dataclass
    ``records`` written as constructor calls, read back accepting only those
    records, the ``also`` types and the ``containers``, and refusing anything else
    (``UnsafeSnapshot``) whoever wrote the store."""

    def __init__(
        self,
        records: tuple[type, ...],
        *,
        also: tuple[type, ...] = (),
        containers: tuple[type, ...] = (set, frozenset),
        what: str,
    ) -> None:
        self.reducers = {cls: _as_constructor_call(cls) for cls in records}
        allowed = {(cls.__module__, cls.__qualname__) for cls in (*containers, *records, *also)}

        class Unpickler(pickle.Unpickler):
            def find_class(self, module: str, name: str) -> Any:
                if (module, name) not in allowed:
                    raise UnsafeSnapshot(f"{module}.{name} is not allowed in {what}")
                return super().find_class(module, name)

        self._unpickler = Unpickler

    def dumps(self, obj: object) -> bytes:
        out = io.BytesIO()
        pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = self.reducers
        pickler.dump(obj)
        return out.getvalue()

    def load(self, stream: io.BytesIO) -> Any:
        """The next pickle in ``stream``."""
        return self._unpickler(stream).load()


# The room's records (dataclasses) and the other types a room's state holds.
ROOM = SafePickle(
    (
        core_state.Participant,
        core_state.QueueEntry,
        core_state.SideTally,
        core_state.Statement,
        core_state.Turn,
        core_state.AgendaItem,
        core_state.Poll,
        core_state.ChatMessage,
        core_state.Decision,
        core_state.Action,
        core_state.Note,
        core_state.ChatBucket,
        core_state.RoomState,
        core_types.Event,
        core_types.Audience,
    ),
    also=(core_types.CommandError, core_types.ErrorCode, core_types.Role, core_types.AudienceKind),
    containers=(set, frozenset, collections.OrderedDict, collections.deque),
    what="a snapshot",
)
_REDUCERS = ROOM.reducers


CHUNKED = -1  # in place of the events: chunks of events follow
CHUNK_EVENTS = 1024


class SnapshotWriter:
    """Writes one room's snapshots, remembering the event chunks already pickled.

    Call :meth:`state_part` on the event loop, at the moment the snapshot is of;
    then :meth:`finish` anywhere (a thread), one call at a time per writer.
    """

    def __init__(self) -> None:
        self._chunks: dict[int, bytes] = {}  # chunk number -> pickle of its events

    def state_part(self, state: RoomState) -> bytes:
        return ROOM.dumps((RULES_VERSION, state, CHUNKED))

    def finish(self, state_part: bytes, events: list[Event]) -> bytes:
        """The snapshot: ``state_part`` and ``events`` (consecutive, in seq order, all
        emitted before the state was pickled, never changed since)."""
        parts = [state_part]
        last = events[-1].seq if events else 0
        groups: dict[int, list[Event]] = {}
        for event in events:
            groups.setdefault((event.seq - 1) // CHUNK_EVENTS, []).append(event)
        for number, group in groups.items():
            cached = self._chunks.get(number)
            if cached is None:
                cached = ROOM.dumps(group)
                if (number + 1) * CHUNK_EVENTS <= last:  # full: no event will join it
                    self._chunks[number] = cached
            parts.append(cached)
        for number in [n for n in self._chunks if n not in groups]:
            del self._chunks[number]
        return b"".join(parts)


def dump(state: RoomState, events: list[Event]) -> bytes:
    """A snapshot in one go (tests, tools); a node uses :class:`SnapshotWriter`."""
    writer = SnapshotWriter()
    return writer.finish(writer.state_part(state), events)


def load(blob: bytes) -> tuple[int, RoomState, list[Event]]:
    """(rules version, state, events); raises ``UnsafeSnapshot`` or ``pickle`` errors."""
    stream = io.BytesIO(blob)
    version, state, events = ROOM.load(stream)
    if not isinstance(state, RoomState):
        raise UnsafeSnapshot("not a room snapshot")
    if events == CHUNKED:
        events = []
        while stream.tell() < len(blob):
            chunk = ROOM.load(stream)
            if not isinstance(chunk, list):
                raise UnsafeSnapshot("not a chunk of events")
            events += chunk
    if not isinstance(events, (list, collections.deque)) or not all(
        isinstance(e, Event) for e in events
    ):
        raise UnsafeSnapshot("not a room snapshot")
    return int(version), state, list(events)

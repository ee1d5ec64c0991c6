"""Snapshots in chunks: what a node writes reads back as the state and the ring it was
taken from, a full chunk is pickled once, an earlier release's snapshot still loads,
and the restricted reader refuses anything but room records in any part."""

from __future__ import annotations

import io
import pickle

import pytest
from yishi.core.recent import RecentEvents
from yishi.core.reducer import new_room
from yishi.core.types import MODERATORS, Event, person
from yishi.core.versions import RULES_VERSION
from yishi.host import snapshots
from yishi.host.snapshots import CHUNK_EVENTS, SnapshotWriter, UnsafeSnapshot


def events(first: int, last: int) -> list[Event]:
    audiences = [None, MODERATORS, person("p1")]
    return [
        Event(
            seq=s,
            type="chat.posted",
            at=s,
            data={"n": s},
            **({"audience": a} if (a := audiences[s % 3]) else {}),
        )
        for s in range(first, last + 1)
    ]


def test_a_snapshot_reads_back_as_the_ring_it_was_taken_from() -> None:
    state = new_room("r")
    state.event_seq = 3 * CHUNK_EVENTS + 10
    ring = RecentEvents(2 * CHUNK_EVENTS)
    ring.extend(events(1, state.event_seq))
    writer = SnapshotWriter()
    blob = writer.finish(writer.state_part(state), list(ring))
    version, loaded, kept = snapshots.load(blob)
    assert version == RULES_VERSION and loaded == state
    # Whole chunks may bring a few older events; the ring drops them again.
    assert kept[-len(ring) :] == list(ring) and len(kept) < len(ring) + CHUNK_EVENTS
    again = RecentEvents(2 * CHUNK_EVENTS)
    again.extend(kept)
    assert list(again) == list(ring)


def test_a_full_chunk_is_pickled_once() -> None:
    state = new_room("r")
    writer = SnapshotWriter()
    first = writer.finish(writer.state_part(state), events(1, CHUNK_EVENTS + 5))
    # The same full chunk, even when the ring no longer holds its first events.
    second = writer.finish(writer.state_part(state), events(3, CHUNK_EVENTS + 9))
    assert snapshots.load(second)[2] == events(1, CHUNK_EVENTS + 9)
    assert snapshots.load(first)[2] == events(1, CHUNK_EVENTS + 5)


def test_a_snapshot_of_the_earlier_layout_still_loads() -> None:
    state = new_room("r")
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dump((RULES_VERSION, state, events(1, 5)))
    assert snapshots.load(out.getvalue()) == (RULES_VERSION, state, events(1, 5))


class Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("pwned",))


def test_a_chunk_naming_anything_else_is_refused() -> None:
    writer = SnapshotWriter()
    head = writer.state_part(new_room("r"))
    with pytest.raises(UnsafeSnapshot):
        snapshots.load(head + pickle.dumps([Boom()]))
    with pytest.raises(UnsafeSnapshot):
        snapshots.load(head + pickle.dumps({"not": "a list"}))
    with pytest.raises(UnsafeSnapshot):
        snapshots.load(head + pickle.dumps(["not an event"]))

"""Snapshots come back from a shared store: only room records may be read from them."""

from __future__ import annotations

import os
import pickle

import pytest
from roombuilder import Room
from yishi.host import snapshots


def test_a_room_snapshot_round_trips(room: Room) -> None:
    (a,) = room.residents("a")
    room.raise_hand(a, "support")
    room.next_turn()
    _version, state, events = snapshots.load(snapshots.dump(room.state, []))
    assert state.turn is not None and state.turn.participant_id == a
    assert events == []


class Exploit:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def test_a_snapshot_naming_anything_else_is_refused() -> None:
    blob = pickle.dumps((1, Exploit(), []))
    with pytest.raises(snapshots.UnsafeSnapshot):
        snapshots.load(blob)

"""Room states are snapshotted by pickling (server/host/node.py): they must round-trip."""

from __future__ import annotations

import pickle

from roombuilder import Room
from yishi.core import views
from yishi.core.reducer import apply
from yishi.core.state import RoomState
from yishi.host import snapshots


def round_trip(state: RoomState) -> RoomState:
    restored = pickle.loads(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(restored, RoomState)
    # The node's own snapshot form must restore the same room.
    # (Views, not the states: a remembered CommandError equals only itself.)
    assert every_view(snapshots.load(snapshots.dump(state, []))[1]) == every_view(restored)
    return restored


def every_view(state: RoomState) -> list[object]:
    return [
        views.snapshot(state, views.Viewer(participant_id=p.participant_id, role=p.role))
        for p in state.participants.values()
    ]


def test_a_busy_room_round_trips_and_carries_on_the_same(room: Room) -> None:
    a, b = room.residents("a", "b")
    room.ok(a, "chat.send", text="你好", nonce="n1")
    room.raise_hand(a, "support", nonce="n2")
    room.raise_hand(b, "oppose")
    room.next_turn()
    poll = room.ok(
        room.mod,
        "poll.open",
        question="q",
        kind="yes_no_abstain",
        secret=True,
        server_args={"ballot_key": "k1"},
    )["poll_id"]
    assert room.append("poll.vote", actor=b, args={"poll_id": poll, "sealed": "seal"}).ok
    restored = round_trip(room.state)
    assert every_view(restored) == every_view(room.state)
    # the same next entries give the same events on both
    entry_seq = room.state.entry_seq
    assert room.append(
        "poll.vote", actor=a, args={"poll_id": poll, "sealed": "seal2"}, at=room.now + 100
    ).ok
    room.ok(room.mod, "poll.close", poll_id=poll)
    assert room.system(
        "poll.count",
        {"poll_id": poll, "counts": [1, 1, 0], "voters": 2, "eligible": 2, "choices": [[1], [0]]},
    ).ok
    room.tick(at=room.now + 200_000)
    later = room.entries[entry_seq:]
    events = [e for entry in later for e in apply(restored, entry).events]
    assert events == [e for o in room.outcomes[entry_seq:] for e in o.events]
    assert every_view(restored) == every_view(room.state)


def test_a_room_remembering_a_failed_commands_nonce_round_trips(room: Room) -> None:
    (a,) = room.residents("a")
    outcome = room.send(a, "turn.yield", nonce="retry-1")  # fails: a does not hold the floor
    assert outcome.error is not None
    restored = round_trip(room.state)
    again = room.send(a, "turn.yield", nonce="retry-1")
    assert again.error is not None
    assert every_view(restored) == every_view(room.state)

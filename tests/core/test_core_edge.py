"""The edge's precheck: what the room would refuse for a reason its replica already
shows is refused before the log, by the same rule the reducer applies.

Every command the room builder sends is put to ``precheck`` first, and whatever
it refuses the reducer must refuse identically (see ``roombuilder.Room.send``):
that holds for every test in this folder and for the random sequences of
``test_core_properties``. Here: that the edge does refuse the refusals that cost
a log entry each before, and that it leaves to the reducer what the clock would
change first.
"""

from __future__ import annotations

from typing import Any

import pytest
from roombuilder import Room
from yishi.core import commands
from yishi.core.state import ChatBucket
from yishi.core.types import CommandError, ErrorCode


def edge(room: Room, actor: str, cmd: str, **args: Any) -> CommandError | None:
    row = commands.client_command(cmd)
    assert row is not None
    return room.edge(row, actor, commands.client_args(cmd, args), at=room.now + 1)


def refused(room: Room, code: ErrorCode, actor: str, cmd: str, **args: Any) -> None:
    """Refused at the edge with ``code``, and by the reducer the same way."""
    error = edge(room, actor, cmd, **args)
    assert error is not None and error.code is code, (cmd, error and error.to_wire())
    room.fail(actor, cmd, code, **args)


def test_a_resident_over_the_chat_rate_is_refused_without_taking_a_token() -> None:
    room = Room.create(start=True, settings={"chat_rate": 3})
    (a,) = room.residents("a")
    for _ in range(3):
        room.ok(a, "chat.send", text="你好")
    bucket = room.state.chat_buckets[a]
    refused(room, ErrorCode.RATE_LIMITED, a, "chat.send", text="你好")
    # The precheck peeks: the bucket is what the last accepted message left.
    assert room.state.chat_buckets[a] == bucket
    room.wait(20_000)  # one token refills
    assert edge(room, a, "chat.send", text="你好") is None
    assert room.state.chat_buckets[a] == bucket
    room.ok(a, "chat.send", text="你好")
    assert room.state.chat_buckets[a] != bucket


def test_muted_residents_and_a_closed_chat_are_refused_at_the_edge() -> None:
    room = Room.create(start=True)
    a, b = room.residents("a", "b")
    room.ok(room.mod, "participant.mute", participant_id=a, seconds=60)
    refused(room, ErrorCode.FORBIDDEN, a, "chat.send", text="说一句")
    room.ok(room.mod, "settings.update", chat_mode="closed")
    refused(room, ErrorCode.FORBIDDEN, b, "chat.send", text="说一句")
    assert edge(room, room.mod, "chat.send", text="通知") is None  # staff still speak


def test_the_floor_is_checked_at_the_edge() -> None:
    room = Room.create(start=True)
    a, b = room.residents("a", "b")
    clerk = room.staff("clerk", "书记员")
    refused(room, ErrorCode.CONFLICT, room.mod, "turn.next")  # nobody waiting
    refused(room, ErrorCode.CONFLICT, a, "statement.post", text="我说")  # nobody holds it
    room.raise_hand(a, "support")
    room.next_turn()
    refused(room, ErrorCode.CONFLICT, a, "hand.raise", stance="oppose")
    refused(room, ErrorCode.CONFLICT, b, "statement.post", text="我也说")
    refused(room, ErrorCode.CONFLICT, b, "turn.yield")
    refused(room, ErrorCode.CONFLICT, room.mod, "turn.grant", participant_id=b)
    refused(room, ErrorCode.CONFLICT, room.mod, "turn.end", turn_id="t1")
    # A clerk may not post for a holder who has a phone of their own.
    refused(room, ErrorCode.FORBIDDEN, clerk, "statement.post", text="替他说")
    assert edge(room, a, "statement.post", text="我说") is None
    room.ok(a, "statement.post", text="我说")


def test_votes_that_cannot_count_are_refused_at_the_edge() -> None:
    room = Room.create(start=True)
    a, b = room.residents("a", "b")
    poll = room.ok(room.mod, "poll.open", question="同意吗？", kind="yes_no_abstain")["poll_id"]
    refused(room, ErrorCode.NOT_FOUND, a, "poll.vote", poll_id="p999", choices=[0])
    refused(room, ErrorCode.BAD_COMMAND, a, "poll.vote", poll_id=poll, choices=[5])
    refused(room, ErrorCode.BAD_COMMAND, a, "poll.vote", poll_id=poll, choices=[0, 1])
    room.ok(a, "poll.vote", poll_id=poll, choices=[0])
    refused(room, ErrorCode.CONFLICT, a, "poll.vote", poll_id=poll, choices=[1])  # no revote
    room.ok(room.mod, "poll.close", poll_id=poll)
    refused(room, ErrorCode.CONFLICT, b, "poll.vote", poll_id=poll, choices=[1])
    refused(room, ErrorCode.CONFLICT, room.mod, "poll.close", poll_id=poll)


def test_moderators_mistakes_are_refused_at_the_edge() -> None:
    room = Room.create(start=True)
    (a,) = room.residents("a")
    refused(room, ErrorCode.NOT_FOUND, room.mod, "chat.pin", message_id="m99")
    refused(room, ErrorCode.NOT_FOUND, room.mod, "agenda.goto", index=7)
    refused(room, ErrorCode.NOT_FOUND, room.mod, "queue.remove", participant_id=a)
    refused(
        room, ErrorCode.FORBIDDEN, room.mod, "participant.mute", participant_id=room.mod, seconds=5
    )
    refused(room, ErrorCode.CONFLICT, room.mod, "participant.remove", participant_id=room.mod)
    refused(room, ErrorCode.BAD_COMMAND, room.mod, "settings.update")
    refused(room, ErrorCode.NOT_FOUND, room.mod, "decision.record", text="决定", poll_id="p9")
    refused(room, ErrorCode.NOT_FOUND, room.mod, "action.update", action_id="a9", status="done")
    refused(
        room,
        ErrorCode.BAD_COMMAND,
        room.mod,
        "poll.open",
        question="q",
        kind="single",
        options=["甲"],
    )


def test_a_due_turn_deadline_leaves_the_floor_to_the_reducer() -> None:
    """The entry that follows a passed deadline ends the turn first: the edge, whose
    replica has not applied that yet, must not refuse what the ended turn allows."""
    room = Room.create(start=True, settings={"turn_seconds": 10})
    a, b = room.residents("a", "b")
    room.raise_hand(a, "support")
    room.next_turn()
    room.raise_hand(b, "oppose")
    room.wait(10_001)  # a's turn is over, but no entry has said so yet
    assert room.state.turn is not None
    assert edge(room, room.mod, "turn.next") is None
    room.ok(a, "hand.raise", stance="oppose")  # a holds the floor no longer
    assert room.state.turn is None
    room.next_turn()


@pytest.mark.parametrize("rate", [1, 10, 60])
def test_the_edge_counts_tokens_exactly_as_the_reducer_takes_them(rate: int) -> None:
    room = Room.create(start=True, settings={"chat_rate": rate})
    (a,) = room.residents("a")
    for step in range(3 * rate):
        room.wait(step * 137 % 4_000)
        room.send(a, "chat.send", text="你好")  # the builder compares edge and reducer
    assert isinstance(room.state.chat_buckets[a], ChatBucket)

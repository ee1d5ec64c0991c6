"""Who is heard (core.voice.heard): the floor decides for the voice as for the words,
to the millisecond of the turn's limit, whatever the log has caught up with."""

from __future__ import annotations

from roombuilder import Room
from yishi.core.types import Role
from yishi.core.voice import Dropped, Heard, heard


def test_the_floor_holder_is_heard_until_the_limit_and_not_a_millisecond_after(room: Room) -> None:
    speaker, other = room.residents("发言人", "旁人")
    room.raise_hand(speaker, "support")
    turn = room.next_turn().data
    turn_id, ends_at = turn["turn_id"], turn["ends_at"]
    state = room.state
    assert heard(state, speaker, Role.PARTICIPANT, turn_id, ends_at - 1) == Heard(
        turn_id, speaker, chair=False
    )
    # The turn has not ended in the log (no tick yet), but its time is up.
    assert state.turn is not None
    assert heard(state, speaker, Role.PARTICIPANT, turn_id, ends_at) is Dropped.OLD_TURN
    assert heard(state, speaker, Role.PARTICIPANT, "t-other", ends_at - 1) is Dropped.OLD_TURN
    assert heard(state, other, Role.PARTICIPANT, turn_id, ends_at - 1) is Dropped.NOT_FLOOR


def test_a_turn_ended_early_cuts_at_once(room: Room) -> None:
    (speaker,) = room.residents("发言人")
    room.raise_hand(speaker, "oppose")
    turn = room.next_turn().data
    ended = room.end_turn()
    assert (
        heard(room.state, speaker, Role.PARTICIPANT, turn["turn_id"], ended.at) is Dropped.OLD_TURN
    )


def test_observers_never_speak_and_the_chair_always_may(room: Room) -> None:
    watcher = room.join("旁听", observer=True)
    assert heard(room.state, watcher, Role.OBSERVER, "", room.now) is Dropped.OBSERVER
    assert heard(room.state, room.mod, Role.MODERATOR, "", room.now) == Heard(
        "", room.mod, chair=True
    )
    (speaker,) = room.residents("发言人")
    room.raise_hand(speaker, "support")
    turn_id = room.next_turn().data["turn_id"]
    # During someone else's turn the chair is still the chair, whatever turn it names.
    assert heard(room.state, room.mod, Role.MODERATOR, turn_id, room.now) == Heard(
        "", room.mod, chair=True
    )


def test_a_muted_holder_is_not_heard_until_the_mute_ends(room: Room) -> None:
    (speaker,) = room.residents("发言人")
    room.raise_hand(speaker, "support")
    turn_id = room.next_turn().data["turn_id"]
    room.ok(room.mod, "participant.mute", participant_id=speaker, seconds=10)
    muted_at = room.now
    assert heard(room.state, speaker, Role.PARTICIPANT, turn_id, muted_at + 1) is Dropped.MUTED
    assert heard(room.state, speaker, Role.PARTICIPANT, turn_id, muted_at + 10_000) == Heard(
        turn_id, speaker, chair=False
    )


def test_a_clerk_is_the_microphone_only_of_a_holder_seated_in_the_hall(room: Room) -> None:
    clerk = room.staff("clerk", "书记员")
    seated = room.in_hall("张大爷")
    (online,) = room.residents("在线居民")
    room.ok(clerk, "hand.raise", stance="support", on_behalf_of=seated)
    turn_id = room.next_turn().data["turn_id"]
    assert heard(room.state, clerk, Role.CLERK, turn_id, room.now) == Heard(
        turn_id, seated, chair=False
    )
    room.end_turn()
    room.raise_hand(online, "support")
    turn_id = room.next_turn().data["turn_id"]
    assert heard(room.state, clerk, Role.CLERK, turn_id, room.now) is Dropped.NOT_FLOOR

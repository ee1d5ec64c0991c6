"""Nonces: a repeat within ten minutes gets the first reply and changes nothing."""

from __future__ import annotations

from roombuilder import Room, only, types

TEN_MINUTES = 600_000


def test_a_repeat_returns_the_first_reply_and_changes_nothing(room: Room) -> None:
    a, b = room.residents("a", "b")
    first = room.send(a, "chat.send", text="只发一次", nonce="k1")
    before = room.views()
    again = room.send(a, "chat.send", text="只发一次", nonce="k1", at=room.now + 5_000)
    assert again.ok and again.result == first.result
    assert again.events == ()
    assert room.views() == before
    assert len(room.snapshot(b)["chat"]) == 1


def test_a_repeat_with_other_arguments_still_gets_the_first_reply(room: Room) -> None:
    a, b = room.residents("a", "b")
    first = room.send(a, "hand.raise", stance="support", nonce="r")
    room.raise_hand(b, "support")
    again = room.send(a, "hand.raise", stance="oppose", nonce="r")
    assert again.result == first.result == {"position": 1}
    assert again.events == ()
    assert room.queue()["oppose"] == []


def test_a_remembered_error_is_replied_again(pending_room: Room) -> None:
    room = pending_room
    (a,) = room.residents("a")
    first = room.send(a, "hand.raise", stance="support", nonce="early")
    assert first.error is not None and first.error.code.value == "conflict"
    room.ok(room.mod, "session.start")
    again = room.send(a, "hand.raise", stance="support", nonce="early")
    assert again.error is first.error and again.events == ()
    assert room.queue()["support"] == []


def test_nonces_are_per_participant(room: Room) -> None:
    a, b = room.residents("a", "b")
    room.send(a, "chat.send", text="a 的", nonce="same")
    outcome = room.send(b, "chat.send", text="b 的", nonce="same")
    assert types(outcome.events) == ["chat.posted"]
    assert only(outcome.events, "chat.posted").data["participant_id"] == b


def test_nonces_are_forgotten_after_ten_minutes(room: Room) -> None:
    (a,) = room.residents("a")
    t = room.now + 1
    first = room.send(a, "chat.send", text="一", nonce="k", at=t)
    assert room.send(a, "chat.send", text="一", nonce="k", at=t + TEN_MINUTES - 1).events == ()
    later = room.send(a, "chat.send", text="一", nonce="k", at=t + TEN_MINUTES)
    assert types(later.events) == ["chat.posted"]
    assert later.result != first.result
    assert len(room.snapshot(a)["chat"]) == 2


def test_a_repeat_still_advances_the_clock(room: Room) -> None:
    (a,) = room.residents("a")
    room.raise_hand(a, "support", nonce="h")
    started = room.next_turn().data
    again = room.send(a, "hand.raise", stance="support", nonce="h", at=started["ends_at"])
    # the expiry before the entry stands; the repeat itself adds nothing
    assert types(again.events) == ["turn.ended", "queue.changed"]
    assert again.result == {"position": 1}
    assert room.queue()["support"] == []

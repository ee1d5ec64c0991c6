"""Chat: the rate bucket, mutes, chat modes, the moderators' review queue, pins."""

from __future__ import annotations

import pytest
from roombuilder import Room, only, types
from yishi.core.types import AudienceKind

HELD = {"status": "held", "reasons": ["spam"]}


def test_a_visible_message_is_posted_to_everyone(room: Room) -> None:
    (a,) = room.residents("a")
    outcome = room.send(a, "chat.send", text="  大家好 ")
    posted = only(outcome.events, "chat.posted")
    assert posted.audience.kind is AudienceKind.PUBLIC
    assert posted.data == {
        "message_id": outcome.result["message_id"],
        "participant_id": a,
        "name": "a",
        "text": "大家好",
        "at": posted.at,
        "status": "visible",
    }
    assert outcome.result == {"message_id": posted.data["message_id"], "status": "visible"}
    masked = room.ok(a, "chat.send", text="电话 ***", server_args={"status": "masked"})
    assert masked["status"] == "masked"
    assert [m["status"] for m in room.snapshot(a)["chat"]] == ["visible", "masked"]
    room.fail(a, "chat.send", "too_large", text="字" * 501)
    room.fail(a, "chat.send", "bad_command", text="   ")


def test_a_held_message_reaches_moderators_only(room: Room) -> None:
    a, b = room.residents("a", "b")
    clerk = room.staff("clerk", "书记员")
    outcome = room.send(a, "chat.send", text="加微信领红包", server_args=HELD)
    assert outcome.result is not None and outcome.result["status"] == "held"
    held = only(outcome.events, "chat.held")
    assert held.audience.kind is AudienceKind.MODERATORS
    assert held.data["reasons"] == ["spam"] and held.data["status"] == "held"
    assert held in room.visible_to(room.mod)
    for pid in (a, b, clerk):
        assert held not in room.visible_to(pid)
        assert "held" not in room.snapshot(pid) and room.snapshot(pid)["chat"] == []
    assert [m["message_id"] for m in room.snapshot(room.mod)["held"]] == [
        outcome.result["message_id"]
    ]


def test_approve_publishes_a_held_message(room: Room) -> None:
    (a,) = room.residents("a")
    mid = room.ok(a, "chat.send", text="可疑", server_args=HELD)["message_id"]
    room.fail(a, "chat.approve", "forbidden", message_id=mid)
    outcome = room.send(room.mod, "chat.approve", message_id=mid)
    posted = only(outcome.events, "chat.posted")
    assert posted.audience.kind is AudienceKind.PUBLIC and posted.data["status"] == "visible"
    assert room.snapshot(room.mod)["held"] == []
    room.fail(room.mod, "chat.approve", "conflict", message_id=mid)
    room.fail(room.mod, "chat.approve", "not_found", message_id="m999")


def test_remove_takes_a_message_away_from_whoever_saw_it(room: Room) -> None:
    a, b = room.residents("a", "b")
    visible = room.ok(a, "chat.send", text="你好")["message_id"]
    held = room.ok(a, "chat.send", text="可疑", server_args=HELD)["message_id"]
    removed = only(room.send(room.mod, "chat.remove", message_id=visible).events, "chat.removed")
    assert removed.data == {"message_id": visible}
    assert removed.audience.kind is AudienceKind.PUBLIC
    removed = only(room.send(room.mod, "chat.remove", message_id=held).events, "chat.removed")
    # nobody but the moderators and the sender ever saw the held one
    assert removed in room.visible_to(a) and removed in room.visible_to(room.mod)
    assert removed not in room.visible_to(b)
    assert room.snapshot(b)["chat"] == [] and room.snapshot(room.mod)["held"] == []
    for cmd in ("chat.remove", "chat.approve", "chat.pin"):
        room.fail(room.mod, cmd, "not_found", message_id=visible)
    room.fail(a, "chat.remove", "forbidden", message_id=held)


def test_pins_are_visible_messages_and_go_when_removed(room: Room) -> None:
    (a,) = room.residents("a")
    visible = room.ok(a, "chat.send", text="重要：周五施工")["message_id"]
    held = room.ok(a, "chat.send", text="可疑", server_args=HELD)["message_id"]
    pinned = only(room.send(room.mod, "chat.pin", message_id=visible).events, "chat.pinned")
    assert pinned.data["message_id"] == visible
    room.fail(room.mod, "chat.pin", "conflict", message_id=held)
    room.fail(a, "chat.pin", "forbidden", message_id=visible)
    assert [m["message_id"] for m in room.snapshot(a)["pins"]] == [visible]
    room.ok(room.mod, "chat.remove", message_id=visible)
    assert room.snapshot(a)["pins"] == []


def test_the_rate_bucket_holds_a_minutes_worth() -> None:
    room = Room.create(settings={"chat_rate": 10}, start=True)
    a, b = room.residents("a", "b")
    t = room.now + 1
    for n in range(10):
        room.ok(a, "chat.send", text=f"第{n}条", at=t)
    room.fail(a, "chat.send", "rate_limited", text="第十一条", at=t)
    # another participant has their own bucket
    room.ok(b, "chat.send", text="我的", at=t)
    # one message's worth comes back every 6 s
    room.fail(a, "chat.send", "rate_limited", text="早了", at=t + 5_999)
    room.ok(a, "chat.send", text="到点", at=t + 6_000)
    room.fail(a, "chat.send", "rate_limited", text="又早了", at=t + 6_001)
    # and never more than a minute's worth
    for n in range(10):
        room.ok(a, "chat.send", text=f"一小时后{n}", at=t + 3_600_000)
    room.fail(a, "chat.send", "rate_limited", text="多了", at=t + 3_600_000)


def test_staff_messages_are_announcements_never_limited_nor_held() -> None:
    room = Room.create(settings={"chat_rate": 1, "chat_mode": "premoderated"}, start=True)
    clerk = room.staff("clerk", "书记员")
    for n in range(30):
        assert room.ok(room.mod, "chat.send", text=f"公告{n}")["status"] == "visible"
        assert room.ok(clerk, "chat.send", text=f"记录{n}")["status"] == "visible"
    # even a text the pipeline would hold
    assert room.ok(room.mod, "chat.send", text="公告", server_args=HELD)["status"] == "visible"


def test_chat_rate_zero_is_unlimited() -> None:
    room = Room.create(settings={"chat_rate": 0}, start=True)
    (a,) = room.residents("a")
    for n in range(120):
        room.ok(a, "chat.send", text=f"{n}")
    assert len(room.snapshot(a)["chat"]) == 100  # the snapshot keeps the last 100
    assert room.snapshot(a)["chat"][-1]["text"] == "119"


def test_a_muted_participant_cannot_chat_until_the_mute_ends(room: Room) -> None:
    (a,) = room.residents("a")
    t = room.now + 1
    room.ok(room.mod, "participant.mute", participant_id=a, seconds=30, at=t)
    room.fail(a, "chat.send", "forbidden", text="我要说话", at=t + 29_999)
    room.ok(a, "chat.send", text="我回来了", at=t + 30_000)
    room.ok(room.mod, "participant.mute", participant_id=a, seconds=3600)
    room.fail(a, "chat.send", "forbidden", text="x")
    room.ok(room.mod, "participant.mute", participant_id=a, seconds=0)
    room.ok(a, "chat.send", text="解除了")


def test_premoderated_holds_every_resident_message() -> None:
    room = Room.create(settings={"chat_mode": "premoderated"}, start=True)
    (a,) = room.residents("a")
    outcome = room.send(a, "chat.send", text="普通的话")
    assert outcome.result is not None and outcome.result["status"] == "held"
    assert types(outcome.events) == ["chat.held"]


@pytest.mark.parametrize("who", ["participant", "observer", "office"])
def test_closed_chat_lets_only_staff_speak(who: str) -> None:
    room = Room.create(settings={"chat_mode": "closed"}, start=True)
    pid = (
        room.join("a", observer=who == "observer")
        if who != "office"
        else room.staff("office", "街道办")
    )
    room.fail(pid, "chat.send", "forbidden", text="能说吗")
    clerk = room.staff("clerk", "书记员")
    room.ok(clerk, "chat.send", text="请安静")
    room.ok(room.mod, "chat.send", text="聊天已关闭")


@pytest.mark.parametrize("who", ["observer", "office"])
def test_observers_and_offices_never_chat(room: Room, who: str) -> None:
    pid = room.join("o", observer=True) if who == "observer" else room.staff(who, who)
    room.fail(pid, "chat.send", "forbidden", text="你好")


def test_chat_works_before_the_session_starts(pending_room: Room) -> None:
    (a,) = pending_room.residents("a")
    assert pending_room.ok(a, "chat.send", text="什么时候开始")["status"] == "visible"

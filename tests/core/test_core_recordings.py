"""Rules 5: the setting ``record_audio``, and publishing and erasing recordings.

The audio is outside the log; what the log holds is which turns may have some
(``Turn.recorded``), whether the public minutes link them, and when they were
erased. Rooms under older rules have neither the setting nor the commands.
"""

from __future__ import annotations

from roombuilder import Room, of_type, only
from yishi.core.recordings import recorded_turn_ids
from yishi.core.reducer import replay
from yishi.core.types import ErrorCode
from yishi.core.views import summary
from yishi.minutes import build_minutes


def test_recording_is_off_by_default_and_said_in_the_summary(room: Room) -> None:
    assert room.state.settings["record_audio"] is False
    assert summary(room.state)["record_audio"] is False
    assert room.snapshot(room.mod)["room"]["settings"]["record_audio"] is False
    assert room.snapshot(room.mod)["room"]["recordings"] == {"published": False, "erased_at": []}
    on = Room.create(settings={"record_audio": True}, start=True)
    assert summary(on.state)["record_audio"] is True
    assert on.state.chair_recorded


def test_a_turn_is_recorded_from_its_start_or_from_the_switch(room: Room) -> None:
    a, b, c = room.residents("a", "b", "c")
    first = room.ok(room.mod, "turn.grant", participant_id=a)["turn_id"]
    room.ok(room.mod, "settings.update", record_audio=True)
    changed = of_type(room.events, "settings.changed")[-1]
    assert changed.data["record_audio"] is True
    room.ok(a, "turn.yield")
    second = room.ok(room.mod, "turn.grant", participant_id=b)["turn_id"]
    room.ok(room.mod, "settings.update", record_audio=False)
    room.ok(room.mod, "turn.end")
    third = room.ok(room.mod, "turn.grant", participant_id=c)["turn_id"]
    assert recorded_turn_ids(room.state) == [first, second]
    assert third not in recorded_turn_ids(room.state)


def test_only_a_moderator_publishes_or_erases(room: Room) -> None:
    (a,) = room.residents("a")
    room.fail(a, "recordings.publish", ErrorCode.FORBIDDEN, on=True)
    room.fail(a, "recordings.erase", ErrorCode.FORBIDDEN)
    room.fail(room.mod, "recordings.publish", ErrorCode.BAD_COMMAND)  # `on` is required


def test_publishing_puts_the_links_in_the_public_minutes(room: Room) -> None:
    (a,) = room.residents("a")
    room.ok(room.mod, "settings.update", record_audio=True)
    turn = room.ok(room.mod, "turn.grant", participant_id=a)["turn_id"]
    url = f"/api/rooms/room1/recordings/{turn}.ogg"

    def links(public: bool) -> tuple[object, object]:
        model = build_minutes(room.state, digest="d", public=public)
        return model["agenda"][0]["turns"][0]["recording"], model["recordings"]["chair"]

    assert links(False) == (url, "/api/rooms/room1/recordings/chair.ogg")
    assert links(True) == (None, None)
    room.ok(room.mod, "recordings.publish", on=True)
    assert only(room.events[-1:], "recordings.published").data == {"on": True}
    assert links(True) == links(False)
    room.ok(room.mod, "recordings.publish", on=False)
    assert links(True) == (None, None)


def test_erasing_forgets_every_recording_and_switches_recording_off(room: Room) -> None:
    a, b = room.residents("a", "b")
    room.ok(room.mod, "settings.update", record_audio=True)
    room.ok(room.mod, "turn.grant", participant_id=a)
    room.ok(a, "turn.yield")
    room.ok(room.mod, "turn.grant", participant_id=b)  # still running when erased
    room.ok(room.mod, "recordings.publish", on=True)
    room.ok(room.mod, "recordings.erase")
    erased = only(room.events[-2:], "recordings.erased")
    assert room.state.settings["record_audio"] is False
    assert of_type(room.events[-2:], "settings.changed")[0].data["record_audio"] is False
    assert recorded_turn_ids(room.state) == [] and not room.state.chair_recorded
    assert room.state.recordings_erased == [erased.at]
    model = build_minutes(room.state, digest="d", public=True)
    assert all(t["recording"] is None for t in model["agenda"][0]["turns"])
    assert model["recordings"] == {"published": True, "chair": None, "erased_at": [erased.at]}
    # Erasing again (another node's, or nothing left) is harmless and logged too.
    room.ok(room.mod, "recordings.erase")
    assert len(room.state.recordings_erased) == 2
    # Switched on again, the running turn is recorded from there.
    room.ok(room.mod, "settings.update", record_audio=True)
    assert recorded_turn_ids(room.state) == [room.state.turn.turn_id]  # type: ignore[union-attr]


def test_the_session_end_does_not_stop_erasing(room: Room) -> None:
    room.ok(room.mod, "settings.update", record_audio=True)
    room.ok(room.mod, "session.end")
    room.ok(room.mod, "recordings.erase")
    room.ok(room.mod, "recordings.publish", on=True)


def test_older_rooms_have_no_such_setting_nor_commands() -> None:
    room = Room.create(start=True, rules_version=4)
    assert "record_audio" not in room.state.settings
    assert "record_audio" not in summary(room.state) or not summary(room.state)["record_audio"]
    room.fail(room.mod, "settings.update", ErrorCode.BAD_COMMAND, record_audio=True)
    room.fail(room.mod, "recordings.publish", ErrorCode.CONFLICT, on=True)
    room.fail(room.mod, "recordings.erase", ErrorCode.CONFLICT)
    room.ok(room.mod, "settings.update", turn_seconds=30)
    assert "record_audio" not in of_type(room.events, "settings.changed")[-1].data
    model = build_minutes(room.state, digest="d")
    assert "recordings" not in model
    assert "record_audio" not in str(model)


def test_an_old_room_cannot_be_created_recording() -> None:
    room = Room(state=replay("room1", []), now=0)
    outcome = room.system(
        "room.create",
        {"title": "x", "invite_code": "i", "rules_version": 4, "settings": {"record_audio": True}},
    )
    assert outcome.error is not None and outcome.error.code is ErrorCode.BAD_COMMAND
    assert room.state.title == ""  # refused before anything changed

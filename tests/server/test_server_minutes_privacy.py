"""Published minutes, read without a token, are the public copy: attendance as counts,
nobody's online times, nobody named for merely being there. The moderator's token
reads the moderator's copy (with the attendance record), and can ask for the public
copy to see exactly what is published.
"""

from __future__ import annotations

import pytest
from roomclient import assert_http_error
from roomharness import Room


async def test_published_minutes_show_no_attendance_times(room: Room) -> None:
    mod = await room.moderator()
    speaker, cs = await room.resident("张三")
    _, quiet = await room.resident("沉默的李四")
    await room.join("没来的王五")
    await mod.ok("session.start")
    await cs.ok("hand.raise", stance="support")
    await mod.ok("turn.next")
    await cs.ok("statement.post", text="我支持加装电梯")
    await mod.ok("turn.end")
    await mod.ok("action.add", title="征求意见", owner="居委会", due="2026-12-31")
    await mod.ok("session.end")
    await mod.ok("minutes.publish")

    public = await room.api.minutes(room.room_id)
    assert public.status_code == 200
    model = public.json()
    assert model["copy"] == "public" and "attendance" not in model
    assert model["present"]["residents"] == 2 and model["present"]["staff"] == 1
    for secret in ("沉默的李四", "没来的王五", "online_spans", "arrived_at"):
        assert secret not in public.text
    assert "张三" in public.text and "居委会" in public.text

    full = (await room.api.minutes(room.room_id, room.mod_token)).json()
    assert "copy" not in full
    names = {p["name"]: p for p in full["attendance"]}
    assert names["沉默的李四"]["online_spans"] and names["没来的王五"]["mode"] == "absent"

    for fmt in ("md", "html", "docx"):
        body = await room.api.http.get(f"/api/rooms/{room.room_id}/minutes", params={"format": fmt})
        assert body.status_code == 200
        if fmt != "docx":
            assert "沉默的李四" not in body.text and "没来的王五" not in body.text
    # The moderator previews exactly what the public reads.
    preview = await room.api.http.get(
        f"/api/rooms/{room.room_id}/minutes",
        params={"format": "json", "copy": "public"},
        headers=room.api.bearer(room.mod_token),
    )
    assert preview.json() == model
    # A resident's token reads the public copy; the moderator's copy needs a moderator.
    person_copy = await room.api.minutes(room.room_id, speaker.token)
    assert person_copy.json() == model
    assert_http_error(
        await room.api.http.get(f"/api/rooms/{room.room_id}/minutes", params={"copy": "moderator"}),
        (401, "unauthorized"),
    )
    assert_http_error(
        await room.api.http.get(f"/api/rooms/{room.room_id}/minutes", params={"copy": "all"}),
        (400, "bad_command"),
    )
    await quiet.close()


@pytest.mark.parametrize("copy", [None, "public"])
async def test_unpublished_minutes_need_the_moderator_whatever_the_copy(
    room: Room, copy: str | None
) -> None:
    params = {"copy": copy} if copy else {}
    assert_http_error(
        await room.api.http.get(f"/api/rooms/{room.room_id}/minutes", params=params),
        (401, "unauthorized"),
    )

"""Who reads the draft minutes, and the name a download is saved under (issue 14).

* A clerk's token reads the moderator's copy (the draft, with its attendance
  record), as the moderator's does: clerks keep the record. An office's token
  does not (forbidden before publication, the public copy after): it follows
  up the actions and has no need of who was online when.
* Every export is named after the room's title and the session's date, in UTF-8
  (``filename*``, RFC 5987) with an ASCII fallback; Word comes as a download.
"""

from __future__ import annotations

from urllib.parse import unquote

from roomclient import assert_http_error
from roomharness import Room
from yishi.minutes.filename import content_disposition, download_name


async def test_a_clerk_reads_the_draft_minutes_and_an_office_does_not(room: Room) -> None:
    mod = await room.moderator()
    clerk = await room.staff("clerk", "书记员小李")
    office = await room.staff("office", "街道办")
    speaker, cs = await room.resident("张三")
    await mod.ok("session.start")
    await cs.ok("hand.raise", stance="support")
    await mod.ok("turn.next")
    await cs.ok("statement.post", text="我支持加装电梯")
    await mod.ok("turn.end")

    draft = await room.api.minutes(room.room_id, clerk.token)
    assert draft.status_code == 200
    model = draft.json()
    assert "copy" not in model and model["final"] is False
    assert {p["name"] for p in model["attendance"]} >= {"张三", "书记员小李"}
    statements = [
        s["text"] for item in model["agenda"] for turn in item["turns"] for s in turn["statements"]
    ]
    assert statements == ["我支持加装电梯"]
    # The moderator's and the clerk's draft are the same document.
    assert (await room.api.minutes(room.room_id, room.mod_token)).json() == model
    for fmt in ("md", "docx"):
        res = await room.api.http.get(
            f"/api/rooms/{room.room_id}/minutes",
            params={"format": fmt, "copy": "moderator"},
            headers=room.api.bearer(clerk.token),
        )
        assert res.status_code == 200, res.text

    # Neither an office nor a resident reads a draft.
    for person in (office, speaker):
        assert_http_error(await room.api.minutes(room.room_id, person.token), (403, "forbidden"))
    # Once published, the office reads the public copy like anyone; the clerk still
    # reads the full record.
    await mod.ok("session.end")
    await mod.ok("minutes.publish")
    public = (await room.api.minutes(room.room_id, office.token)).json()
    assert public["copy"] == "public" and "attendance" not in public
    assert "attendance" in (await room.api.minutes(room.room_id, clerk.token)).json()
    assert_http_error(
        await room.api.http.get(
            f"/api/rooms/{room.room_id}/minutes",
            params={"copy": "moderator"},
            headers=room.api.bearer(office.token),
        ),
        (403, "forbidden"),
    )
    await cs.close()


async def test_an_export_is_named_after_the_title_and_the_date(room: Room) -> None:
    mod = await room.moderator()
    await mod.ok("session.start")
    model = (await room.api.minutes(room.room_id, room.mod_token)).json()
    date = model["date"]
    res = await room.api.http.get(
        f"/api/rooms/{room.room_id}/minutes",
        params={"format": "docx"},
        headers=room.api.bearer(room.mod_token),
    )
    assert res.status_code == 200
    header = res.headers["content-disposition"]
    assert header.startswith("attachment; ")
    assert header.isascii()
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback == f"minutes-{room.room_id}-{date}.docx"
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == f"加装电梯议事会-{date}.docx"
    md = await room.api.http.get(
        f"/api/rooms/{room.room_id}/minutes",
        params={"format": "md"},
        headers=room.api.bearer(room.mod_token),
    )
    assert md.headers["content-disposition"].startswith("inline; ")
    assert unquote(md.headers["content-disposition"].split("''", 1)[1]).endswith(f"-{date}.md")


def test_a_title_is_made_safe_as_a_file_name() -> None:
    assert download_name("加装电梯议事会", "2026-11-30", "docx") == "加装电梯议事会-2026-11-30.docx"
    assert download_name('3/4号楼: "电梯"?', "2026-11-30", "md") == "3_4号楼_ _电梯-2026-11-30.md"
    assert download_name(" ..\n\t", "2026-11-30", "md") == "minutes-2026-11-30.md"
    assert download_name("长" * 100, "2026-11-30", "md") == "长" * 60 + "-2026-11-30.md"
    header = content_disposition(
        "attachment", room_id="r1", title='a"b\r\nc', date="2026-11-30", fmt="docx"
    )
    assert "\r" not in header and "\n" not in header and header.isascii()
    assert header == (
        'attachment; filename="minutes-r1-2026-11-30.docx"; '
        "filename*=UTF-8''a_b_c-2026-11-30.docx"
    )

"""Staff's text is screened for personal data like residents' text: what a moderator,
a clerk or an office types into the record (notes, decisions, actions and their
updates, poll questions and options, agenda titles) is masked before it is
appended, so the log, the events and the minutes never hold the unmasked number.
It is never held or refused: the record is the staff's to write.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from inprocess import Served, serve_in_process

PHONE = "13812345678"
MASKED = "138****5678"
ID_NUMBER = "11010519491231002X"  # a valid resident ID (checksum and date)
EMAIL = "zhang.wei@example.com"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with serve_in_process(tmp_path) as it:
        yield it


async def test_staff_records_are_masked_before_the_log(served: Served) -> None:
    room = served.room
    mod = await room.moderator()
    office = await room.staff("office", "街道办")
    office_client = await room.connect(office.token, label="office")
    await mod.ok("session.start")
    await mod.ok("agenda.set", items=["加装电梯", f"联系人 {PHONE}"])
    await mod.ok("minutes.note", text=f"王阿姨电话 {PHONE}，身份证 {ID_NUMBER}")
    poll = (
        await mod.ok(
            "poll.open",
            question=f"有事打 {PHONE} 吗？",
            kind="single",
            options=["同意", f"打 {PHONE}"],
        )
    )["poll_id"]
    await mod.ok("poll.close", poll_id=poll)
    await mod.ok("decision.record", text=f"由王阿姨（{PHONE}）牵头", poll_id=poll)
    action = (
        await mod.ok("action.add", title=f"联系 {EMAIL}", owner=f"王阿姨 {PHONE}", due="2026-12-31")
    )["action_id"]
    await office_client.ok(
        "action.update", action_id=action, status="in_progress", note=f"已打 {PHONE}"
    )
    # Spam words and a link are the staff's business: nothing is held or refused.
    await mod.ok("minutes.note", text="提醒：群里的 http://spam.example 是广告，勿点")

    entries = await served.entries()
    stored = json.dumps([e.args for e in entries], ensure_ascii=False)
    for secret in (PHONE, ID_NUMBER, EMAIL):
        assert secret not in stored
    assert stored.count(MASKED) == 7
    assert "z********@example.com" in stored
    assert "110***********002X" in stored

    events = json.dumps(mod.events, ensure_ascii=False)
    assert PHONE not in events and EMAIL not in events and MASKED in events
    minutes = (await room.api.minutes(room.room_id, room.mod_token)).text
    assert PHONE not in minutes and ID_NUMBER not in minutes and EMAIL not in minutes
    assert "spam.example" in minutes


async def test_a_new_rooms_title_topic_and_agenda_are_masked(served: Served) -> None:
    """The title goes on notice boards, QR posters and the public minutes."""
    info = await served.room.api.create_room(
        title=f"3号楼议事会（联系 {PHONE}）",
        topic=f"邮箱 {EMAIL}",
        agenda=["加装电梯", f"联系人 {PHONE}"],
    )
    summary = (await served.room.api.summary(info["room_id"])).json()
    assert summary["title"] == f"3号楼议事会（联系 {MASKED}）"
    assert EMAIL not in summary["topic"] and "@example.com" in summary["topic"]
    assert summary["agenda"] == ["加装电梯", f"联系人 {MASKED}"]


async def test_a_staff_members_name_is_masked_like_a_residents(served: Served) -> None:
    """A name a moderator gives a clerk or an office is shown to the whole room."""
    room = served.room
    await room.moderator()
    await room.staff("office", f"街道办 {PHONE} {ID_NUMBER}")
    stored = json.dumps([e.args for e in await served.entries()], ensure_ascii=False)
    assert PHONE not in stored and ID_NUMBER not in stored
    assert f"街道办 {MASKED} 110***********002X" in stored

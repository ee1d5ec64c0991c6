"""Follow-up without a server: the overdue rule, the feed entries and the minutes'
overdue flag, over the scripted session (actions due 2025-12-31 and 2025-12-10,
the first reported in progress the morning after the session)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from yishi.core.reducer import replay
from yishi.core.types import Entry
from yishi.minutes import (
    build_minutes,
    export_json,
    log_digest,
    read_export,
    render_minutes,
    verify_export,
)
from yishi.minutes.atom import atom_feed
from yishi.minutes.deadlines import day_start_ms, is_overdue, local_today, overdue_since
from yishi.minutes.followup import action_items, followup_view, marks_of, room_items, version

from .script import Script

ATOM = "{http://www.w3.org/2005/Atom}"
SHANGHAI, UTC = "Asia/Shanghai", "UTC"
BASE = "https://yishi.example"


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


# -- the overdue rule ----------------------------------------------------------------------


def test_today_is_the_deployments_day_not_the_servers() -> None:
    # 16:30 UTC on the 10th is 00:30 on the 11th in Shanghai.
    moment = ms("2025-12-10T16:30:00+00:00")
    assert local_today(moment, SHANGHAI) == date(2025, 12, 11)
    assert local_today(moment, UTC) == date(2025, 12, 10)
    assert is_overdue("2025-12-10", "open", local_today(moment, SHANGHAI))
    assert not is_overdue("2025-12-10", "open", local_today(moment, UTC))
    # The last minute of the due day is not overdue; the first of the next is.
    assert not is_overdue(
        "2025-12-10", "open", local_today(ms("2025-12-10T23:59:59+08:00"), SHANGHAI)
    )
    assert day_start_ms(date(2025, 12, 11), SHANGHAI) == ms("2025-12-11T00:00:00+08:00")
    assert day_start_ms(date(2025, 12, 11), UTC) == ms("2025-12-11T00:00:00+00:00")


def test_overdue_since_is_the_start_of_the_day_after_due_in_the_zone() -> None:
    today = date(2025, 12, 12)
    assert overdue_since("2025-12-10", [], today, SHANGHAI) == ms("2025-12-11T00:00:00+08:00")
    assert overdue_since("2025-12-10", [], today, UTC) == ms("2025-12-11T00:00:00+00:00")
    assert overdue_since("2025-12-10", [], date(2025, 12, 10), SHANGHAI) is None
    assert overdue_since("", [], today, SHANGHAI) is None


@pytest.mark.parametrize("closed", ["done", "dropped"])
def test_done_and_dropped_are_never_overdue(closed: str) -> None:
    assert not is_overdue("2000-01-01", closed, date(2100, 1, 1))
    # Closed before the day after due: it never became overdue.
    assert (
        overdue_since(
            "2025-12-10", [(ms("2025-12-10T18:00:00+08:00"), closed)], date(2026, 1, 1), SHANGHAI
        )
        is None
    )
    # Closed late: it was overdue from the day after due (history stays), and is not now.
    late = [(ms("2025-12-12T09:00:00+08:00"), closed)]
    assert overdue_since("2025-12-10", late, date(2026, 1, 1), SHANGHAI) == ms(
        "2025-12-11T00:00:00+08:00"
    )
    # Closed in time, reopened late: overdue from the reopening.
    reopened = [
        (ms("2025-12-09T09:00:00+08:00"), closed),
        (ms("2025-12-15T09:00:00+08:00"), "in_progress"),
    ]
    assert overdue_since("2025-12-10", reopened, date(2026, 1, 1), SHANGHAI) == ms(
        "2025-12-15T09:00:00+08:00"
    )


@settings(deadline=None, max_examples=200)
@given(
    due=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    status=st.sampled_from(["open", "in_progress", "done", "dropped"]),
)
def test_overdue_means_past_due_and_not_closed(due: date, today: date, status: str) -> None:
    assert is_overdue(due.isoformat(), status, today) == (
        status in ("open", "in_progress") and due < today
    )
    # The feed's entry and the flag agree on an action that never changed.
    assert (overdue_since(due.isoformat(), [], today, SHANGHAI) is not None) == is_overdue(
        due.isoformat(), "open", today
    )


# -- feed entries ----------------------------------------------------------------------


def test_feed_entries_have_stable_ids_from_the_log(session: Script) -> None:
    state = replay(session.room_id, session.entries)
    marks = marks_of(state, session.entries)
    first, second = list(state.actions.values())
    update_seq = next(e.seq for e in session.entries if e.kind == "action.update")
    room = f"urn:yishi:room:{session.room_id}"

    before_due = room_items(state, marks, today=date(2025, 12, 1), tz=SHANGHAI, base=BASE)
    assert [i.entry.entry_id for i in before_due] == [
        f"{room}:action:{first.action_id}:added",
        f"{room}:action:{first.action_id}:update:{update_seq}",
        f"{room}:action:{second.action_id}:added",
    ]
    update = before_due[1].entry
    assert "已联系设计院" in update.summary and "街道城建科" in update.summary
    assert "办理中" in update.title
    # Not published: no decisions, no publication.
    assert not any(":decision:" in i.entry.entry_id for i in before_due)

    later = room_items(state, marks, today=date(2026, 1, 2), tz=SHANGHAI, base=BASE)
    overdue = [i for i in later if i.seq is None]
    assert [i.entry.entry_id for i in overdue] == [
        f"{room}:action:{first.action_id}:overdue:2025-12-31",
        f"{room}:action:{second.action_id}:overdue:2025-12-10",
    ]
    assert overdue[1].entry.at_ms == ms("2025-12-11T00:00:00+08:00")
    # The same inputs give the same entries; another day adds, never changes.
    again = room_items(
        replay(session.room_id, session.entries),
        marks,
        today=date(2026, 1, 2),
        tz=SHANGHAI,
        base=BASE,
    )
    assert [i.entry for i in again] == [i.entry for i in later]
    assert {i.entry for i in before_due} <= {i.entry for i in later}
    assert version(before_due, "zh") != version(later, "zh")
    assert version(later, "zh") == version(again, "zh")

    one = action_items(state, marks, second, today=date(2026, 1, 2), tz=SHANGHAI, base=BASE)
    assert [i.entry.entry_id for i in one] == [
        f"{room}:action:{second.action_id}:added",
        f"{room}:action:{second.action_id}:overdue:2025-12-10",
    ]


def test_a_refused_update_is_not_matched(session: Script) -> None:
    """An ``action.update`` the room refused (here: by a resident) sits in the log
    but changed nothing; the next accepted one gets its own seq."""
    entries = list(session.entries)
    action = next(iter(replay(session.room_id, entries).actions))
    resident = session.ids["张三"]
    at = entries[-1].at + 1000
    entries.append(
        Entry(
            len(entries) + 1, at, "action.update", resident, {"action_id": action, "status": "done"}
        )
    )
    office = session.ids["街道城建科"]
    entries.append(
        Entry(
            len(entries) + 1, at, "action.update", office, {"action_id": action, "status": "done"}
        )
    )
    state = replay(session.room_id, entries)
    assert len(state.actions[action].updates) == 2
    marks = marks_of(state, entries)
    assert marks.update_seqs[action][-1] == len(entries)


def test_published_minutes_add_decisions_and_the_publication(session: Script) -> None:
    script = Script(session.room_id)
    script.entries, script.state, script.ids = (
        list(session.entries),
        replay(session.room_id, session.entries),
        dict(session.ids),
    )
    script.at = session.entries[-1].at + 60_000
    script.do("王主任", "minutes.publish")
    state = script.state
    marks = marks_of(state, script.entries)
    assert marks.published == (len(script.entries), script.at)
    items = room_items(state, marks, today=date(2025, 12, 1), tz=SHANGHAI, base=BASE)
    ids = [i.entry.entry_id for i in items]
    assert sum(":decision:" in i for i in ids) == len(state.decisions) > 0
    assert ids[-1] == f"urn:yishi:room:{session.room_id}:minutes:published"
    body = atom_feed(
        feed_id="urn:yishi:room:x",
        title="t",
        self_url=f"{BASE}/f",
        alternate_url=None,
        entries=[i.entry for i in items],
        updated_ms=0,
    )
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    assert len(root.findall(f"{ATOM}entry")) == len(items)


def test_the_view_flags_overdue_against_the_day(session: Script) -> None:
    state = replay(session.room_id, session.entries)
    view = followup_view(state, today=date(2025, 12, 11), base=BASE)
    assert [(a["due"], a["status"], a["overdue"]) for a in view["actions"]] == [
        ("2025-12-31", "in_progress", False),
        ("2025-12-10", "open", True),
    ]
    assert view["actions"][0]["latest"]["by"] == "街道城建科"
    assert view["minutes_url"] is None and view["decisions"] == []
    assert view["feed_url"] == f"{BASE}/api/rooms/{session.room_id}/feed.atom"


# -- the minutes' overdue flag ---------------------------------------------------------------


def test_minutes_flag_overdue_as_of_a_day_in_every_format(session: Script) -> None:
    state = replay(session.room_id, session.entries)
    digest = log_digest(session.entries)
    plain = build_minutes(state, digest=digest)
    assert "as_of" not in plain and all("overdue" not in a for a in plain["actions"])
    model = build_minutes(state, digest=digest, public=True, as_of=date(2025, 12, 11))
    assert model["as_of"] == "2025-12-11"
    assert [a["overdue"] for a in model["actions"]] == [False, True]
    for lang, flag in (("zh", "未开始（逾期）"), ("en", "open (overdue)")):
        for fmt in ("md", "html"):
            body = render_minutes(
                state, digest=digest, fmt=fmt, lang=lang, public=True, as_of=date(2025, 12, 11)
            )[0].decode()
            assert flag in body and "2025-12-11" in body, (lang, fmt)
            before = render_minutes(
                state, digest=digest, fmt=fmt, lang=lang, public=True, as_of=date(2025, 12, 1)
            )[0].decode()
            assert flag not in before


def test_an_export_verifies_on_any_later_day(session: Script) -> None:
    """The export states its day and verify rebuilds as of it: nothing in verify reads
    the clock, so a check a year later (or on a machine in another zone) agrees."""
    state = replay(session.room_id, session.entries)
    digest = log_digest(session.entries)
    for public in (False, True):
        body = render_minutes(
            state, digest=digest, fmt="json", lang="zh", public=public, as_of=date(2025, 12, 11)
        )[0]
        export = read_export(body)
        assert verify_export(export, session.entries, room_id=session.room_id).ok
        # Editing the day (and so what the flags mean) is an edit like any other.
        edited = json.loads(body)
        edited["as_of"] = "2025-12-01"
        verdict = verify_export(
            read_export(export_json(edited)), session.entries, room_id=session.room_id
        )
        assert not verdict.ok and "$.actions[1].overdue" in verdict.message

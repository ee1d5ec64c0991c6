"""Follow-up over a real uvicorn: the Atom feeds, the follow-up view, overdue in the
minutes, conditional requests, and what stays private.

The server runs in process with an injected clock (the one seam, app.create_app):
it starts at 10:00 on 2026-12-01 in Shanghai and moves on with real time, and a
test jumps it a day ahead. "Today" is never the machine's date, so nothing here
can fail at midnight.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from inprocess import room_on, uvicorn_serving
from roomclient import Api, Client, assert_http_error, has
from roomharness import ADMIN, SECRET, Room, free_port
from yishi.app import create_app
from yishi.config import Config
from yishi.minutes import export_json
from yishi.services import Services

ATOM = "{http://www.w3.org/2005/Atom}"
DAY_MS = 86_400_000
START = int(datetime.fromisoformat("2026-12-01T10:00:00+08:00").timestamp() * 1000)


@dataclass
class Calendar:
    """The server's clock: ``START`` plus the real time elapsed, plus whole days."""

    offset: int = 0
    _began: float = field(default_factory=time.monotonic)

    def __call__(self) -> int:
        return START + int((time.monotonic() - self._began) * 1000) + self.offset

    def next_day(self, days: int = 1) -> None:
        self.offset += days * DAY_MS


@dataclass
class Served:
    services: Services
    room: Room
    api: Api
    calendar: Calendar
    data_dir: Path

    async def get(self, path: str, **headers: str) -> httpx.Response:
        return await self.api.http.get(f"/api/rooms/{self.room.room_id}{path}", headers=headers)


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    monkeypatch.setenv("YISHI_TZ", "Asia/Shanghai")
    calendar = Calendar()
    port = free_port()
    config = Config(
        host="127.0.0.1",
        port=port,
        data_dir=tmp_path,
        admin_token=ADMIN,
        secret=SECRET,
        public_url=f"http://127.0.0.1:{port}",
    )
    got: list[Services] = []
    async with (
        uvicorn_serving(
            create_app(config, clock=calendar, on_ready=got.append), port, ws="websockets-sansio"
        ),
        room_on(port) as (api, room),
    ):
        yield Served(got[0], room, api, calendar, tmp_path)


async def ended_session(s: Served, due: str = "2026-12-01") -> tuple[Client, Client, str]:
    """A session that ended with one action due ``due``; (moderator, office, action id)."""
    room = s.room
    mod = await room.moderator()
    office = await room.connect((await room.staff("office", "街道办")).token)
    await mod.ok("session.start")
    await mod.ok("decision.record", text="同意加装电梯")
    action = (await mod.ok("action.add", title="公示加装方案", owner="街道办", due=due))[
        "action_id"
    ]
    await mod.ok("session.end")
    return mod, office, action


def parse_feed(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}title")
        assert entry.findtext(f"{ATOM}updated")
    return root


def entry_ids(root: ET.Element) -> list[str]:
    return [e.findtext(f"{ATOM}id") or "" for e in root.findall(f"{ATOM}entry")]


def entry(root: ET.Element, suffix: str) -> ET.Element:
    found = [
        e for e in root.findall(f"{ATOM}entry") if (e.findtext(f"{ATOM}id") or "").endswith(suffix)
    ]
    assert len(found) == 1, (suffix, entry_ids(root))
    return found[0]


async def test_an_offices_update_is_a_new_entry_in_both_feeds(served: Served) -> None:
    s = served
    mod, office, action = await ended_session(s, due="2026-12-20")
    room_urn = f"urn:yishi:room:{s.room.room_id}"
    before = parse_feed(await s.get("/feed.atom"))
    assert before.findtext(f"{ATOM}id") == room_urn
    assert entry_ids(before) == [f"{room_urn}:action:{action}:added"]

    await office.ok("action.update", action_id=action, status="in_progress", note="已联系设计院")
    await office.wait_event("action.updated", has(action_id=action))
    after = parse_feed(await s.get("/feed.atom"))
    ids = entry_ids(after)
    assert len(ids) == 2 and ids[1] == entry_ids(before)[0]  # newest first, old id kept
    update = after.findall(f"{ATOM}entry")[0]
    assert update.findtext(f"{ATOM}id", "").startswith(f"{room_urn}:action:{action}:update:")
    assert "办理中" in update.findtext(f"{ATOM}title", "")
    assert update.findtext(f"{ATOM}summary") == "已联系设计院 (街道办报告)"
    # Entries in order: the feed is newest first, and its updated is the newest entry's.
    stamps = [e.findtext(f"{ATOM}updated", "") for e in after.findall(f"{ATOM}entry")]
    assert stamps == sorted(stamps, reverse=True)
    assert after.findtext(f"{ATOM}updated") == stamps[0]

    one = parse_feed(await s.get(f"/actions/{action}/feed.atom"))
    assert one.findtext(f"{ATOM}id") == f"{room_urn}:action:{action}"
    assert entry_ids(one) == ids  # the same entries, the same ids, as in the room feed
    assert_http_error(await s.get("/actions/a999/feed.atom"), (404, "not_found"))

    # Reported done: a third entry; the first two are unchanged.
    await mod.ok("action.update", action_id=action, status="done", note="方案已公示")
    await mod.wait_event("action.updated", has(status="done"))
    final = parse_feed(await s.get("/feed.atom"))
    assert entry_ids(final)[1:] == ids
    assert "已办结" in final.findall(f"{ATOM}entry")[0].findtext(f"{ATOM}title", "")


async def test_an_unchanged_feed_is_a_304(served: Served) -> None:
    s = served
    _, office, action = await ended_session(s, due="2026-12-20")
    first = await s.get("/feed.atom")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = await s.get("/feed.atom", **{"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert (await s.get("/feed.atom", **{"if-modified-since": modified})).status_code == 304

    # Entries that are not follow-up (a resident comes back to look) change nothing.
    _, resident = await s.room.resident("回访的居民")
    await resident.ok("ping")
    assert (await s.get("/feed.atom", **{"if-none-match": etag})).status_code == 304

    await office.ok("action.update", action_id=action, status="in_progress")
    await office.wait_event("action.updated", has(action_id=action))
    changed = await s.get("/feed.atom", **{"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    one = await s.get(f"/actions/{action}/feed.atom")
    assert (
        await s.get(f"/actions/{action}/feed.atom", **{"if-none-match": one.headers["etag"]})
    ).status_code == 304


async def test_overdue_is_flagged_from_the_day_after_due(served: Served) -> None:
    s = served
    _, office, action = await ended_session(s, due="2026-12-01")
    view = (await s.get("/followup")).json()
    assert view["as_of"] == "2026-12-01" and view["actions"][0]["overdue"] is False
    assert not any(":overdue:" in i for i in entry_ids(parse_feed(await s.get("/feed.atom"))))
    etag = (await s.get("/feed.atom")).headers["etag"]

    s.calendar.next_day()
    view = (await s.get("/followup")).json()
    assert view["as_of"] == "2026-12-02" and view["actions"][0]["overdue"] is True
    feed = await s.get("/feed.atom", **{"if-none-match": etag})  # a new entry: not a 304
    overdue = entry(parse_feed(feed), f":action:{action}:overdue:2026-12-01")
    assert overdue.findtext(f"{ATOM}updated") == "2026-12-01T16:00:00Z"  # 00:00 in Shanghai
    assert "逾期" in overdue.findtext(f"{ATOM}title", "")
    written = ET.tostring(overdue)
    # Done after it was overdue: the flag goes, the entry (it happened) stays as written.
    await office.ok("action.update", action_id=action, status="done")
    await office.wait_event("action.updated", has(status="done"))
    assert (await s.get("/followup")).json()["actions"][0]["overdue"] is False
    kept = entry(parse_feed(await s.get(f"/actions/{action}/feed.atom")), ":overdue:2026-12-01")
    assert ET.tostring(kept) == written


async def test_the_minutes_follow_the_date_and_old_exports_still_verify(served: Served) -> None:
    s = served
    mod, _, action = await ended_session(s, due="2026-12-01")
    await mod.ok("minutes.publish")
    today = (await s.api.minutes(s.room.room_id)).json()
    assert today["as_of"] == "2026-12-01" and today["actions"][0]["overdue"] is False
    md = (await s.api.minutes(s.room.room_id, fmt="md")).text
    assert "（逾期）" not in md

    s.calendar.next_day(2)  # the same log, two days on: the cache must not answer
    tomorrow = (await s.api.minutes(s.room.room_id)).json()
    assert tomorrow["as_of"] == "2026-12-03" and tomorrow["actions"][0]["overdue"] is True
    assert tomorrow["integrity"] == today["integrity"]
    for fmt, flag in (("md", "未开始（逾期）"), ("html", "未开始（逾期）")):
        assert flag in (await s.api.minutes(s.room.room_id, fmt=fmt)).text, fmt
    en = await s.api.http.get(
        f"/api/rooms/{s.room.room_id}/minutes", params={"format": "md", "lang": "en"}
    )
    assert "open (overdue)" in en.text

    # The export made on the 1st verifies on the 3rd, by the command line, from the log.
    for export in (today, tomorrow):
        path = s.data_dir / f"minutes-{export['as_of']}.json"
        path.write_bytes(export_json(export))  # the bytes the server sent
        verified = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "yishi",
                "minutes",
                s.room.room_id,
                "--data-dir",
                str(s.data_dir),
                "--verify",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
    assert action in {a["action_id"] for a in tomorrow["actions"]}


async def test_what_is_private_stays_private(served: Served) -> None:
    s = served
    room = s.room
    mod = await room.moderator()
    _, resident = await room.resident("张三")
    await mod.ok("session.start")
    await resident.ok("chat.send", text="私下说一句")
    await mod.ok("minutes.note", text="记录员的笔记")
    await mod.ok("decision.record", text="同意加装电梯")
    action = (await mod.ok("action.add", title="公示加装方案", owner="街道办", due="2026-12-20"))[
        "action_id"
    ]
    await mod.ok("session.end")

    # Before publication: actions only. No decision, no chat, no note, no name of a resident.
    for path in ("/feed.atom", f"/actions/{action}/feed.atom", "/followup"):
        body = (await s.get(path)).text
        assert "公示加装方案" in body, path
        for secret in ("同意加装电梯", "私下说一句", "记录员的笔记", "张三"):
            assert secret not in body, (path, secret)
    assert (await s.get("/followup")).json()["minutes_url"] is None
    assert_http_error(await s.api.minutes(room.room_id), (401, "unauthorized"))

    await mod.ok("minutes.publish")
    feed = parse_feed(await s.get("/feed.atom"))
    ids = entry_ids(feed)
    assert ids[0].endswith(":minutes:published")
    assert any(":decision:" in i for i in ids)
    assert "同意加装电梯" in (await s.get("/feed.atom")).text
    view = (await s.get("/followup")).json()
    assert view["minutes_url"] == f"{s.api.base_url}/r/{room.room_id}/minutes"
    for secret in ("私下说一句", "记录员的笔记", "张三"):
        assert secret not in (await s.get("/feed.atom")).text
    assert_http_error(await s.api.http.get("/api/rooms/nosuchroom/feed.atom"), (404, "not_found"))


async def test_feeds_read_the_replica_not_the_whole_log(served: Served) -> None:
    """A poll reads only the entries appended since the last one (none when quiet)."""
    s = served
    _, office, action = await ended_session(s, due="2026-12-20")
    await s.get("/feed.atom")
    read = s.services.followup.entries_read
    for _ in range(3):
        await s.get("/feed.atom")
    assert s.services.followup.entries_read == read
    await office.ok("action.update", action_id=action, status="in_progress")
    await office.wait_event("action.updated", has(action_id=action))
    await s.get("/feed.atom")
    assert s.services.followup.entries_read > read

"""Logs written before the edge refused control and bidirectional characters still
hold them: whatever is published from such a log stays valid XML and never shows
them (server/core/characters.py). The logs are written straight into a real
SQLite data folder, as an old server left them, and a real `yishi serve` reads them.
"""

from __future__ import annotations

import asyncio
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import docx
import httpx
import pytest
from yishi.backends.sqlite import SqliteBackend
from yishi.core.reducer import replay
from yishi.minutes import log_digest, render_minutes

from .live import Server
from .scenario import deliberation
from .script import Script
from .test_verify_cli import store

HOSTILE = "灯\x0b坏\x00了\u202egpj.exe\x1b"
SHOWN = ("\x0b", "\x00", "\u202e", "\x1b")
COMMUNITY = "c0ldtexts1"


def _hostile_progress(s: Script) -> None:
    action = next(iter(s.state.actions))
    outcome = s.append(
        "action.update", s.ids["街道城建科"], action_id=action, status="in_progress", note=HOSTILE
    )
    assert outcome.ok, outcome.error


@pytest.fixture(scope="module")
def old_log() -> Script:
    return deliberation(after_follow_up=_hostile_progress)


async def _store_community(path: Path) -> None:
    backend = SqliteBackend(path=path, clock=lambda: 1_764_154_800_000)
    await backend.start()
    try:
        log = f"community:{COMMUNITY}"
        await backend.append(
            log, "community.create", actor=None, args={"name": "幸福里", "categories": ["其他"]}
        )
        await backend.append(
            log,
            "topic.submit",
            actor=None,
            args={"title": HOSTILE, "description": HOSTILE, "category": "其他", "device": "d" * 64},
        )
        await backend.append(
            log,
            "topic.transition",
            actor="s1",
            args={"topic_id": "t1", "to": "declined", "reason": HOSTILE},
        )
    finally:
        await backend.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, old_log: Script) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("old") / "data"
    data.mkdir()
    asyncio.run(store(data / "yishi.db", old_log.room_id, old_log.entries))
    asyncio.run(_store_community(data / "yishi.db"))
    proc = Server(data)
    proc.start()
    yield proc
    proc.stop()


def _valid_feed(url: str) -> ET.Element:
    response = httpx.get(url, trust_env=False, timeout=15)
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8")
    assert not any(c in text for c in SHOWN)
    return ET.fromstring(response.content)  # raises on a character XML 1.0 forbids


def test_the_three_feeds_stay_valid_xml(server: Server, old_log: Script) -> None:
    room = f"{server.url}/api/rooms/{old_log.room_id}"
    action = next(iter(old_log.state.actions))
    for url in (f"{room}/feed.atom", f"{room}/actions/{action}/feed.atom"):
        assert "灯坏了gpj.exe" in ET.tostring(_valid_feed(url), encoding="unicode"), url
    community = _valid_feed(f"{server.url}/api/communities/{COMMUNITY}/feed.atom")
    assert "灯坏了gpj.exe" in ET.tostring(community, encoding="unicode")


def test_the_minutes_for_people_never_show_them(old_log: Script) -> None:
    state = replay(old_log.room_id, old_log.entries)
    digest = log_digest(old_log.entries)
    for fmt in ("md", "html"):
        body = render_minutes(state, digest=digest, fmt=fmt, lang="zh")[0].decode("utf-8")
        assert "灯坏了gpj.exe" in body and not any(c in body for c in SHOWN), fmt
    word = docx.Document(io.BytesIO(render_minutes(state, digest=digest, fmt="docx", lang="zh")[0]))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "灯坏了gpj.exe" in text and not any(c in text for c in SHOWN)

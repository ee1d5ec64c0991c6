"""The minutes model: what it says about the scripted session, and its rules."""

from __future__ import annotations

import ast
import json
from importlib import resources
from pathlib import Path

import pytest
import yishi.minutes
from yishi.core.reducer import replay
from yishi.core.state import AgendaItem, RoomState
from yishi.minutes import build_minutes, log_digest, render_minutes
from yishi.minutes.balance import TOLERANCE, balance_of
from yishi.minutes.catalog import LANGS, strings

from .scenario import deliberation
from .script import Script


def test_the_model_is_plain_json_and_a_pure_fold(session: Script, digest: str) -> None:
    """Two replays of one log give equal minutes, and the model survives JSON unchanged."""
    first = build_minutes(replay(session.room_id, session.entries), digest=digest)
    second = build_minutes(replay(session.room_id, session.entries), digest=digest)
    assert first == second
    assert json.loads(json.dumps(first)) == first


def test_header_people_and_status(model: dict[str, object]) -> None:
    assert model["final"] is True and model["status"] == "ended"
    assert model["date"] == "2025-11-26" and model["utc_offset"] == "+08:00"
    assert model["duration_ms"] == model["ended_at"] - model["started_at"]  # type: ignore[operator]
    assert model["people"] == {
        "moderators": ["王主任"],
        "clerks": ["李记录"],
        "offices": ["街道城建科"],
    }
    assert model["integrity"]["entries"] == 81  # type: ignore[index]  (a count after a close)


def test_attendance(model: dict[str, object]) -> None:
    rows = {p["name"]: p for p in model["attendance"]}  # type: ignore[attr-defined]
    assert rows["孙大爷"]["mode"] == "hall" and rows["孙大爷"]["attended"]
    assert rows["钱七"]["mode"] == "absent" and not rows["钱七"]["attended"]
    # The office came online only for the follow-up, after the session.
    assert rows["街道城建科"]["mode"] == "online" and not rows["街道城建科"]["attended"]
    assert len(rows["王五"]["online_spans"]) == 2 and rows["王五"]["left_at"] is None
    assert rows["记者小刘"]["left_at"] is not None


def test_turns_in_order_with_how_they_ended(model: dict[str, object]) -> None:
    item = model["agenda"][0]  # type: ignore[index]
    assert [
        (t["speaker"], t["stance"], t["reason"], t["override"], t["duration_ms"])
        for t in item["turns"]
    ] == [
        ("张三", "support", "yielded", False, 90_000),
        ("李四", "oppose", "expired", False, 150_000),
        ("孙大爷", "neutral", "moderator", False, 115_000),
        ("王五", "support", "left", True, 80_000),
    ]
    assert item["turns"][1]["extended_ms"] == 30_000 and item["turns"][1]["limit_ms"] == 120_000
    assert item["turns"][2]["statements"][0]["recorded_by"] == "李记录"
    assert item["turns"][0]["statements"][0]["recorded_by"] is None


def test_balance_is_the_sum_of_the_finished_turns(model: dict[str, object]) -> None:
    for item in model["agenda"]:  # type: ignore[attr-defined]
        for side, tally in item["balance"]["sides"].items():
            mine = [t for t in item["turns"] if t["stance"] == side and t["reason"]]
            assert tally == {"turns": len(mine), "ms": sum(t["duration_ms"] for t in mine)}
    first, second = (item["balance"] for item in model["agenda"])  # type: ignore[attr-defined]
    assert first["held"] is True and first["ratio"] == 1.48 and first["tolerance"] == TOLERANCE
    assert second["held"] is None and second["spoke"] == ["oppose"]


@pytest.mark.parametrize(
    ("times", "held", "ratio"),
    [
        ({}, None, None),
        ({"support": [60_000]}, None, None),
        ({"support": [60_000], "oppose": [90_000]}, True, 1.5),
        ({"support": [60_000], "oppose": [90_001]}, False, 1.5),
        ({"support": [60_000], "oppose": [30_000, 30_000], "neutral": [10_000]}, False, 6.0),
        ({"support": [0], "oppose": [5_000]}, False, None),
        ({"support": [0], "oppose": [0]}, True, None),
    ],
)
def test_balance_rule(times: dict[str, list[int]], held: bool | None, ratio: float | None) -> None:
    item = AgendaItem(item_id="i1", title="t")
    for side, durations in times.items():
        for ms in durations:
            item.balance[side].turns += 1
            item.balance[side].ms += ms
    verdict = balance_of(item)
    assert (verdict["held"], verdict["ratio"]) == (held, ratio)


def test_polls_decisions_actions_notes_chat(model: dict[str, object]) -> None:
    secret, named, *_ = (p for item in model["agenda"] for p in item["polls"])  # type: ignore[attr-defined]
    assert secret["counts"] == [3, 1, 1] and secret["voters"] == 5 and secret["eligible"] == 5
    assert secret["turnout"] == 1.0 and secret["roll_call"] is None
    assert named["counts"] == [2, 1] and named["turnout"] == 0.6
    assert [b["name"] for b in named["roll_call"]] == ["张三", "李四", "赵六"]
    decisions = [d for item in model["agenda"] for d in item["decisions"]]  # type: ignore[attr-defined]
    assert [d["poll_id"] for d in decisions] == [secret["poll_id"], named["poll_id"]]
    first, second = model["actions"]  # type: ignore[misc]
    assert (first["status"], first["owner"], first["due"]) == (
        "in_progress",
        "街道城建科",
        "2025-12-31",
    )
    assert first["updates"][0]["by"] == "街道城建科" and "设计院" in first["updates"][0]["note"]
    assert second["status"] == "open" and second["updates"] == []
    assert [n["text"] for item in model["agenda"] for n in item["notes"]] == [  # type: ignore[attr-defined]
        "现场居民普遍关心施工噪音。",
        "会后补充：设计院联系人已告知各楼长。",
    ]
    chat = model["chat"]
    assert [(m["name"], m["pinned"], m["approved"]) for m in chat] == [  # type: ignore[attr-defined]
        ("李四", False, True),
        ("赵六", True, False),
    ]
    assert "红包" not in json.dumps(model, ensure_ascii=False)  # held, never approved


def test_a_live_session_is_a_draft() -> None:
    s = deliberation(stop_after_first_item=True)
    s.wait(5)
    s.do("赵六", "hand.raise", stance="oppose")
    s.do("王主任", "turn.next")
    s.wait(7)
    poll = s.do(
        "王主任", "poll.open", question="要不要休会？", kind="single", options=["要", "不要"]
    )["poll_id"]
    s.do("张三", "poll.vote", poll_id=poll, choices=[1])
    model = build_minutes(s.state, digest=log_digest(s.entries))
    assert model["final"] is False and model["status"] == "live" and model["ended_at"] is None
    assert model["duration_ms"] == s.at - model["started_at"]
    running = model["agenda"][0]["turns"][-1]
    assert running["reason"] is None and running["duration_ms"] is None
    open_poll = model["agenda"][0]["polls"][-1]
    # Counts hidden from the room (no live results) stay hidden in the minutes.
    assert open_poll["counts"] is None and open_poll["voters"] is None
    assert open_poll["roll_call"] is None
    for lang, banner in (
        ("zh", "草稿：会议仍在进行"),
        ("en", "Draft: the session is still running"),
    ):
        md = render_minutes(s.state, digest="0" * 64, fmt="md", lang=lang)[0].decode()
        assert banner in md
        assert ("进行中" if lang == "zh" else "running") in md


def test_a_pending_room_has_minutes_too() -> None:
    s = Script()
    s.create(title="筹备会", topic="", agenda=[], moderator="主持人")
    model = build_minutes(s.state, digest=log_digest(s.entries))
    assert model["final"] is False and model["started_at"] is None
    assert model["duration_ms"] is None and model["agenda"][0]["title"] == "筹备会"
    for fmt in ("md", "html", "docx", "json"):
        assert render_minutes(s.state, digest="0" * 64, fmt=fmt, lang="en")[0]


def test_notes_of_a_dropped_agenda_item_are_kept() -> None:
    s = Script()
    s.create(title="会", topic="", agenda=["甲", "乙"], moderator="主持人")
    s.do("主持人", "minutes.note", text="关于甲的备注")
    s.do("主持人", "agenda.set", items=["乙"])
    model = build_minutes(s.state, digest=log_digest(s.entries))
    assert [n["text"] for n in model["unfiled_notes"]] == ["关于甲的备注"]
    assert (
        "关于甲的备注" in render_minutes(s.state, digest="0" * 64, fmt="md", lang="zh")[0].decode()
    )


def test_lang_renders_and_unknown_format_or_lang_is_refused(state: RoomState) -> None:
    zh = render_minutes(state, digest="0" * 64, fmt="md", lang="zh")[0].decode()
    en = render_minutes(state, digest="0" * 64, fmt="md", lang="en")[0].decode()
    assert "会议纪要" in zh and "Minutes:" in en and "| Yes | 3 |" in en
    with pytest.raises(ValueError):
        render_minutes(state, digest="0" * 64, fmt="pdf", lang="zh")
    with pytest.raises(ValueError):
        render_minutes(state, digest="0" * 64, fmt="md", lang="fr")


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    zh, en = (strings(lang) for lang in LANGS)
    assert set(zh) == set(en)
    for key in zh:
        if key == "date":  # each language picks its own parts of the date
            assert fields(zh[key]) | fields(en[key]) <= {"y", "m", "d", "month"}
        else:
            assert fields(zh[key]) == fields(en[key]), key


def test_templates_ship_in_the_package() -> None:
    names = {p.name for p in resources.files("yishi.minutes").joinpath("templates").iterdir()}
    assert {"catalog.zh.json", "catalog.en.json", "minutes.css"} <= names


def test_model_digest_and_balance_are_pure() -> None:
    """The fold imports no clock, randomness, event loop or I/O."""
    forbidden = {"asyncio", "time", "random", "socket", "os", "io", "pathlib", "sqlite3"}
    package = Path(yishi.minutes.__file__).parent
    for name in ("model.py", "balance.py", "digest.py"):
        tree = ast.parse((package / name).read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        imported |= {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
        assert not imported & forbidden, (name, imported & forbidden)

"""Golden files: the scripted session rendered to every format, in both languages.

To regenerate after an intended change, run with ``YISHI_REGEN_GOLDEN=1`` and
review the diff of ``tests/minutes/golden/`` before committing it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from yishi.core.reducer import replay
from yishi.core.state import RoomState
from yishi.minutes import FORMATS, log_digest, render_minutes

from .docxtext import docx_lines, docx_text
from .script import Script

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("YISHI_REGEN_GOLDEN") == "1"
CASES = [
    ("md", "zh"),
    ("html", "zh"),
    ("docx", "zh"),
    ("md", "en"),
    ("html", "en"),
    ("docx", "en"),
    ("json", "zh"),
]


def golden_name(fmt: str, lang: str) -> str:
    if fmt == "json":
        return "deliberation.json"  # language-neutral
    return f"deliberation.{lang}.{fmt}" + (".txt" if fmt == "docx" else "")


def comparable(body: bytes, fmt: str) -> str:
    return docx_text(body) if fmt == "docx" else body.decode("utf-8")


@pytest.mark.parametrize(("fmt", "lang"), CASES)
def test_export_matches_golden_file(state: RoomState, digest: str, fmt: str, lang: str) -> None:
    body, media_type = render_minutes(state, digest=digest, fmt=fmt, lang=lang)
    assert media_type == FORMATS[fmt]
    path = GOLDEN / golden_name(fmt, lang)
    actual = comparable(body, fmt)
    if REGENERATE:
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.name} differs; YISHI_REGEN_GOLDEN=1 regenerates it"


def test_every_golden_file_is_checked() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(golden_name(*c) for c in CASES)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_docx_holds_the_same_turns_and_counts(
    state: RoomState, digest: str, model: dict[str, object], lang: str
) -> None:
    """Every turn row and every poll count of the Markdown is in the Word file too."""
    md = render_minutes(state, digest=digest, fmt="md", lang=lang)[0].decode()
    lines = docx_lines(render_minutes(state, digest=digest, fmt="docx", lang=lang)[0])
    rows = [line for line in lines if line.startswith("| ")]
    md_rows = [
        line.replace("\\", "").strip()
        for line in md.splitlines()
        if line.startswith("| ") and not line.startswith("|---")
    ]
    assert [r.strip() for r in rows] == md_rows
    agenda = model["agenda"]
    assert isinstance(agenda, list)
    turns = [t for item in agenda for t in item["turns"]]
    polls = [p for item in agenda for p in item["polls"]]
    assert len(turns) == 5 and len(polls) == 4  # yes/no, single, ranked, score
    for turn in turns:
        assert any(r.startswith(f"| {turn['number']} | {turn['speaker']} |") for r in rows)
    for poll in polls:
        assert poll["question"] in lines
        for count in poll["counts"]:
            assert any(f" | {count} |" in r for r in rows)
    assert model["integrity"]["digest"] in lines  # type: ignore[index]


def test_the_word_file_numbers_statements_one_two_three() -> None:
    """Statements are numbered 1, 2 in order even when a turn between them had none
    (the Word file read 1, 3), each naming its turn in the table above."""
    s = Script()
    s.create(
        title="楼道议事会",
        topic="楼道堆物",
        agenda=["清理楼道"],
        moderator="王主任",
        settings={"turn_seconds": 120},
    )
    for name in ("张三", "李四"):
        s.join(name)
        s.online(name)
    s.do("王主任", "session.start")
    s.do("张三", "hand.raise", stance="support")
    s.do("李四", "hand.raise", stance="oppose")
    s.do("王主任", "turn.next")
    s.do("张三", "statement.post", text="纸箱应当清走。")
    s.do("张三", "turn.yield")
    s.do("王主任", "turn.next")  # 李四 speaks, nothing recorded
    s.wait(10)
    s.do("王主任", "turn.end")
    s.do("张三", "hand.raise", stance="support")
    s.do("王主任", "turn.next")
    s.do("张三", "statement.post", text="周末一起清。")
    s.do("张三", "turn.yield")
    s.do("王主任", "session.end")
    state = replay(s.room_id, s.entries)
    lines = docx_lines(
        render_minutes(state, digest=log_digest(s.entries), fmt="docx", lang="zh")[0]
    )
    labels = [line for line in lines if re.match(r"^\d+\. 张三", line)]
    assert labels == ["1. 张三（支持，第 1 次发言）", "2. 张三（支持，第 3 次发言）"], labels

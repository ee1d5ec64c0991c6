"""Golden files: the scripted session rendered to every format, in both languages.

To regenerate after an intended change, run with ``YISHI_REGEN_GOLDEN=1`` and
review the diff of ``tests/minutes/golden/`` before committing it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from yishi.core.state import RoomState
from yishi.minutes import FORMATS, render_minutes

from .docxtext import docx_lines, docx_text

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("YISHI_REGEN_GOLDEN") == "1"
CASES = [("md", "zh"), ("html", "zh"), ("docx", "zh"), ("md", "en"), ("html", "en"),
         ("docx", "en"), ("json", "zh")]


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
def test_docx_holds_the_same_turns_and_counts(state: RoomState, digest: str,
                                              model: dict[str, object], lang: str) -> None:
    """Every turn row and every poll count of the Markdown is in the Word file too."""
    md = render_minutes(state, digest=digest, fmt="md", lang=lang)[0].decode()
    lines = docx_lines(render_minutes(state, digest=digest, fmt="docx", lang=lang)[0])
    rows = [line for line in lines if line.startswith("| ")]
    md_rows = [line.replace("\\", "").strip() for line in md.splitlines()
               if line.startswith("| ") and not line.startswith("|---")]
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


def test_the_word_file_numbers_statements_one_two_three(state: RoomState, digest: str) -> None:
    """Per agenda item, statements are 1, 2, 3 (a turn without one leaves no gap; the
    Word file once read 1, 3), each naming its turn in the table above."""
    lines = docx_lines(render_minutes(state, digest=digest, fmt="docx", lang="zh")[0])
    runs: list[list[int]] = []
    for line in lines:
        if re.match(r"^#* *议题 \d+：", line) or not runs:
            runs.append([])
        label = re.match(r"^(\d+)\. .+（.+，第 \d+ 次发言）", line)
        if label:
            runs[-1].append(int(label.group(1)))
    numbered = [run for run in runs if run]
    assert numbered and all(run == list(range(1, len(run) + 1)) for run in numbered), numbered

"""Rules 6 in the minutes: a ranked poll's rounds and winner, a score poll's totals and
means, and each outcome with the numbers that decided it, in every format and both
languages (the scripted session's third and fourth polls, ``procedure_polls``)."""

from __future__ import annotations

import json

import pytest
from yishi.core.state import RoomState
from yishi.minutes import build_minutes, render_minutes

from .docxtext import docx_text


def polls(model: dict[str, object]) -> dict[str, dict[str, object]]:
    agenda = model["agenda"]
    assert isinstance(agenda, list)
    return {p["kind"]: p for item in agenda for p in item["polls"]}


def test_the_model_holds_rounds_outcomes_and_means(model: dict[str, object]) -> None:
    by_kind = polls(model)
    ranked, score = by_kind["ranked"], by_kind["score"]
    assert ranked["winner"] == 1 and ranked["outcome"] == "carried"
    assert ranked["decided_by"] == {
        "quorum": 4,
        "present": 5,
        "threshold": "simple",
        "threshold_base": "cast",
        "votes": 3,
        "base": 5,
        "needed": 3,
    }
    assert [r["counts"] for r in ranked["rounds"]] == [[2, 2, 1], [2, 3, None]]  # type: ignore[union-attr]
    assert ranked["rounds"][0]["transfers"] == {"to": [0, 1, 0], "exhausted": 0}  # type: ignore[index]
    assert [b["choices"] for b in ranked["roll_call"]][2] == [2, 1]  # type: ignore[union-attr]
    assert score["counts"] == [11, 11] and score["means"] == [3.67, 3.67]
    assert score["outcome"] == "no_quorum" and score["roll_call"] is None
    assert score["decided_by"] == {"quorum": 6, "present": 5}
    assert score["max_score"] == 5 and score["threshold"] is None
    # Polls without a rule say so with nulls, and have no outcome.
    assert by_kind["single"]["outcome"] is None and by_kind["single"]["quorum"] is None


def test_the_public_copy_has_the_same_totals_and_no_secret_scores(state: RoomState) -> None:
    public = build_minutes(state, digest="x", public=True)
    score = polls(public)["score"]
    assert score["counts"] == [11, 11] and score["outcome"] == "no_quorum"
    text = json.dumps(score, ensure_ascii=False)
    assert "张三" not in text and "[5, 3]" not in text  # nobody's scores, by name or at all


EXPECTED = {
    "en": [
        "Instant-runoff count, round by round",
        "Round 1: 丙型 eliminated; its ballots went to 乙型 1, 0 exhausted.",
        "Winner: 乙型, with 3 of the 5 ballots still counting in round 2.",
        "Outcome: carried: 3 of 5 votes cast, a simple majority needed 3; quorum 4, present 5.",
        "Outcome: no quorum: quorum 6, present 5.",
        "Total score",
        "3.67",
        "甲型 > 乙型",
    ],
    "zh": [
        "即时决选逐轮计票",
        "第 1 轮：淘汰 丙型；其选票转给 乙型 1，0 张用尽。",
        "胜出：乙型，第 2 轮有效选票 5 张中得 3 张。",
        "表决结果：通过：有效票 5 票中得 3 票，过半数须 3 票；法定人数 4 人，到会 5 人。",
        "表决结果：不足法定人数：法定人数 6 人，到会 5 人。",
        "平均分",
        "用尽选票",
    ],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_every_format_shows_the_rounds_and_the_outcome(
    state: RoomState, fmt: str, lang: str
) -> None:
    body, _ = render_minutes(state, digest="x", fmt=fmt, lang=lang)
    text = docx_text(body) if fmt == "docx" else body.decode()
    if fmt == "md":
        text = text.replace("\\", "")
    if fmt == "html":
        text = text.replace("&gt;", ">")
    for line in EXPECTED[lang]:
        assert line in text, (fmt, lang, line)

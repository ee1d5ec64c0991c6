"""Approved minutes in every format (rules 6): "approved by ... on ..." with the digest,
the approved part exactly as approved, what came after in a section of its own."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from yishi.core.reducer import replay
from yishi.core.state import RoomState
from yishi.minutes import (
    approved_entries,
    build_minutes,
    log_digest,
    read_export,
    render_minutes,
    verify_export,
)

from .approving import amended, approve, approved_by_two
from .docxtext import docx_text
from .scenario import deliberation
from .script import Script

APPROVED = {
    "zh": "经 王主任（主持人） 和 李记录（记录员） 于 2025-11-26 19:17 批准",
    "en": "Approved by 王主任 (moderator) and 李记录 (clerk) on 2025-11-26 19:17",
}
AFTER = {"zh": "批准之后", "en": "After approval"}


@pytest.fixture(scope="module")
def approved_session() -> Script:
    return deliberation(after_end=approved_by_two, after_follow_up=amended)


def _states(session: Script) -> tuple[RoomState, RoomState, str]:
    state = replay(session.room_id, session.entries)
    n = approved_entries(state)
    assert n is not None
    return state, replay(session.room_id, session.entries[:n]), log_digest(session.entries)


def _text(body: bytes, fmt: str) -> str:
    return docx_text(body) if fmt == "docx" else body.decode("utf-8")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
@pytest.mark.parametrize("public", [False, True])
def test_every_format_says_who_approved_and_when(
    approved_session: Script, fmt: str, lang: str, public: bool
) -> None:
    state, approved, digest = _states(approved_session)
    text = _text(
        render_minutes(state, digest=digest, fmt=fmt, lang=lang, public=public, approved=approved)[
            0
        ],
        fmt,
    )
    said = state.approvals[0]["statement"]
    assert APPROVED[lang] in text
    assert said["digest"] in text and state.approvals[0]["signature"] in text
    assert text.index(APPROVED[lang]) < text.index(AFTER[lang])
    after = text[text.index(AFTER[lang]) :]
    assert "按楼层系数分摊为 2 票" in after and "已联系设计院" in after


def test_the_json_carries_the_signature_block(approved_session: Script) -> None:
    state, approved, digest = _states(approved_session)
    model = json.loads(
        render_minutes(state, digest=digest, fmt="json", lang="zh", approved=approved)[0]
    )
    (approval,) = model["approval"]["approvals"]
    assert set(approval) == {"statement", "signature", "public_key"}
    assert set(approval["statement"]) == {
        "format",
        "room_id",
        "algorithm",
        "entries",
        "digest",
        "signers",
        "approved_at",
        "key_id",
    }
    assert model["approval"]["pending"] is None


def test_the_approved_part_is_the_fold_of_the_approved_entries(approved_session: Script) -> None:
    state, approved, digest = _states(approved_session)
    for public in (False, True):
        model = build_minutes(state, digest=digest, public=public, approved=approved)
        alone = build_minutes(approved, digest=digest, public=public)
        for key, value in alone.items():
            if key not in ("integrity", "approval", "recordings", "agenda"):
                assert model[key] == value, key
        assert model["integrity"]["entries"] == len(approved_session.entries)
    # without the approval (the draft of the whole log), the follow-up is in the body
    whole = build_minutes(state, digest=digest)
    assert [a["status"] for a in whole["actions"]] == ["in_progress", "open"]


def test_waiting_for_the_second_signatory() -> None:
    session = deliberation(after_end=lambda s: approve(s, cosigner="李记录"))
    state = replay(session.room_id, session.entries)
    assert approved_entries(state) is None
    digest = log_digest(session.entries)
    model = build_minutes(state, digest=digest)
    assert model["approval"]["pending"]["cosigner"]["name"] == "李记录"
    assert "after_approval" not in model
    md = render_minutes(state, digest=digest, fmt="md", lang="en")[0].decode()
    assert "Waiting for the second signatory, 李记录 (clerk): 王主任 approved" in md
    assert "After approval" not in md


def test_a_further_approval_is_listed_after_the_first() -> None:
    def again(s: Script) -> None:
        amended(s)
        s.wait(60)
        approve(s)

    session = deliberation(after_end=approved_by_two, after_follow_up=again)
    state, approved, digest = _states(session)
    assert len(state.approvals) == 2
    md = render_minutes(state, digest=digest, fmt="md", lang="en", approved=approved)[0].decode()
    further = md[md.index("### Further approvals") :]
    assert "Approved by 王主任 (moderator) on" in further
    assert state.approvals[1]["statement"]["digest"] in further


def test_approved_minutes_flag_overdue_by_the_action_as_it_stands(approved_session: Script) -> None:
    """The approved part stays as approved, but the day's overdue flags are the actions'
    now (an update after approval is in after_approval): and such an export verifies."""
    state, approved, digest = _states(approved_session)
    day = datetime.date(2026, 1, 5)  # both actions past due (12-31 and 12-10), neither done
    model = build_minutes(state, digest=digest, public=True, as_of=day, approved=approved)
    assert model["as_of"] == "2026-01-05"
    assert [a["overdue"] for a in model["actions"]] == [True, True]
    before = build_minutes(
        state, digest=digest, public=True, as_of=datetime.date(2025, 12, 1), approved=approved
    )
    assert [a["overdue"] for a in before["actions"]] == [False, False]
    body = render_minutes(
        state, digest=digest, fmt="json", lang="zh", public=True, as_of=day, approved=approved
    )[0]
    key = base64.b64decode(state.approvals[0]["public_key"])
    verdict = verify_export(
        read_export(body),
        approved_session.entries,
        room_id=approved_session.room_id,
        keys={key: "the test's"},
    )
    assert verdict.ok, verdict.message

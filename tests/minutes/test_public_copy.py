"""The public copy of the minutes names people for what they did, not for being there.

What anyone reads once the minutes are published lists speakers, voters of a
named poll, authors of pinned chat, owners of actions and the staff; attendance
comes as counts. Nobody's online times, and nobody who came (or registered) and
said nothing, appear in it. The moderator's copy keeps the attendance record, and
stays exactly what it was (the golden files hold it). Both copies verify against
the stored log, each as the copy it says it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from yishi.core.state import RoomState
from yishi.minutes import (
    FORMATS,
    build_minutes,
    export_json,
    read_export,
    render_minutes,
    verify_export,
)

from .docxtext import docx_lines
from .script import Script
from .test_verify_cli import DataDir, data  # noqa: F401  (a fixture)

SILENT = ("钱七", "记者小刘")  # registered and never came; an observer who only listened
NAMED = ("张三", "李四", "王五", "赵六", "孙大爷", "王主任", "李记录", "街道城建科")
TIME_FIELDS = ("online_spans", "arrived_at", "left_at", "joined_at")


def text_of(body: bytes, fmt: str) -> str:
    return "\n".join(docx_lines(body)) if fmt == "docx" else body.decode("utf-8")


def test_the_public_copy_counts_attendance_and_names_nobody_for_it(
    state: RoomState, digest: str
) -> None:
    full = build_minutes(state, digest=digest)
    public = build_minutes(state, digest=digest, public=True)
    assert "copy" not in full and public["copy"] == "public"
    assert "attendance" not in public
    attended = [p for p in full["attendance"] if p["attended"]]
    assert public["present"] == {
        "residents": sum(1 for p in attended if p["role"] == "participant"),
        "online": sum(1 for p in attended if p["role"] == "participant" and p["mode"] == "online"),
        "hall": sum(1 for p in attended if p["role"] == "participant" and p["mode"] == "hall"),
        "staff": sum(1 for p in attended if p["role"] in ("moderator", "clerk", "office")),
        "observers": sum(1 for p in attended if p["role"] == "observer"),
    }
    # Everything else is the moderator's copy, field for field.
    rest = {k: v for k, v in full.items() if k != "attendance"}
    assert {k: v for k, v in public.items() if k not in ("copy", "present")} == rest
    dumped = json.dumps(public, ensure_ascii=False)
    for field in TIME_FIELDS:
        assert f'"{field}"' not in dumped
    for name in SILENT:
        assert name not in dumped
        assert name in json.dumps(full, ensure_ascii=False)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_export_of_the_public_copy_names_a_silent_attendee(
    state: RoomState, digest: str, fmt: str, lang: str
) -> None:
    public = text_of(render_minutes(state, digest=digest, fmt=fmt, lang=lang, public=True)[0], fmt)
    full = text_of(render_minutes(state, digest=digest, fmt=fmt, lang=lang)[0], fmt)
    for name in SILENT:
        assert name not in public, (name, fmt, lang)
        assert name in full
    for name in NAMED:  # who spoke, voted by name, wrote or owns an action is named
        assert name in public, (name, fmt, lang)
    if fmt != "json":
        arrived = "到场" if lang == "zh" else "Arrived"
        assert arrived in full and arrived not in public


def test_each_copy_verifies_as_itself(session: Script, state: RoomState, digest: str) -> None:
    entries = session.entries
    for public in (False, True):
        body, _ = render_minutes(state, digest=digest, fmt="json", lang="zh", public=public)
        export = read_export(body)
        verdict = verify_export(export, entries, room_id=session.room_id)
        assert verdict.ok, verdict.message
        assert ("public copy" in verdict.message) is public
    # The moderator's copy relabelled as public, or the public copy with the
    # attendance put back, is not what the log gives.
    full = build_minutes(state, digest=digest)
    relabelled = json.loads(json.dumps({"copy": "public", **full}))
    assert not verify_export(relabelled, entries, room_id=session.room_id).ok
    public_copy = build_minutes(state, digest=digest, public=True)
    widened = json.loads(json.dumps({**public_copy, "attendance": full["attendance"]}))
    assert not verify_export(widened, entries, room_id=session.room_id).ok


def test_the_cli_verifies_a_public_export(
    data: DataDir,  # noqa: F811  (the fixture)
    state: RoomState,
    digest: str,
    tmp_path: Path,
) -> None:
    out = tmp_path / "public.json"
    out.write_bytes(render_minutes(state, digest=digest, fmt="json", lang="zh", public=True)[0])
    result = data.verify(out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: the export (public copy)")
    body = json.loads(out.read_text(encoding="utf-8"))
    body["present"]["residents"] += 1
    out.write_bytes(export_json(body))
    result = data.verify(out)
    assert result.returncode == 1 and "$.present.residents" in result.stdout
    body["copy"] = "somebody's"
    out.write_bytes(export_json(body))
    assert data.verify(out).returncode == 2

"""Control, bidirectional and noncharacters are refused in every text the edge takes
(server/core/characters.py, schema.parse), and an entry already in the log that
holds one still applies as it was written."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from roombuilder import Room
from yishi.core import commands
from yishi.core.characters import published, refused_in
from yishi.core.community import args as cargs
from yishi.core.reducer import apply
from yishi.core.schema import parse
from yishi.core.types import CommandError, ErrorCode

REFUSED = [
    "\x00",
    "\x07",
    "\x0b",
    "\x0c",
    "\r",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\u061c",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2069",
    "\ud800",
    "\udfff",
    "\ufdd0",
    "\ufffe",
    "\uffff",
    "\U0001fffe",
    "\U0010ffff",
]
KEPT = ["\n", "\t", "\u200b", "\u3000", "中", "😀", "\ufeff", "'", "\u00a0"]

COMMANDS: list[tuple[str, dict[str, Any], str]] = [  # the character goes where {} is
    ("chat.send", {"text": "你{}好"}, "text"),
    ("statement.post", {"text": "我的{}发言"}, "text"),
    ("action.add", {"title": "公{}示", "owner": "街道办", "due": "2026-02-28"}, "title"),
    ("action.add", {"title": "公示", "owner": "街{}道办", "due": "2026-02-28"}, "owner"),
    ("action.update", {"action_id": "a1", "status": "in_progress", "note": "进{}展"}, "note"),
    (
        "poll.open",
        {"question": "同意吗", "kind": "single", "options": ["同意", "反{}对"]},
        "options[1]",
    ),
    ("agenda.set", {"items": ["一", "二{}三"]}, "items[1]"),
    ("minutes.note", {"text": "补{}充"}, "text"),
]


@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_each_refused_character_is_named(char: str) -> None:
    found = refused_in(f"前{char}后")
    assert found is not None and found.startswith(f"U+{ord(char):04X} (")
    assert published(f"前{char}后") == "前后"


@pytest.mark.parametrize("char", KEPT, ids=[f"U+{ord(c):04X}" for c in KEPT])
def test_line_feeds_tabs_and_ordinary_text_are_kept(char: str) -> None:
    assert refused_in(f"前{char}后") is None and published(f"前{char}后") == f"前{char}后"


@settings(deadline=None)
@given(st.text())
def test_published_text_holds_nothing_refused(text: str) -> None:
    assert refused_in(published(text)) is None


@pytest.mark.parametrize(
    ("cmd", "template", "field"), COMMANDS, ids=[f"{c[0]}.{c[2]}" for c in COMMANDS]
)
@pytest.mark.parametrize("char", ["\x0b", "\x00", "\u202e"], ids=["VT", "NUL", "RLO"])
def test_every_command_text_refuses_them(
    cmd: str, template: dict[str, Any], field: str, char: str
) -> None:
    args = {
        k: v.format(char)
        if isinstance(v, str)
        else [x.format(char) for x in v]
        if isinstance(v, list)
        else v
        for k, v in template.items()
    }
    with pytest.raises(CommandError) as refused:
        commands.client_args(cmd, args)
    assert refused.value.code is ErrorCode.BAD_COMMAND
    assert refused.value.message.startswith(f"{field} holds U+{ord(char):04X}")


def test_a_refused_chat_changes_nothing() -> None:
    room = Room.create(start=True)
    (a,) = room.residents("a")
    room.fail(a, "chat.send", ErrorCode.BAD_COMMAND, text="看这里\u202egpj.exe")


@pytest.mark.parametrize("field", ["title", "description", "place", "category", "household"])
def test_a_community_submission_refuses_them(field: str) -> None:
    raw = {"title": "楼道灯坏了", "description": "5号楼", field: "坏\u202e了"}
    with pytest.raises(CommandError) as refused:
        parse(cargs.TopicSubmit, raw, client=True)
    assert refused.value.code is ErrorCode.BAD_COMMAND and field in refused.value.message


def test_an_old_entry_holding_one_still_applies_as_written() -> None:
    """The log is replayed as written: an entry of an older server is not refused now."""
    raw = {"title": "楼道\x0b灯坏了", "description": "5号楼"}
    logged = parse(cargs.TopicSubmit, raw, client=False, logged=True)
    assert dataclasses.asdict(logged)["title"] == "楼道\x0b灯坏了"
    room = Room.create(start=True)
    (a,) = room.residents("a")
    outcome = room.send(a, "chat.send", text="你好", server_args={})
    assert outcome.ok
    entry = dataclasses.replace(
        room.entries[-1],
        seq=len(room.entries) + 1,
        args={**room.entries[-1].args, "text": "旧\x0b消息"},
    )
    assert apply(room.state, entry).ok

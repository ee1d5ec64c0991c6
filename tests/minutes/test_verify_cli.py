"""``yishi minutes ROOM --verify FILE`` against a real SQLite data folder.

The log is written by the real ``SqliteBackend`` (its clock set to each
scripted entry's time, so the stored log is the scripted one), the CLI runs as
a subprocess, and the database is tampered with directly, as an attacker with
the file would.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import pytest
from yishi.backends.sqlite import SqliteBackend
from yishi.cli.minutes import load_log
from yishi.config import Config
from yishi.core.types import Entry
from yishi.minutes import export_json, read_export, verify_export

from .docxtext import docx_lines
from .scenario import deliberation
from .script import Script

CLI_TIMEOUT = 60


async def store(path: Path, room_id: str, entries: list[Entry]) -> None:
    now = [0]
    backend = SqliteBackend(path=path, clock=lambda: now[0])
    await backend.start()
    try:
        for entry in entries:
            now[0] = entry.at
            stored = await backend.append(
                room_id, entry.kind, actor=entry.actor, args=entry.args, nonce=entry.nonce
            )
            assert stored == entry
    finally:
        await backend.close()


def yishi(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
    return subprocess.run(
        [sys.executable, "-m", "yishi", *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        env=env,
        check=False,
    )


class DataDir:
    def __init__(self, root: Path, session: Script) -> None:
        self.root = root
        self.db = root / "yishi.db"
        self.room_id = session.room_id
        self.entries = session.entries

    def minutes(self, *args: str) -> subprocess.CompletedProcess[str]:
        return yishi("minutes", self.room_id, "--data-dir", str(self.root), *args)

    def export(self, name: str = "minutes.json") -> Path:
        out = self.root.parent / name
        result = self.minutes("--format", "json", "--output", str(out))
        assert result.returncode == 0, result.stderr
        return out

    def verify(self, file: Path) -> subprocess.CompletedProcess[str]:
        return self.minutes("--verify", str(file))

    def rewrite(self, seq: int, change: Callable[[dict[str, Any]], None]) -> None:
        with sqlite3.connect(self.db) as conn:
            (body,) = conn.execute(
                "SELECT body FROM entries WHERE room = ? AND seq = ?", (self.room_id, seq)
            ).fetchone()
            record = msgpack.unpackb(body, raw=False)
            change(record)
            conn.execute(
                "UPDATE entries SET body = ? WHERE room = ? AND seq = ?",
                (msgpack.packb(record, use_bin_type=True), self.room_id, seq),
            )

    def execute(self, sql: str, *params: object) -> None:
        with sqlite3.connect(self.db) as conn:
            conn.execute(sql, params)

    def seq_of(self, kind: str, nth: int = 0) -> int:
        return [e.seq for e in self.entries if e.kind == kind][nth]


@pytest.fixture
def data(tmp_path: Path, session: Script) -> DataDir:
    root = tmp_path / "data"
    root.mkdir()
    asyncio.run(store(root / "yishi.db", session.room_id, session.entries))
    return DataDir(root, session)


def test_an_untouched_log_matches_its_export(data: DataDir) -> None:
    export = data.export()
    body = json.loads(export.read_text(encoding="utf-8"))
    assert body["integrity"]["entries"] == len(data.entries)
    result = data.verify(export)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")


def _vote(record: dict[str, Any]) -> None:
    sealed = record["args"]["sealed"]  # a secret ballot is sealed: change one character
    record["args"]["sealed"] = ("B" if sealed[0] == "A" else "A") + sealed[1:]


def _text(record: dict[str, Any]) -> None:
    record["args"]["text"] = record["args"]["text"].replace("反对", "支持")


def _actor(record: dict[str, Any]) -> None:
    record["actor"] = "u5"  # 李四 yields 张三's turn


TAMPERINGS: dict[str, Callable[[DataDir], None]] = {
    "a secret ballot's choice": lambda d: d.rewrite(d.seq_of("poll.vote", 1), _vote),
    "a statement's text": lambda d: d.rewrite(d.seq_of("statement.post", 1), _text),
    "a command's sender": lambda d: d.rewrite(d.seq_of("turn.yield"), _actor),
    "the first entry's time": lambda d: d.execute(
        "UPDATE entries SET at = at + 1 WHERE room = ? AND seq = 1", d.room_id
    ),
    "the last entry, dropped": lambda d: d.execute(
        "DELETE FROM entries WHERE room = ? AND seq = ?", d.room_id, len(d.entries)
    ),
    "two entries, swapped": lambda d: d.execute(
        "UPDATE entries SET body = CASE seq WHEN 20 THEN (SELECT body FROM entries WHERE seq = 21)"
        " ELSE (SELECT body FROM entries WHERE seq = 20) END"
        " WHERE room = ? AND seq IN (20, 21)",
        d.room_id,
    ),
}


@pytest.mark.parametrize("what", list(TAMPERINGS))
def test_a_changed_log_fails_verification(data: DataDir, what: str) -> None:
    export = data.export()
    TAMPERINGS[what](data)
    result = data.verify(export)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("MISMATCH")


def test_changing_any_stored_entry_fails_verification(data: DataDir) -> None:
    """Every entry of the log, one at a time, through the CLI's own loader."""
    export = read_export(data.export().read_bytes())
    config = Config(data_dir=data.root)

    def verdict() -> bool:
        entries = asyncio.run(load_log(config, data.room_id))
        return verify_export(export, entries, room_id=data.room_id).ok

    assert verdict()
    for seq in range(1, len(data.entries) + 1):
        data.rewrite(seq, lambda record: record["args"].update(tampered=True))
        assert not verdict(), seq
        data.rewrite(seq, lambda record: record["args"].pop("tampered"))
    assert verdict()


def test_an_edited_export_fails_verification(data: DataDir) -> None:
    export = data.export()
    body = json.loads(export.read_text(encoding="utf-8"))
    body["agenda"][0]["polls"][0]["counts"] = [4, 0, 1]
    export.write_bytes(export_json(body))
    result = data.verify(export)
    assert result.returncode == 1
    assert "$.agenda[0].polls[0].counts[0]" in result.stdout


def test_a_key_given_twice_is_refused_before_anything_is_compared(data: DataDir) -> None:
    # A reader that keeps the first of two keys would show the forged title.
    export = data.export()
    text = export.read_text(encoding="utf-8")
    assert text.startswith("{\n")
    export.write_text('{\n  "title": "伪造的会议标题",' + text[1:], encoding="utf-8")
    result = data.verify(export)
    assert result.returncode == 2
    assert "'title' appears twice" in result.stderr


def test_an_export_re_encoded_by_another_program_is_refused(data: DataDir) -> None:
    export = data.export()
    body = json.loads(export.read_text(encoding="utf-8"))
    for other in (
        json.dumps(body, ensure_ascii=False),  # the same content, another form
        json.dumps(body, ensure_ascii=False, indent=2),  # no final newline
        json.dumps(body, indent=2) + "\n",
    ):  # Chinese written as \\u escapes
        export.write_text(other, encoding="utf-8")
        result = data.verify(export)
        assert result.returncode == 2, other[:40]
        assert "not in the form the server writes" in result.stderr
    export.write_bytes(export_json(body))
    assert data.verify(export).returncode == 0


def test_a_draft_still_matches_after_the_log_grew(tmp_path: Path) -> None:
    session = deliberation()
    cut = next(e.seq for e in session.entries if e.kind == "agenda.goto")
    root = tmp_path / "data"
    root.mkdir()
    asyncio.run(store(root / "yishi.db", session.room_id, session.entries[:cut]))
    data = DataDir(root, session)
    draft = data.export("draft.json")
    assert json.loads(draft.read_text(encoding="utf-8"))["final"] is False
    asyncio.run(store(root / "yishi.db", session.room_id, session.entries[cut:]))
    result = data.verify(draft)
    assert result.returncode == 0, result.stdout
    assert f"{len(session.entries) - cut} more entries" in result.stdout


def test_bad_input(data: DataDir, tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text("not json", encoding="utf-8")
    assert data.verify(junk).returncode == 2
    junk.write_text('{"schema": "something else"}', encoding="utf-8")
    assert data.verify(junk).returncode == 2
    assert data.verify(tmp_path / "missing.json").returncode == 2
    export = data.export()
    other = yishi("minutes", "nosuchroom", "--data-dir", str(data.root), "--verify", str(export))
    assert other.returncode == 1


def test_the_cli_writes_minutes(data: DataDir, tmp_path: Path) -> None:
    english = data.minutes("--format", "md", "--lang", "en")
    assert english.returncode == 0 and english.stdout.startswith("# Minutes: 3号楼加装电梯议事会")
    out = tmp_path / "minutes.docx"
    assert data.minutes("--format", "docx", "--output", str(out)).returncode == 0
    assert "| 1 | 张三 | 支持 | 19:01:35 | 1分30秒 | 发言人让出 |  |" in docx_lines(
        out.read_bytes()
    )

"""`yishi labels`: the moderators' approve/remove decisions on held chat, read from the
room's log of a running server, in the file the moderation's retrain folds in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yishi.moderation
from roomclient import Api
from roomharness import ADMIN, Room, ServerProcess, make_room
from yishi.moderation.retrain import read_labels


async def test_held_messages_approved_or_removed_become_labels(
    room: Room, server: ServerProcess, tmp_path: Path
) -> None:
    mod = await room.moderator()
    _, resident = await room.resident("王阿姨")
    spam = await resident.ok("chat.send", text="详情加我微信 wx12345678 或看 www.example-ads.com")
    assert spam["status"] == "held"
    await mod.ok("chat.remove", message_id=spam["message_id"])
    await mod.ok("settings.update", chat_mode="premoderated")
    civic = await resident.ok("chat.send", text="建议周末再开一次会\t大家都能来")
    assert civic["status"] == "held"
    await mod.ok("chat.approve", message_id=civic["message_id"])
    visible = await mod.ok("chat.send", text="主持人的话不经审核")  # staff: never held
    await mod.ok("chat.remove", message_id=visible["message_id"])  # not a label: never held

    out = tmp_path / "labels.tsv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "yishi",
            "labels",
            "--data-dir",
            str(server.data_dir),
            room.room_id,
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "2 decisions from 1 rooms" in done.stderr
    labels = read_labels(out)
    assert labels[0][0] == "remove" and "wx" in labels[0][1]
    assert labels[1] == ("approve", "建议周末再开一次会 大家都能来")
    assert len(labels) == 2


async def test_a_server_screens_with_the_operators_own_moderation_folder(tmp_path: Path) -> None:
    """`--moderation-dir`: a copy of the packaged folder, edited (or retrained with the
    labels above), is what the server screens with."""
    own = tmp_path / "moderation"
    shutil.copytree(Path(yishi.moderation.__file__).parent / "data", own)
    with (own / "spam_strong.txt").open("a", encoding="utf-8") as lists_file:
        lists_file.write("\n免费领鸡蛋\n")
    proc = ServerProcess(tmp_path / "data", options=["--moderation-dir", str(own)])
    proc.start()
    api = Api(proc.base_url, ADMIN)
    try:
        room = await make_room(proc, api)
        _, resident = await room.resident("王阿姨")
        assert (await resident.ok("chat.send", text="今天社区免费领鸡蛋"))["status"] == "held"
        await room.close_all()
    finally:
        await api.aclose()
        proc.stop()

"""A data folder whose disk fills up: acknowledged entries stay, new writes answer
``unavailable``, /readyz turns 503 with one log line, and 200 again once a write
succeeds.

The disk is a real one: a small tmpfs mounted over the data folder (the tests run
as root; if mounting is refused the test fails and says so, it never skips).
Before the fix /readyz stayed 200 and nothing was logged.
"""

from __future__ import annotations

import asyncio
import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from roomclient import Api, assert_http_error
from roomharness import ADMIN, ServerProcess, make_room

DISK = "4m"
ATTEMPTS = 200  # joins until one meets the full disk (each grows the write-ahead log)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.fail(
            f"cannot mount a tmpfs for the disk-full test (run as root): {mounted.stderr.strip()}",
            pytrace=False,
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Take every free byte of the folder's file system."""
    filler = folder / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as full:
            assert full.errno == errno.ENOSPC
    return filler


async def test_disk_full_turns_readyz_503_once_and_back_to_200(small_disk: Path) -> None:
    server = ServerProcess(small_disk)
    server.start()
    api = Api(server.base_url, ADMIN)
    room = await make_room(server, api)
    try:
        kept = await room.join("甲")
        filler = await asyncio.to_thread(fill, small_disk)

        refused = None
        for attempt in range(ATTEMPTS):
            joined = await api.join_raw(
                room.room_id, {"invite": room.invite, "name": f"户{attempt}"}
            )
            if joined.status_code != 200:
                refused = joined
                break
        assert refused is not None, f"{ATTEMPTS} joins all fitted on a full disk"
        assert_http_error(refused, (503, "unavailable"))
        for _ in range(3):  # more refused writes: still one log line
            assert (
                await api.join_raw(room.room_id, {"invite": room.invite, "name": "乙"})
            ).status_code == 503
        ready = await api.http.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert [p["what"] for p in ready.json()["problems"]] == ["disk_full"]
        log = server.log_path.read_text(errors="replace")
        assert log.count("disk full:") == 1, log

        filler.unlink()
        joined = await api.join_raw(room.room_id, {"invite": room.invite, "name": "丙"})
        assert joined.status_code == 200, joined.text
        ready = await api.http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["problems"] == []
        assert "disk full is over" in server.log_path.read_text(errors="replace")

        # What was acknowledged before the disk filled is still there.
        mod = await room.moderator()
        assert mod.participant(kept.participant_id) is not None
    finally:
        await room.close_all()
        await api.aclose()
        server.stop()

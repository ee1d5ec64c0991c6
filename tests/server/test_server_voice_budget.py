"""One voice is one stream, however many sockets it speaks from (issue 23: a floor
holder on 4 sockets once put 230 frames a second of 2 KB to every listener, and
into the recording). A real uvicorn serving Yishi's own protocol, in process so
that the recorder can be read back; real clients.

Nothing here depends on speed: each socket sends its frames as fast as it can
(at least four times one voice's rate), and what a listener heard is held
against the budget for the time the sending took, however long that was.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from roomclient import Client, start_turn
from test_write_paths import serve
from yishi.host.voicebudget import BYTE_BURST, BYTES_PER_SECOND, FRAME_BURST, FRAMES_PER_SECOND

SOCKETS = 4  # as many as one resident may open on a node
FRAMES = 100  # per socket


def budget(seconds: float, size: int) -> int:
    """The most frames of ``size`` bytes one speaker may be heard in ``seconds``."""
    frames = FRAME_BURST + FRAMES_PER_SECOND * seconds
    octets = (BYTE_BURST + BYTES_PER_SECOND * seconds) / size
    return int(min(frames, octets)) + 1


async def send_from_all(sockets: list[Client], turn_id: str, size: int) -> float:
    """Every socket's ``FRAMES`` frames of ``size`` bytes, interleaved and as fast as
    they go; the seconds from the first sent to the last handled."""
    packet = bytes(n % 256 for n in range(size))
    started = time.monotonic()
    for seq in range(FRAMES):
        for n, sock in enumerate(sockets):
            await sock.send_audio(turn_id, seq * SOCKETS + n, packet, ts=seq * 20)
    await asyncio.gather(*(sock.ok("ping") for sock in sockets))  # each frame handled
    return time.monotonic() - started


@pytest.mark.parametrize("size", [180, 1_900])  # the page's packets; the largest allowed
async def test_four_sockets_of_one_speaker_are_heard_and_kept_as_one_voice(
    tmp_path: Path, size: int
) -> None:
    async with serve(tmp_path, "native") as served:
        room = served.room
        mod = await room.moderator("msgpack")
        await mod.ok("settings.update", record_audio=True)
        await mod.ok("session.start")
        _, ear = await room.resident("听众", "msgpack")
        assert await ear.ok("audio.listen", on=True) == {"listening": True}
        person = await room.join("多开发言")
        sockets = [
            await room.connect(person.token, "msgpack", label=f"mic{n}") for n in range(SOCKETS)
        ]
        await sockets[0].ok("hand.raise", stance="support")
        turn = await start_turn(mod, person.participant_id)
        turn_id = str(turn["turn_id"])

        seconds = await send_from_all(sockets, turn_id, size)
        await ear.ok("ping")  # the ear has been written every frame relayed before
        heard = len(ear.audio)
        burst = min(FRAME_BURST, BYTE_BURST // size)  # heard at once, however fast it went
        assert burst <= heard <= budget(seconds, size), (heard, seconds)
        kept = await served.services.recordings.frames(room.room_id, turn_id)
        assert len(kept) <= heard  # nothing is kept that nobody was let hear

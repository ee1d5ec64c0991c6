"""A poisoned entry in the log neither stops the server nor the room.

Reproduced before the fault rule: ``participant.join`` with a role the core
does not know, written into the embedded log; after a restart the server did
not start at all.
"""

from __future__ import annotations

import asyncio
import time

from roomclient import Api, has
from roomharness import ADMIN, ServerProcess, make_room
from yishi.backends.sqlite import SqliteBackend


async def _poison(data_dir: str, room_id: str) -> int:
    backend = SqliteBackend(path=f"{data_dir}/yishi.db", clock=lambda: int(time.time() * 1000))
    await backend.start()
    try:
        entry = await backend.append(
            room_id, "participant.join", args={"name": "巫师", "role": "wizard", "invite": "x"}
        )
        return entry.seq
    finally:
        await backend.close()


async def test_a_poisoned_entry_is_a_fault_and_the_server_starts(own_server: ServerProcess) -> None:
    api = Api(own_server.base_url, ADMIN)
    room = await make_room(own_server, api)
    try:
        mod = await room.moderator()
        await mod.ok("session.start")
        await room.close_all()
        await asyncio.to_thread(own_server.stop)
        seq = await _poison(str(own_server.data_dir), room.room_id)
        await asyncio.to_thread(own_server.start)  # waits for /readyz

        mod = await room.connect(room.mod_token, since=0)  # everything since the start
        fault = await mod.wait_event("room.fault", has(entry_seq=seq))
        assert fault["data"]["kind"] == "participant.join"
        _, resident = await room.resident("甲")
        await resident.ok("hand.raise", stance="support")
        metrics = (await api.http.get("/metrics")).text
        assert "yishi_room_faults_total 1.0" in metrics
    finally:
        await room.close_all()
        await api.aclose()

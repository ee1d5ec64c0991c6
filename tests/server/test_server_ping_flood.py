"""A client that writes WebSocket pings and never reads (issue 23: 195 MB of pings
in 14 s took one server from 115 to 283 MB, and needed no login). The server
pauses reading a socket whose unsent bytes pass the transport's bound, so it
holds little for it, before ``hello`` as after; one that stays so is closed as
too slow (4008, counted) and cut off. Bounds are in bytes, not seconds: each
client writes up to ``FLOOD_BYTES`` or until the server stops taking them.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator

import pytest
from pingflood import flood, hung_up, peak_rss, rss_bytes, upgraded
from roomclient import Api
from roomharness import ADMIN, Room, ServerProcess, make_room

FLOOD_BYTES = 64 * 2**20  # per socket: what the unbounded server once held, twice over
STALL_S = 5.0  # taking nothing this long: the server has stopped reading the socket
GROWTH_AT_MOST = 24 * 2**20  # for all the sockets of a test together
HELLO_S, SLOW_READER_S, CLOSE_GRACE_S = 5.0, 10.0, 10.0
CUT_OFF_WITHIN_S = max(HELLO_S, SLOW_READER_S) + CLOSE_GRACE_S + 20.0  # a wide margin


@pytest.fixture
def server(own_server: ServerProcess) -> Iterator[ServerProcess]:
    yield own_server  # a fresh process per test: its memory is the measure


async def flood_all(server: ServerProcess, room: Room, tokens: list[str | None]) -> int:
    """Flood one socket per token (None: no hello) at once; the server's growth in
    resident memory while they did."""
    assert server.proc is not None
    pid = server.proc.pid
    socks = [await asyncio.to_thread(upgraded, server.port, room.room_id, token)
             for token in tokens]
    done = threading.Event()
    sampler = asyncio.create_task(asyncio.to_thread(peak_rss, pid, done))
    before = rss_bytes(pid)
    try:
        await asyncio.gather(*(asyncio.to_thread(flood, s, at_most=FLOOD_BYTES,
                                                 stall_s=STALL_S) for s in socks))
    finally:
        done.set()
    growth = await sampler - before
    cut_off = await asyncio.gather(*(asyncio.to_thread(hung_up, s, CUT_OFF_WITHIN_S)
                                     for s in socks))
    for sock in socks:
        sock.close()
    assert all(cut_off), "a flooding socket was never closed"
    return growth


async def slow_closed(api: Api) -> float:
    text = (await api.http.get("/metrics")).text
    found = re.search(r"^yishi_slow_clients_closed_total (\S+)$", text, re.MULTILINE)
    return float(found[1]) if found else 0.0


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(server.base_url, ADMIN)
    yield client
    await client.aclose()


async def test_pings_before_hello_cost_the_server_little(
        server: ServerProcess, api: Api) -> None:
    room = await make_room(server, api)
    growth = await flood_all(server, room, [None, None, None])
    assert growth <= GROWTH_AT_MOST, f"the server grew by {growth / 2**20:.0f} MB"


async def test_pings_from_a_resident_who_never_reads_are_bounded_then_closed_4008(
        server: ServerProcess, api: Api) -> None:
    room = await make_room(server, api)
    person = await room.join("只发不收")
    before = await slow_closed(api)
    growth = await flood_all(server, room, [person.token])
    assert growth <= GROWTH_AT_MOST, f"the server grew by {growth / 2**20:.0f} MB"
    assert await slow_closed(api) == before + 1  # closed as too slow, and counted
    _, resident = await room.resident("照常")  # the server serves on
    assert (await resident.call("ping")).ok
    await room.close_all()

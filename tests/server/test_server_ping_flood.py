"""A client that writes WebSocket pings and never reads (issue 23: 195 MB of pings
in 14 s took one server from 115 to 283 MB, and needed no login). The server
pauses reading a socket whose unsent bytes pass the transport's bound, so it
holds little for it, before ``hello`` as after; one that stays so is closed as
too slow (4008, counted) and cut off. Bounds are in bytes, not seconds: each
client writes up to ``FLOOD_BYTES`` or until the server stops taking them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pingflood import GROWTH_AT_MOST, flood_all, slow_closed
from roomclient import Api
from roomharness import ADMIN, ServerProcess, make_room


@pytest.fixture
def server(own_server: ServerProcess) -> Iterator[ServerProcess]:
    yield own_server  # a fresh process per test: its memory is the measure


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(server.base_url, ADMIN)
    yield client
    await client.aclose()


async def test_pings_before_hello_cost_the_server_little(server: ServerProcess, api: Api) -> None:
    room = await make_room(server, api)
    assert server.proc is not None
    growth = await flood_all(server.proc.pid, server.port, room.room_id, [None, None, None])
    assert growth <= GROWTH_AT_MOST, f"the server grew by {growth / 2**20:.0f} MB"


async def test_pings_from_a_resident_who_never_reads_are_bounded_then_closed_4008(
    server: ServerProcess, api: Api
) -> None:
    room = await make_room(server, api)
    person = await room.join("只发不收")
    before = await slow_closed(api)
    assert server.proc is not None
    growth = await flood_all(server.proc.pid, server.port, room.room_id, [person.token])
    assert growth <= GROWTH_AT_MOST, f"the server grew by {growth / 2**20:.0f} MB"
    assert await slow_closed(api) == before + 1  # closed as too slow, and counted
    _, resident = await room.resident("照常")  # the server serves on
    assert (await resident.call("ping")).ok
    await room.close_all()

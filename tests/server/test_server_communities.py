"""Communities over a real `yishi serve`: the issue's flow, refusals, held topics,
clerk entries, merges, exports, and the figures after a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from communityclient import CommunityApi, run_flow
from roomharness import ADMIN, ServerProcess


@pytest.fixture
async def capi(server: ServerProcess) -> AsyncIterator[CommunityApi]:
    client = CommunityApi(server.base_url, ADMIN)
    yield client
    await client.aclose()


async def test_the_whole_flow_on_one_node(server: ServerProcess, capi: CommunityApi) -> None:
    await run_flow([capi], [server.ws_base])

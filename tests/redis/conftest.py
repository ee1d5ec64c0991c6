"""Fixtures for the Redis tests: real redis-server processes (tests/redis/redisserver.py)
and real `yishi serve` nodes on them (tests/redis/yishinodes.py).

The WebSocket client and HTTP API helpers are the black-box ones from tests/server.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from redisserver import RedisServer, redis_server  # noqa: F401 (a fixture)
from yishinodes import Cluster

pytestmark = pytest.mark.redis


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server for one test (tests that kill, stop or restart it)."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def cluster(tmp_path: Path, own_redis: RedisServer) -> AsyncIterator[Cluster]:
    """Yishi nodes (started by the test) on a fresh Redis; all stopped at teardown."""
    nodes = Cluster(own_redis, tmp_path)
    yield nodes
    await nodes.aclose()

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

from redisclusterserver import (  # noqa: F401 (a fixture)
    RedisClusterServer,
    flush_cluster,
    redis_cluster_server,
)
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


@pytest.fixture(params=["redis", "redis-cluster"])
async def nodes_on_any(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Cluster]:
    """Yishi nodes (started by the test) on a fresh redis-server, then on the session's
    six-process Redis Cluster (emptied first): one scenario, both stores."""
    store: RedisServer | RedisClusterServer
    if request.param == "redis":
        store = request.getfixturevalue("own_redis")
    else:
        store = request.getfixturevalue("redis_cluster_server")
        flush_cluster(store)
    nodes = Cluster(store, tmp_path)
    yield nodes
    await nodes.aclose()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[pytest.TestReport]:
    """A failed multi-node test shows the nodes' and Redis's logs with its report."""
    report: pytest.TestReport = yield
    if report.when == "call" and report.failed:
        found = [v for v in getattr(item, "funcargs", {}).values() if isinstance(v, Cluster)]
        for nodes in found[:1]:
            report.sections.append(("yishi node logs", nodes.logs()))
            report.sections.append(("redis-server log", nodes.redis.log_tail()))
    return report

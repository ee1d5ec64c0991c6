"""Fixtures shared by the backend tests: one parameter per backend, a settable clock.

To run the contract against another backend, add one line to ``STORES``: a
function ``(request, tmp_path) -> Store`` (it may ask ``request`` for other
fixtures, such as a running redis-server).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from yishi.backends import LogBackend, MemoryBackend, MemoryStore, backend_from_url
from yishi.backends.base import Clock

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "redis"))
from redisclusterserver import RedisClusterServer, flush_cluster, redis_cluster_server  # noqa: F401
from redisserver import RedisServer, redis_server  # noqa: F401 (a fixture)


class FakeClock:
    """A wall clock the test sets by hand (and may turn back)."""

    def __init__(self, now: int = 1_764_158_400_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class Opener(Protocol):
    def __call__(self, *, clock: Clock, node_id: str | None = None) -> LogBackend: ...


@dataclass(frozen=True, slots=True)
class Store:
    """One store under test. ``open()`` gives a new, unstarted backend on it: a restart
    when the previous one was closed, another node when it is still running."""

    open: Opener
    multi_node: bool  # does one backend's listener hear another backend's appends?
    hears_every_room: bool = True  # False: only rooms it asked about (last_seq > 0)


def memory_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    shared = MemoryStore()

    def open_backend(*, clock: Clock, node_id: str | None = None) -> LogBackend:
        return MemoryBackend(clock=clock, node_id=node_id, store=shared)

    return Store(open=open_backend, multi_node=True)


def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'data' / 'yishi.db'}"

    def open_backend(*, clock: Clock, node_id: str | None = None) -> LogBackend:
        return backend_from_url(url, clock=clock, node_id=node_id)

    return Store(open=open_backend, multi_node=False)


def redis_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    from yishi.backends.redis.backend import RedisBackend

    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()

    def open_backend(*, clock: Clock, node_id: str | None = None) -> LogBackend:
        # "local": stamp with the test's clock, which the contract moves by hand.
        return RedisBackend(url=server.url, clock=clock, node_id=node_id, stamp_clock="local")

    return Store(open=open_backend, multi_node=True)


def redis_cluster_store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    from yishi.backends.redis.backend import RedisBackend

    server: RedisClusterServer = request.getfixturevalue("redis_cluster_server")
    flush_cluster(server)

    def open_backend(*, clock: Clock, node_id: str | None = None) -> LogBackend:
        return RedisBackend(url=server.url, clock=clock, node_id=node_id, stamp_clock="local")

    return Store(open=open_backend, multi_node=True, hears_every_room=False)


STORES = [
    pytest.param(memory_store, id="memory"),
    pytest.param(sqlite_store, id="sqlite"),
    pytest.param(redis_store, id="redis", marks=pytest.mark.redis),
    pytest.param(redis_cluster_store, id="redis-cluster", marks=pytest.mark.redis),
]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    make: Callable[[pytest.FixtureRequest, Path], Store] = request.param
    return make(request, tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def backend(store: Store, clock: FakeClock) -> AsyncIterator[LogBackend]:
    opened = store.open(clock=clock)
    await opened.start()
    yield opened
    await opened.close()

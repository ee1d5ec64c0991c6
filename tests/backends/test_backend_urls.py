"""backend_from_url: which backend each URL gives."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from yishi.backends import MemoryBackend, backend_from_url
from yishi.backends.sqlite import SqliteBackend

from .conftest import FakeClock


def test_memory(clock: FakeClock) -> None:
    backend = backend_from_url("memory://", clock=clock, node_id="n1")
    assert isinstance(backend, MemoryBackend)
    assert backend.node_id == "n1"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///var/lib/yishi/yishi.db", "/var/lib/yishi/yishi.db"),
        ("sqlite:////var/lib/yishi/yishi.db", "/var/lib/yishi/yishi.db"),
        ("sqlite://yishi-data/yishi.db", "yishi-data/yishi.db"),
    ],
)
def test_sqlite_paths(clock: FakeClock, url: str, path: str) -> None:
    backend = backend_from_url(url, clock=clock)
    assert isinstance(backend, SqliteBackend)
    assert backend.path == Path(path)


async def test_sqlite_creates_the_data_folder(tmp_path: Path, clock: FakeClock) -> None:
    backend = backend_from_url(f"sqlite:///{tmp_path}/new/dir/yishi.db", clock=clock)
    await backend.start()
    try:
        assert (await backend.append("r", "tick")).seq == 1
        assert (tmp_path / "new" / "dir" / "yishi.db").exists()
    finally:
        await backend.close()


def test_redis_is_loaded_lazily(clock: FakeClock) -> None:
    if importlib.util.find_spec("yishi.backends.redis.backend") is None:
        with pytest.raises(ValueError, match="redis"):
            backend_from_url("redis://localhost:6379/0", clock=clock)
    else:
        backend = backend_from_url("redis://localhost:6379/0", clock=clock, node_id="n1")
        assert backend.node_id == "n1"


@pytest.mark.parametrize("url", ["", "postgres://db/yishi", "sqlite://", "yishi.db"])
def test_bad_urls(clock: FakeClock, url: str) -> None:
    with pytest.raises(ValueError):
        backend_from_url(url, clock=clock)


@pytest.mark.parametrize(
    "url",
    [
        "mysql://admin:s3cr3t-pw@db.example/yishi",  # an unknown scheme
        "redis+cluster://:s3cr3t-pw@/0",  # a cluster URL without a seed
    ],
)
def test_a_refused_url_is_told_without_its_password(clock: FakeClock, url: str) -> None:
    with pytest.raises(ValueError) as refused:
        backend_from_url(url, clock=clock)
    assert "s3cr3t-pw" not in str(refused.value) and "***@" in str(refused.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw-one@h:6379/0", "redis://***@h:6379/0"),
        ("redis://user:p/w@x@h/0?password=pw-two&db=1", "redis://***@h/0?password=***&db=1"),
        (
            "redis+cluster://:pw@h1:7000,h2:7001?wait=1",
            "redis+cluster://***@h1:7000,h2:7001?wait=1",
        ),
        ("redis://h:6379/0", "redis://h:6379/0"),
    ],
)
def test_redact_url_hides_user_info_and_password_options(url: str, shown: str) -> None:
    from yishi.redact import redact_url

    assert redact_url(url) == shown

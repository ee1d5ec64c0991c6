"""Room log backends, chosen by URL.

    memory://                      MemoryBackend (tests; nothing persists)
    sqlite:///abs/path/yishi.db    SqliteBackend (the embedded default)
    sqlite://relative/yishi.db     (everything after "sqlite://" is the file path)
    redis://host:6379/0            yishi.backends.redis.backend.RedisBackend (multi-node)
    redis+cluster://h1:7000,h2:7001  the same on a Redis Cluster (seed nodes)

Every backend satisfies :class:`LogBackend`; see :mod:`yishi.backends.base`.
"""

from __future__ import annotations

import importlib

from ..readiness import Readiness
from ..redact import redact_url
from .base import BackendUnavailable, Clock, Listener, LogBackend
from .memory import MemoryBackend, MemoryStore

__all__ = [
    "BackendUnavailable",
    "Clock",
    "Listener",
    "LogBackend",
    "MemoryBackend",
    "MemoryStore",
    "backend_from_url",
]

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://", "redis+cluster://")


def backend_from_url(
    url: str, *, clock: Clock, node_id: str | None = None, readiness: Readiness | None = None
) -> LogBackend:
    """A new, not yet started backend for ``url``. Raises ``ValueError`` for a URL it
    cannot serve (unknown scheme, empty path, backend module not installed).

    ``readiness``: where a backend reports what makes the node unready beyond being
    unreachable (SQLite's disk full, a Redis that lost its data)."""
    if url.startswith("memory://"):
        return MemoryBackend(clock=clock, node_id=node_id)
    if url.startswith("sqlite://"):
        from .sqlite import SqliteBackend

        path = url[len("sqlite://") :]
        if path.startswith("//"):
            path = "/" + path.lstrip("/")  # sqlite:////abs and f"sqlite:///{abs}" mean /abs
        if not path:
            raise ValueError(f"no database path in {url!r} (sqlite:///path/to/yishi.db)")
        return SqliteBackend(path=path, clock=clock, node_id=node_id, readiness=readiness)
    if url.startswith(_REDIS_SCHEMES):
        try:
            redis_module = importlib.import_module("yishi.backends.redis.backend")
        except ModuleNotFoundError as exc:
            if exc.name != "yishi.backends.redis.backend":
                raise
            raise ValueError(
                f"the redis backend is not available in this build ({redact_url(url)!r})"
            ) from exc
        backend: LogBackend = redis_module.RedisBackend(
            url=url, clock=clock, node_id=node_id, readiness=readiness
        )
        return backend
    raise ValueError(
        f"unknown log backend URL {redact_url(url)!r}: use memory://, sqlite:///path or redis://"
    )

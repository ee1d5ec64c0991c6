"""A real ``redis-server`` for tests: a free port, its own folder, append-only with
``appendfsync always`` (the durable setting docs/operations.md asks for), and no
RDB snapshots. Restartable on the same port and folder, so a test can kill Redis
and check that nothing acknowledged was lost.

Never skipped: without redis-server the tests fail and say how to install it.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        pytest.fail(
            "redis-server is not installed; the Redis tests need a real one: "
            "`apt-get install redis-server` (tests/run.sh does this)",
            pytrace=False,
        )
    return found


class RedisServer:
    """One redis-server process; ``restart()`` keeps its port and its AOF folder."""

    def __init__(self, workdir: Path, *, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=self.port, socket_timeout=5, socket_connect_timeout=1
        )

    start_timeout = START_TIMEOUT

    def extra_args(self) -> list[str]:
        """More redis-server options (a cluster member's, say)."""
        return []

    def start(self) -> None:
        assert self.proc is None, "already running"
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.workdir / "redis.log"
        self.proc = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.workdir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--daemonize",
                "no",
                "--logfile",
                str(log),
                *self.extra_args(),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.start_timeout
        with self.client() as probe:
            while True:
                if self.proc.poll() is not None:
                    code, self.proc = self.proc.returncode, None
                    raise RuntimeError(f"redis-server exited with {code}:\n{self.log_tail()}")
                try:
                    if probe.ping():
                        return
                except redis.exceptions.BusyLoadingError:
                    pass  # replaying its AOF: ready soon
                except redis.exceptions.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    self.stop(signal.SIGKILL)
                    raise RuntimeError(
                        f"redis-server not ready in {self.start_timeout}s:\n{self.log_tail()}"
                    )
                time.sleep(0.02)  # a port that is not listening yet: nothing to wait on

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        self.proc = None

    def flush(self) -> None:
        with self.client() as c:
            c.flushall()

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = (self.workdir / "redis.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session (tests that need an empty one call ``flush()``)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def lose_entries_after(server: RedisServer, room_id: str, keep: int) -> None:
    """What a promoted replica without the tail looks like: entries past ``keep`` gone."""
    log = f"yishi:{{{room_id}}}:log"
    with server.client() as c:
        kept = c.xrange(log, max=f"{keep}-0")
        c.delete(log)  # made again: a stream's top id never goes down
        for row_id, fields in kept:
            c.xadd(log, fields, id=row_id)
        c.set(f"yishi:{{{room_id}}}:seq", keep)
        c.set(f"yishi:{{{room_id}}}:durable", keep)

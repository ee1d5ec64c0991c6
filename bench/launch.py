"""Start and stop the servers under test, each as its own process on a free loopback port.

Every wait is for a readiness signal (an HTTP 200, a PONG) with a deadline, and
fails early with the tail of the server's log if the process exits first.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
READY_TIMEOUT = 30.0


class LaunchError(Exception):
    """A server did not come up; the message carries the end of its log."""


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    label: str
    kind: str  # the load generator's dialect: b0, sio, yishi
    nodes: int
    redis: bool


SERVERS = {
    s.name: s
    for s in (
        Server("b0", "B0 websockets.broadcast", "b0", 1, False),
        Server("b1", "B1 python-socketio (uvicorn)", "sio", 1, False),
        Server("b1-2n", "B1 2 nodes + AsyncRedisManager", "sio", 2, True),
        Server("yishi", "Yishi, 1 node (SQLite)", "yishi", 1, False),
        Server("yishi-2n", "Yishi, 2 nodes + Redis", "yishi", 2, True),
    )
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class _Proc:
    def __init__(self, cmd: list[str], *, log: Path) -> None:
        self.log = log
        self._file: TextIO = open(log, "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        # Its own session, so that stop() can end the server and any helper it spawned.
        self.popen = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def check(self, what: str) -> None:
        if self.popen.poll() is not None:
            tail = _tail(self.log)
            last = tail.splitlines()[-1] if tail else ""
            raise LaunchError(
                f"{what} exited with {self.popen.returncode} before it was ready: {last}\n{tail}"
            )

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._file.close()


def _wait(proc: _Proc, what: str, probe: Any) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        proc.check(what)
        try:
            ok, last = probe()
            if ok:
                return
        except OSError as e:
            last = repr(e)
        time.sleep(0.05)  # polling a readiness endpoint, bounded by the deadline
    raise LaunchError(f"{what} not ready after {READY_TIMEOUT:.0f} s ({last}):\n{_tail(proc.log)}")


def _http_ok(port: int, path: str) -> Any:
    def probe() -> tuple[bool, str]:
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", path)
            status = conn.getresponse().status
        finally:
            conn.close()
        return status == 200, f"GET {path}: {status}"

    return probe


def _redis_ok(port: int) -> Any:
    def probe() -> tuple[bool, str]:
        with socket.create_connection((HOST, port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            got = s.recv(64)
        return got.startswith(b"+PONG"), repr(got)

    return probe


@contextlib.contextmanager
def running(server: Server, *, logdir: Path, tag: str) -> Iterator[dict[str, Any]]:
    """Start ``server`` (and its redis-server), yield the load generator's target, stop all."""
    procs: list[_Proc] = []
    work = Path(tempfile.mkdtemp(prefix=f"yishi-bench-{server.name}-"))
    try:
        redis_url = None
        if server.redis:
            rport = free_port()
            # Redis persists the way the architecture asks of production: every write fsynced.
            redis = _Proc(
                [
                    "redis-server",
                    "--port",
                    str(rport),
                    "--bind",
                    HOST,
                    "--save",
                    "",
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                    "--dir",
                    str(work),
                ],
                log=logdir / f"{tag}-redis.log",
            )
            procs.append(redis)
            _wait(redis, "redis-server", _redis_ok(rport))
            redis_url = f"redis://{HOST}:{rport}/0"
        admin = secrets.token_urlsafe(24)  # the server wants 24 characters or more
        secret = secrets.token_urlsafe(32)
        nodes: list[tuple[str, int]] = []
        for i in range(server.nodes):
            port = free_port()
            if server.kind == "b0":
                cmd = [sys.executable, "-m", "bench.servers.b0", "--port", str(port)]
                ready = "/healthz"
            elif server.kind == "sio":
                cmd = [sys.executable, "-m", "bench.servers.b1", "--port", str(port)]
                cmd += ["--redis", redis_url] if redis_url else []
                ready = "/healthz"
            else:
                data = work / f"node{i}"
                data.mkdir()
                cmd = [
                    sys.executable,
                    "-m",
                    "yishi",
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(port),
                    "--data-dir",
                    str(data),
                    # `=` form: a random token may begin with "-", which argparse
                    # would take for an option.
                    f"--admin-token={admin}",
                    f"--secret={secret}",
                ]
                cmd += ["--redis", redis_url] if redis_url else []
                ready = "/readyz"
            proc = _Proc(cmd, log=logdir / f"{tag}-node{i}.log")
            procs.append(proc)
            _wait(proc, f"{server.label} node {i} ({' '.join(cmd[1:4])})", _http_ok(port, ready))
            nodes.append((HOST, port))
        yield {
            "kind": server.kind,
            "nodes": nodes,
            "pids": [p.popen.pid for p in procs[1 if server.redis else 0 :]],
            "redis_pid": procs[0].popen.pid if server.redis else None,
            "admin_token": admin,
        }
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(work, ignore_errors=True)

"""Several real `python3 -m yishi serve --redis ...` processes on one redis-server, and
the clients a test spreads over them. Nothing from `yishi` is imported: the nodes
are driven through the wire contract (tests/server/roomclient.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

import httpx
from redisserver import free_port
from roomclient import PUBLIC_EVENT_TYPES, Api, Client, Json, Person

ADMIN = "redis-test-admin-token-0123456789"
SECRET = "redis-test-secret-key-abcdefghijk"
NODE_TTL_S = 2.0  # YISHI_NODE_TTL for the test nodes: a killed node is noticed quickly
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class NodeProcess:
    """One `yishi serve --redis` on a free port; restartable on the same port."""

    def __init__(
        self, name: str, redis_url: str, workdir: Path, options: Sequence[str] = ()
    ) -> None:
        self.name = name
        self.options = list(options)  # more `yishi serve` options
        self.redis_url = redis_url
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{name}.log"
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def launch(self) -> None:
        """Start the process without waiting for it (see :meth:`wait_healthy`)."""
        assert self.proc is None, "already running"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
        env.update(PYTHONUNBUFFERED="1", YISHI_NODE_TTL=str(NODE_TTL_S))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "yishi",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--redis",
                self.redis_url,
                "--data-dir",
                str(self.workdir / f"{self.name}-data"),
                "--admin-token",
                ADMIN,
                "--secret",
                SECRET,
                *self.options,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )

    def wait_healthy(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        with httpx.Client(trust_env=False, timeout=1.0) as http:
            while True:
                if self.proc.poll() is not None:
                    code = self.proc.returncode
                    self._reap()
                    raise RuntimeError(f"{self.name} exited with {code}:\n{self.log_tail()}")
                try:
                    if http.get(f"{self.base_url}/healthz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self.stop(signal.SIGKILL)
                    raise RuntimeError(
                        f"{self.name}: no /healthz in {START_TIMEOUT}s:\n{self.log_tail()}"
                    )
                time.sleep(0.05)  # a port that is not listening yet: nothing to wait on

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        code = self.proc.returncode
        self._reap()
        return code

    def _reap(self) -> None:
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Store(Protocol):
    """Where the nodes keep their logs: a RedisServer, or a RedisClusterServer."""

    @property
    def url(self) -> str: ...

    def log_tail(self, lines: int = ...) -> str: ...


class Cluster:
    """The nodes of one test, an HTTP API per node, and every client to close at the end."""

    def __init__(self, redis: Store, workdir: Path) -> None:
        self.redis: Any = redis  # tests of one redis-server also stop, start and query it
        self.workdir = workdir
        self.nodes: list[NodeProcess] = []
        self.apis: list[Api] = []
        self.clients: list[Client] = []
        self.room_by_token: dict[str, str] = {}

    def start(self, count: int, options: Sequence[str] = ()) -> list[NodeProcess]:
        """Start ``count`` more nodes (in parallel, with more ``yishi serve`` ``options``)
        and wait until each answers /healthz."""
        new = [
            NodeProcess(f"node{len(self.nodes) + i}", self.redis.url, self.workdir, options)
            for i in range(count)
        ]
        for node in new:
            node.launch()
        for node in new:
            node.wait_healthy()
        self.nodes.extend(new)
        self.apis.extend(Api(node.base_url, ADMIN) for node in new)
        return new

    def api(self, node: int) -> Api:
        return self.apis[node]

    async def connect(
        self,
        node: int,
        token: str,
        *,
        label: str,
        since: int | None = None,
        epoch: str | None = None,
        proto: str = "json",
    ) -> Client:
        client = await Client.open(
            self.nodes[node].ws_base, self._room_of(token), proto, label=f"{label}@node{node}"
        )
        self.clients.append(client)
        reply = await client.hello(token, since, epoch=epoch)
        assert reply.ok, f"{client.label}: hello failed: {reply.raw}"
        return client

    def _room_of(self, token: str) -> str:
        return self.room_by_token[token]

    async def create_room(self, node: int = 0, **body: Any) -> Json:
        body.setdefault("title", "加装电梯议事会")
        body.setdefault("agenda", ["加装电梯方案", "费用分摊"])
        info = await self.api(node).create_room(**body)
        self.room_by_token[info["moderator_token"]] = info["room_id"]
        return info

    async def join(self, node: int, room: Json, name: str, *, observer: bool = False) -> Person:
        person = await self.api(node).join(
            room["room_id"], room["invite_code"], name, observer=observer
        )
        self.room_by_token[person.token] = room["room_id"]
        return person

    async def staff(self, node: int, room: Json, role: str, name: str) -> Person:
        person = await self.api(node).staff(room["room_id"], room["moderator_token"], role, name)
        self.room_by_token[person.token] = room["room_id"]
        return person

    async def readyz(self, node: int) -> int:
        return (await self.api(node).http.get("/readyz")).status_code

    async def aclose(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients))
        for api in self.apis:
            await api.aclose()
        for node in self.nodes:
            node.stop(signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(f"--- {n.name} ---\n{n.log_tail()}" for n in self.nodes)


def public(
    client: Client, *, after: int = 0, types: Iterable[str] = PUBLIC_EVENT_TYPES
) -> list[tuple[int, str, Json]]:
    """The public events a client saw after ``after``: what every client must agree on."""
    wanted = set(types)
    return [
        (e["seq"], e["type"], e["data"])
        for e in client.events
        if e["type"] in wanted and e["seq"] > after
    ]


async def all_reach(clients: Iterable[Client], seq: int, timeout: float = 15.0) -> None:
    await asyncio.gather(*(c.wait_seq(seq, timeout=timeout) for c in clients))


async def wait_all(
    clients: Iterable[Client],
    type: str,
    predicate: Callable[[Json], bool] | None = None,
    *,
    timeout: float = 10.0,
) -> list[Json]:
    return list(
        await asyncio.gather(*(c.wait_event(type, predicate, timeout=timeout) for c in clients))
    )

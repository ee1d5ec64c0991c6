"""The server side of the harness: a real `yishi serve` subprocess, and a room with
helpers to bring people in. Nothing from `yishi` is imported: the tests speak the
wire contract only.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from roomclient import Api, Client, Json, Person

ADMIN = "test-admin-token-0123456789"
SECRET = "test-secret-key-abcdefghijklmnop"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """`python3 -m yishi serve` on a free port with its own data folder."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        options: list[str] | None = None,
        env: dict[str, str] | None = None,
        admin: str | None = ADMIN,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.options = options or []  # more `yishi serve` options
        self.extra_env = env or {}
        self.admin = admin  # None: the server reads it from elsewhere (a file, its env)
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.proc is None, "already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== start {self.starts} =====\n".encode())
        self._log.flush()
        self.starts += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.extra_env)
        secrets = ["--admin-token", self.admin] if self.admin else []
        if not any(o.startswith("--secret") for o in self.options):
            secrets += ["--secret", SECRET]
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
                "--data-dir",
                str(self.data_dir),
                *secrets,
                *self.options,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + START_TIMEOUT
        with httpx.Client(trust_env=False, timeout=1.0) as http:
            while True:
                if self.proc.poll() is not None:
                    code = self.proc.returncode
                    self._reap()
                    raise RuntimeError(f"server exited with {code} at start:\n{self.log_tail()}")
                try:
                    if http.get(f"{self.base_url}/healthz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self.stop(signal.SIGKILL)
                    raise RuntimeError(f"no /healthz within {START_TIMEOUT}s:\n{self.log_tail()}")
                time.sleep(0.05)  # polling a port that is not listening yet: nothing to wait on

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Send ``sig``; SIGKILL if the process has not exited after STOP_TIMEOUT."""
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

    def restart(self, sig: int = signal.SIGTERM) -> None:
        """Stop and start again on the same data folder and port."""
        self.stop(sig)
        self.start()

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Room:
    """A fresh room on a server, with helpers to bring people in."""

    server: ServerProcess
    api: Api
    info: Json
    clients: list[Client] = field(default_factory=list)

    @property
    def room_id(self) -> str:
        return str(self.info["room_id"])

    @property
    def mod_token(self) -> str:
        return str(self.info["moderator_token"])

    @property
    def invite(self) -> str:
        return str(self.info["invite_code"])

    async def open(
        self, proto: str | None = "json", *, label: str = "", room_id: str | None = None
    ) -> Client:
        """A connected socket that has not said hello yet (closed at teardown)."""
        client = await Client.open(self.server.ws_base, room_id or self.room_id, proto, label=label)
        self.clients.append(client)
        return client

    async def connect(
        self, token: str, proto: str = "json", *, label: str = "", since: int | None = None
    ) -> Client:
        """Connect and say hello; asserts a welcome."""
        client = await self.open(proto, label=label)
        reply = await client.hello(token, since)
        assert reply.ok, f"{client.label}: hello failed: {reply.raw}"
        return client

    async def moderator(self, proto: str = "json", label: str = "mod") -> Client:
        return await self.connect(self.mod_token, proto, label=label)

    async def join(self, name: str, *, observer: bool = False, invite: str | None = None) -> Person:
        return await self.api.join(self.room_id, invite or self.invite, name, observer=observer)

    async def staff(self, role: str, name: str) -> Person:
        return await self.api.staff(self.room_id, self.mod_token, role, name)

    async def resident(
        self, name: str, proto: str = "json", *, observer: bool = False
    ) -> tuple[Person, Client]:
        person = await self.join(name, observer=observer)
        client = await self.connect(person.token, proto, label=name)
        assert client.you is not None and client.you["participant_id"] == person.participant_id
        return person, client

    async def snapshot(self, token: str | None = None) -> Json:
        """A fresh hello's snapshot (moderator's view unless ``token``)."""
        client = await self.open("json", label="snapshot")
        reply = await client.hello(token or self.mod_token)
        assert reply.ok, reply.raw
        await client.close()
        self.clients.remove(client)
        state = reply.result["state"]
        assert isinstance(state, dict)
        return state

    async def close_all(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients))


def comparable(state: Json) -> Json:
    """The parts of a snapshot that an erroneous command must not change (presence
    and the viewer's own entry move on their own)."""
    return {k: v for k, v in state.items() if k not in ("participants", "you")}


async def make_room(server: ServerProcess, api: Api, **body: Any) -> Room:
    body.setdefault("title", "加装电梯议事会")
    body.setdefault("topic", "3号楼是否加装电梯")
    body.setdefault("agenda", ["加装电梯方案", "费用分摊"])
    info = await api.create_room(**body)
    return Room(server, api, info)

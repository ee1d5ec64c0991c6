"""A real ``yishi serve`` subprocess and a small WebSocket client for the end-to-end
minutes test. The client speaks the wire contract (PROTOCOL.md) only; every
wait has a timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Json = dict[str, Any]
ADMIN = "minutes-admin-token-0123456789"
SECRET = "minutes-secret-key-abcdefghijklmn"
TIMEOUT = 20.0  # generous: a loaded machine is slow, and only a failing test waits it out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python3 -m yishi serve`` on a free port with its own data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.log_path = data_dir.parent / "server.log"
        self._log: IO[bytes] | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
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
                "--admin-token",
                ADMIN,
                "--secret",
                SECRET,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 30
        with httpx.Client(trust_env=False, timeout=1.0) as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited at start:\n{self.log_tail()}")
                try:
                    if http.get(f"{self.url}/healthz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no /healthz within 30 s:\n{self.log_tail()}")
                time.sleep(0.05)  # nothing to wait on before the port listens

    def log_tail(self, lines: int = 40) -> str:
        if self._log is not None:
            self._log.flush()
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None


class Socket:
    """One participant's WebSocket: replies filed by ``re``, events kept in order."""

    def __init__(self, ws: ClientConnection, label: str) -> None:
        self.ws = ws
        self.label = label
        self.replies: dict[int, Json] = {}
        self.events: list[Json] = []
        self._next_id = 0
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, server: Server, room_id: str, token: str, label: str) -> Socket:
        ws = await connect(
            f"ws://127.0.0.1:{server.port}/ws/{room_id}",
            subprotocols=["yishi.v1.json"],  # type: ignore[list-item]
            open_timeout=TIMEOUT,
            proxy=None,
        )
        sock = cls(ws, label)
        welcome = await sock.call("hello", token=token)
        sock.you = welcome["you"]
        return sock

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                message = json.loads(frame)
                async with self._changed:
                    if "re" in message:
                        self.replies[message["re"]] = message
                    else:
                        self.events.append(message)
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            async with self._changed:
                self._changed.notify_all()

    async def _wait(self, found: Callable[[], Any], what: str) -> Any:
        async def wait() -> Any:
            async with self._changed:
                while not (value := found()):
                    assert not self._reader.done(), f"{self.label}: closed waiting for {what}"
                    await self._changed.wait()
                return value

        try:
            return await asyncio.wait_for(wait(), TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"{self.label}: no {what} within {TIMEOUT}s") from None

    async def reply(self, cmd: str, /, **args: Any) -> Json:
        """Send ``cmd`` and return its whole reply, ok or not."""
        self._next_id += 1
        cid = self._next_id
        await self.ws.send(json.dumps({"id": cid, "cmd": cmd, "args": args}))
        reply: Json = await self._wait(lambda: self.replies.get(cid), f"reply to {cmd}")
        return reply

    async def call(self, cmd: str, /, **args: Any) -> Json:
        """Send ``cmd`` and return its result; the reply must be ok."""
        reply = await self.reply(cmd, **args)
        assert reply["ok"], f"{self.label}: {cmd} {args}: {reply}"
        result: Json = reply["result"]
        return result

    async def event(self, type_: str, match: Callable[[Json], bool] = lambda d: True) -> Json:
        """The first event of ``type_`` whose data matches (waits for it)."""

        def find() -> Json | None:
            return next(
                (e["data"] for e in self.events if e["type"] == type_ and match(e["data"])), None
            )

        found: Json = await self._wait(find, type_)
        return found

    async def online(self, participant_id: str) -> None:
        await self.event(
            "participant.updated", lambda d: d["participant_id"] == participant_id and d["online"]
        )

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.wait_for(self._reader, TIMEOUT)

"""A Redis password never reaches what `yishi serve` prints or logs: not its banner,
not the error when Redis refuses it (a real redis-server with ``requirepass``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import redis
from redisserver import RedisServer, free_port
from yishinodes import ADMIN, NodeProcess

PASSWORD = "hunter2-correct-horse-battery"
WRONG = "wrong-staple-password-9876"


class PasswordRedis(RedisServer):
    def extra_args(self) -> list[str]:
        return ["--requirepass", PASSWORD]

    def client(self) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1",
            port=self.port,
            password=PASSWORD,
            socket_timeout=5,
            socket_connect_timeout=1,
        )


def url(store: RedisServer, password: str) -> str:
    return f"redis://:{password}@127.0.0.1:{store.port}/0"


def test_the_banner_names_redis_without_its_password(tmp_path: Path) -> None:
    store = PasswordRedis(tmp_path / "redis")
    store.start()
    node = NodeProcess("node0", url(store, PASSWORD), tmp_path)
    try:
        node.launch()
        node.wait_healthy()
    finally:
        node.stop()
        store.stop()
    printed = node.log_path.read_text()
    assert f"(log: redis://***@127.0.0.1:{store.port}/0)" in printed, printed
    assert PASSWORD not in printed


def test_a_refused_password_is_not_echoed_from_the_environment(tmp_path: Path) -> None:
    store = PasswordRedis(tmp_path / "redis")
    store.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
    env.update(PYTHONUNBUFFERED="1", YISHI_REDIS_URL=url(store, WRONG))
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "yishi",
                "serve",
                "--port",
                str(free_port()),
                "--admin-token",
                ADMIN,
                "--data-dir",
                str(tmp_path / "data"),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    finally:
        store.stop()
    printed = done.stdout + done.stderr
    assert done.returncode != 0, printed
    assert "invalid username-password pair" in printed  # the reason is told...
    assert WRONG not in printed  # ...without the password

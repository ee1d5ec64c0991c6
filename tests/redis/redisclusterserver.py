"""A real Redis Cluster for tests: six ``redis-server`` processes on free loopback
ports (cluster-enabled, append-only with ``appendfsync always``), made into three
masters with one replica each by ``redis-cli --cluster create``.

Ready means ``CLUSTER INFO`` says ``cluster_state:ok`` on every node and every
node agrees on the slot map; nothing sleeps a fixed time. If six servers cannot
start here, the tests that need them are skipped with the reason.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redisserver import RedisServer, free_port

NODE_TIMEOUT_MS = 2000  # cluster-node-timeout: a dead master is noticed in about this
READY_TIMEOUT = 30.0


class ClusterMember(RedisServer):
    """One redis-server of the cluster (cluster mode on, its own nodes.conf, and its
    bus on a free port of its own rather than port + 10000, which may be taken)."""

    def __init__(self, workdir: Path, *, port: int | None = None) -> None:
        super().__init__(workdir, port=port)
        self.bus_port = free_port()

    start_timeout = READY_TIMEOUT

    def extra_args(self) -> list[str]:
        return [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-port",
            str(self.bus_port),
            "--cluster-node-timeout",
            str(NODE_TIMEOUT_MS),
        ]

    def info(self, section: str) -> dict[str, Any]:
        with self.client() as c:
            return dict(c.info(section))

    def role(self) -> str:
        return str(self.info("replication")["role"])


class RedisClusterServer:
    """Six members: three masters, three replicas. ``url`` is what Yishi is given."""

    def __init__(self, workdir: Path, *, size: int = 6) -> None:
        self.workdir = workdir
        self.members: list[ClusterMember] = []
        taken: set[int] = set()
        while len(self.members) < size:
            member = ClusterMember(workdir / f"m{len(self.members)}", port=free_port())
            if {member.port, member.bus_port} & taken or member.port == member.bus_port:
                continue
            taken |= {member.port, member.bus_port}
            self.members.append(member)

    @property
    def url(self) -> str:
        seeds = ",".join(f"127.0.0.1:{m.port}" for m in self.members[:3])
        return f"redis+cluster://{seeds}"

    def start(self) -> None:
        for member in self.members:
            member.start()
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli is not installed")
        out = subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{m.port}" for m in self.members),
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed:\n{out.stdout}{out.stderr}")
        self.wait_ok()

    def alive(self) -> list[ClusterMember]:
        return [m for m in self.members if m.proc is not None]

    def wait_ok(self, timeout: float = READY_TIMEOUT) -> None:
        """Until every live member says ``cluster_state:ok``, sees all 16384 slots
        served, and every replica's link to its master is up."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if all(self._member_ok(m) for m in self.alive()):
                    return
            except redis.exceptions.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not become ok:\n" + self.log_tail())
            time.sleep(0.05)  # gossip has no event to wait on from outside

    def _member_ok(self, member: ClusterMember) -> bool:
        with member.client() as c:
            if c.execute_command("CLUSTER INFO").get("cluster_state") != "ok":
                return False
            if len(self._slot_owners(c)) != 16384:
                return False
            info = c.info("replication")
        return bool(info.get("role") == "master" or info.get("master_link_status") == "up")

    @staticmethod
    def _slot_owners(c: redis.Redis) -> dict[int, int]:
        owners: dict[int, int] = {}
        for start, end, master, *_ in c.execute_command("CLUSTER SLOTS"):
            for slot in range(int(start), int(end) + 1):
                owners[slot] = int(master[1])
        return owners

    def masters(self) -> list[ClusterMember]:
        return [m for m in self.alive() if m.role() == "master"]

    def owner(self, slot: int) -> ClusterMember:
        """The live master that serves ``slot`` now (as a live master sees it)."""
        for member in self.masters():
            with member.client() as c:
                port = self._slot_owners(c).get(slot)
            for candidate in self.alive():
                if candidate.port == port:
                    return candidate
        raise LookupError(f"no live master serves slot {slot}")

    def replica_of(self, master: ClusterMember) -> ClusterMember:
        for member in self.alive():
            info = member.info("replication")
            if info.get("role") == "slave" and int(info.get("master_port", 0)) == master.port:
                return member
        raise LookupError(f"master on {master.port} has no live replica")

    def stop(self) -> None:
        for member in self.members:
            member.stop(signal.SIGKILL)

    def log_tail(self, lines: int = 10) -> str:
        return "\n".join(f"--- {m.port} ---\n{m.log_tail(lines)}" for m in self.members)


def start_cluster(workdir: Path, *, attempts: int = 3) -> RedisClusterServer:
    """A running six-process cluster, or the test is skipped saying why it could not start.

    A free port may be taken by another process between being picked and being
    bound (other suites run beside this one): that is retried on new ports.
    """
    if shutil.which("redis-cli") is None:
        pytest.skip("redis-cli is not installed: the cluster tests need it to create a cluster")
    for attempt in range(1, attempts + 1):
        server = RedisClusterServer(workdir / f"try{attempt}")
        try:
            server.start()
            return server
        except Exception as exc:
            server.stop()
            if "Address already in use" in str(exc) and attempt < attempts:
                continue
            pytest.skip(f"could not start a six-process Redis Cluster here: {exc}")
    raise AssertionError("unreachable")


def flush_cluster(server: RedisClusterServer) -> None:
    """Empty every master (the replicas follow)."""
    for member in server.masters():
        with member.client() as c:
            c.flushall()


@pytest.fixture(scope="session")
def redis_cluster_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServer]:
    """One six-process cluster for the session, for tests that do not break it
    (they call :func:`flush_cluster` for an empty one)."""
    server = start_cluster(tmp_path_factory.mktemp("redis-cluster"))
    yield server
    server.stop()

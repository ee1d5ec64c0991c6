"""Fixtures for the black-box server tests: a real `yishi serve` subprocess per module
(or per test, where a test stops it), real WebSocket and HTTP clients, a fresh room
per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import pytest
from roomclient import Api
from roomharness import ADMIN, Room, ServerProcess, make_room


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report on the item, so fixtures can tell a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def show_log_if_failed(request: pytest.FixtureRequest, proc: ServerProcess) -> None:
    """On a failed test, print the server's log tail (shown as captured teardown output)."""
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(f"--- server log ({proc.log_path}) ---\n{proc.log_tail(80)}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for a module whose tests each use their own rooms.

    Its keepalive waits 300 s: a test client reading thousands of events on a busy
    machine can fall 20 s behind, and the server would rightly close it (1011). The
    keepalive is tested on servers of its own (test_room_socket.py)."""
    proc = ServerProcess(tmp_path_factory.mktemp("yishi") / "data", options=["--ws-ping", "300"])
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def own_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server for one test (tests that stop it, or that exhaust a per-address limit)."""
    proc = ServerProcess(tmp_path / "data")
    proc.start()
    yield proc
    show_log_if_failed(request, proc)
    proc.stop()


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(server.base_url, ADMIN)
    yield client
    await client.aclose()


@pytest.fixture
async def room(
    request: pytest.FixtureRequest, server: ServerProcess, api: Api
) -> AsyncIterator[Room]:
    """A fresh room on the module's server. At teardown every socket is closed and
    checked: strictly increasing seq, frames of the negotiated kind."""
    r = await make_room(server, api)
    yield r
    show_log_if_failed(request, server)
    await r.close_all()
    problems = [p for c in r.clients for p in c.order_problems()]
    assert not problems, problems

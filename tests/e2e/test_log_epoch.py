"""A page away while the room's log lost its tail (a Redis failover that promoted a
replica without the last entries) comes back to the log's history, not its own: it
names its epoch in the hello (docs/protocol.md, "The log's epoch"), and the welcome
replaces its state, so a message the log no longer holds is not shown for ever."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Pages, Server
from helpers import expect_connected
from playwright.sync_api import expect
from test_resident_page import People, resident
from websockets.exceptions import ConnectionClosed
from yishi.wire import CLOSE_RESTARTING

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "redis"))
from redisserver import RedisServer, lose_entries_after

pytestmark = pytest.mark.e2e


@pytest.fixture
def redis_node(tmp_path: Path) -> Iterator[tuple[RedisServer, Server]]:
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    node = Server(tmp_path / "node" / "data", extra_args=["--redis", redis.url])
    try:
        node.start()
        yield redis, node
    finally:
        node.stop()
        redis.stop()


def test_a_page_away_during_a_lost_tail_takes_the_logs_history_back(
    redis_node: tuple[RedisServer, Server], pages: Pages, people: list[People]
) -> None:
    redis, node = redis_node
    room = node.create_room(title="加装电梯议事会", topic="3 号楼是否加装电梯")
    folk = People(room)
    people.append(folk)
    mod = folk.moderator()
    page = resident(pages, room.invite_url, "周奶奶")
    mod.call("session.start")
    chat = page.locator("#chat-list")
    mod.call("chat.send", text="留下的")
    expect(chat).to_contain_text("留下的")
    seq = f"yishi:{{{room.room_id}}}:seq"
    with redis.client() as c:
        keep = int(c.get(seq))
    mod.call("chat.send", text="会丢的")
    expect(chat).to_contain_text("会丢的")
    page.context.set_offline(True)
    expect(page.locator("#conn")).not_to_have_text("已连接")

    lose_entries_after(redis, room.room_id, keep)  # the promoted replica, without the tail
    with redis.client() as c:
        c.client_kill_filter(_type="pubsub")  # the node hears Redis again, and compares
    with contextlib.suppress(ConnectionClosed):  # the node resets the room: 1012 to all
        while True:
            mod.ws.recv(timeout=60)
    assert mod.ws.close_code == CLOSE_RESTARTING, mod.ws.close_code
    again = People(room)
    people.append(again)
    chair = again.moderator()
    for i in range(3):  # the log passes the page's seq under other entries
        chair.call("chat.send", text=f"之后{i}")

    page.context.set_offline(False)
    expect_connected(page)
    expect(chat).to_contain_text("之后2")
    expect(chat).not_to_contain_text("会丢的")
    expect(chat).to_contain_text("留下的")

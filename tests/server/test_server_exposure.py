"""What someone who knows only a room's id can learn (not its invite code), and what
/metrics tells and to whom (docs/operations.md, "Security")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from roomclient import Api, assert_http_error
from roomharness import ADMIN, Room, ServerProcess, free_port, make_room

METRICS_TOKEN = "metrics-token-0123456789abcdef"


async def test_the_room_id_alone_does_not_give_the_invite_code(room: Room) -> None:
    """Today's failure: the unauthenticated qr.svg encoded the invite link."""
    api, rid = room.api, room.room_id
    person = await room.join("甲")
    assert_http_error(await api.qr(rid), (401, "unauthorized"))
    assert_http_error(await api.qr(rid, person.token), (403, "forbidden"))
    qr = await api.qr(rid, room.mod_token)
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert "no-store" in qr.headers["cache-control"]
    # A clerk keeps the door with the moderator and shows the code to those who
    # arrive (issue 26: the clerk's page got 403); an office does not.
    clerk, office = await room.staff("clerk", "李记录"), await room.staff("office", "街道办")
    assert (await api.qr(rid, clerk.token)).status_code == 200
    assert_http_error(await api.qr(rid, office.token), (403, "forbidden"))
    # Nothing else a stranger can fetch with the room id carries the code.
    mod = await room.moderator()
    await mod.ok("session.start")
    await mod.ok("decision.record", text="先做方案公示")
    await mod.ok("minutes.publish")
    public = [
        await api.summary(rid),
        await api.http.get(f"/r/{rid}"),
        await api.http.get(f"/r/{rid}/minutes"),
        await api.http.get(f"/m/{rid}"),
    ]
    public += [await api.minutes(rid, None, fmt) for fmt in ("json", "md", "html")]
    for response in public:
        assert response.status_code == 200, (response.url, response.status_code)
        assert room.invite not in response.text, response.url
    assert room.invite not in (await api.minutes(rid, None, "docx")).content.decode("latin-1")
    # The moderator's own view has it (the console shows the link as text).
    assert (await room.snapshot())["room"]["invite_code"] == room.invite


async def test_metrics_do_not_count_votes(room: Room) -> None:
    """Today's failure: yishi_commands{cmd="poll.vote"} counted ballots as they came."""
    mod = await room.moderator()
    _, voter = await room.resident("甲")
    await mod.ok("session.start")
    poll = await mod.ok("poll.open", question="是否同意", kind="yes_no_abstain", secret=True)
    await voter.ok("poll.vote", poll_id=poll["poll_id"], choices=[0])
    text = (await room.api.http.get("/metrics")).text
    assert 'cmd="poll.open"' in text  # commands are counted ...
    assert "poll.vote" not in text  # ... but not ballots
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    labelled = [line.split("{", 1)[1].split("}")[0] for line in samples if "{" in line]
    assert labelled and not any("room" in labels for labels in labelled)  # no room label


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[tuple[ServerProcess, int]]:
    metrics_port = free_port()
    proc = ServerProcess(
        tmp_path / "data",
        options=["--metrics-port", str(metrics_port)],
        env={"YISHI_METRICS_TOKEN": METRICS_TOKEN},
    )
    proc.start()
    yield proc, metrics_port
    proc.stop()


async def test_metrics_token_and_port(guarded: tuple[ServerProcess, int]) -> None:
    """Today's failure: neither option existed; /metrics was public on the main port."""
    proc, metrics_port = guarded
    api = Api(proc.base_url, ADMIN)
    metrics_url = f"http://127.0.0.1:{metrics_port}"
    try:
        room = await make_room(proc, api)
        async with httpx.AsyncClient(base_url=metrics_url, trust_env=False, timeout=10) as http:
            assert_http_error(await http.get("/metrics"), (401, "unauthorized"))
            assert_http_error(
                await http.get("/metrics", headers=api.bearer("x" * 30)), (401, "unauthorized")
            )
            scraped = await http.get("/metrics", headers=api.bearer(METRICS_TOKEN))
            assert scraped.status_code == 200 and "yishi_rooms_hosted" in scraped.text
            # The metrics port serves nothing else ...
            assert_http_error(await http.get(f"/api/rooms/{room.room_id}"), (404, "not_found"))
            assert (await http.get("/")).status_code == 404
        # ... and does not take WebSockets, room sockets included.
        reader, writer = await asyncio.open_connection("127.0.0.1", metrics_port)
        writer.write(
            f"GET /ws/{room.room_id} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 404"), answer[:80]
        # The main port serves everything but /metrics.
        assert_http_error(
            await api.http.get("/metrics", headers=api.bearer(METRICS_TOKEN)), (404, "not_found")
        )
        assert (await api.summary(room.room_id)).status_code == 200
        assert "Metrics: http://127.0.0.1:" in proc.log_path.read_text()
    finally:
        await api.aclose()

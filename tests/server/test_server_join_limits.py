"""The join limiter against a real `yishi serve`: a hall behind one address still gets
in, guessing stays slow from one address or many, and X-Forwarded-For is believed
only from the proxies the operator names (docs/protocol.md, "Join attempts").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from roomclient import Api, assert_http_error
from roomharness import ADMIN, Room, ServerProcess, make_room

BACKSTOP = 60  # failures a minute from one address (server/ratelimit.py, JoinLimiter)


@pytest.fixture
async def proxied(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A server behind a proxy on loopback: X-Forwarded-For names the client."""
    proc = ServerProcess(tmp_path / "data", options=["--forwarded-allow-ips", "127.0.0.1"])
    proc.start()
    yield proc
    proc.stop()


async def guess(
    api: Api, room_id: str, code: str, *, address: str | None = None, name: str = "猜"
) -> httpx.Response:
    headers = {"x-forwarded-for": address} if address else {}
    return await api.http.post(
        f"/api/rooms/{room_id}/join", json={"invite": code, "name": name}, headers=headers
    )


async def test_a_halls_typos_do_not_lock_it_out(own_server: ServerProcess) -> None:
    """Today's failure: 10 wrong codes from one address locked every join from it."""
    api = Api(own_server.base_url, ADMIN)
    try:
        first, second = await make_room(own_server, api), await make_room(own_server, api)
        for i in range(25):  # a hall of people mistyping, each a different typo
            assert_http_error(
                await guess(api, first.room_id, f"typo{i:04d}"), (401, "unauthorized")
            )
        for _ in range(40):  # and one of them retrying the same typo
            assert_http_error(await guess(api, first.room_id, "k7m2p9qy"), (401, "unauthorized"))
        assert (await first.join("张家")).token
        assert (await second.join("李家")).token
    finally:
        await api.aclose()


async def test_one_address_cannot_guess_fast(own_server: ServerProcess) -> None:
    api = Api(own_server.base_url, ADMIN)
    try:
        rooms = [await make_room(own_server, api) for _ in range(3)]
        statuses = []
        for i in range(3 * BACKSTOP):  # spread over rooms: the backstop is per address
            response = await guess(api, rooms[i % 3].room_id, f"guess{i:05d}")
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert_http_error(response, (429, "rate_limited"))
                break
        assert statuses[-1] == 429 and len(statuses) <= BACKSTOP + 10, statuses
    finally:
        await api.aclose()


async def test_forwarded_for_is_not_believed_by_default(own_server: ServerProcess) -> None:
    """Today's failure: uvicorn believed X-Forwarded-For from loopback, so each guess
    could claim a fresh address."""
    api = Api(own_server.base_url, ADMIN)
    try:
        room = await make_room(own_server, api)
        statuses = []
        for i in range(2 * BACKSTOP):
            response = await guess(
                api, room.room_id, f"guess{i:05d}", address=f"10.1.{i // 250}.{i % 250 + 1}"
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses[-1] == 429, f"no 429 after {len(statuses)} guesses"
    finally:
        await api.aclose()


async def test_guessing_from_many_addresses_slows_to_a_crawl(proxied: ServerProcess) -> None:
    """Many addresses guessing one room: once the room has had its failures for the
    minute, an address that guessed there waits; one that did not is still let in."""
    api = Api(proxied.base_url, ADMIN)
    try:
        room = await make_room(proxied, api)
        guessers = [f"10.2.{i // 250}.{i % 250 + 1}" for i in range(2 * BACKSTOP)]
        for i, address in enumerate(guessers):
            assert_http_error(
                await guess(api, room.room_id, f"guess{i:05d}", address=address),
                (401, "unauthorized"),
            )
        # Each guesser's second guess waits (one guess a minute each, at most).
        for i, address in enumerate(guessers[:5]):
            assert_http_error(
                await guess(api, room.room_id, f"again{i:05d}", address=address),
                (429, "rate_limited"),
            )
        # Nobody else is locked out: a newcomer's right code gets in, a wrong one is checked.
        joined = await guess(api, room.room_id, room.invite, address="192.0.2.7", name="新人")
        assert joined.status_code == 200, joined.text
        assert_http_error(
            await guess(api, room.room_id, "wrong000", address="192.0.2.8"), (401, "unauthorized")
        )
        # Another room is untouched, from a guessing address too.
        other = await make_room(proxied, api)
        assert (
            await guess(api, other.room_id, other.invite, address=guessers[0])
        ).status_code == 200
    finally:
        await api.aclose()


async def test_a_personal_code_held_elsewhere_is_not_tried_for_ever(room: Room) -> None:
    (code,) = await room.api.invites(room.room_id, room.mod_token, 1)
    await room.api.join(room.room_id, code, "张家", device="the-households-phone")
    statuses = []
    for i in range(30):
        response = await room.api.join_raw(
            room.room_id, {"invite": code, "name": "张家", "device": f"another-device-{i:04d}"}
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {403}, statuses


async def test_wrong_admin_tokens_are_rate_limited(own_server: ServerProcess) -> None:
    """Today's failure: any number of wrong admin tokens got 401 each."""
    api = Api(own_server.base_url, ADMIN)
    try:
        statuses = []
        for i in range(10):
            response = await api.create_room_raw({"title": "x"}, token=f"wrong-token-{i:04d}")
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert_http_error(response, (429, "rate_limited"))
                break
        assert statuses[-1] == 429 and len(statuses) <= 6, statuses
        # The address waits, even with the right token; the wrong tokens created nothing.
        assert_http_error(await api.create_room_raw({"title": "x"}), (429, "rate_limited"))
    finally:
        await api.aclose()

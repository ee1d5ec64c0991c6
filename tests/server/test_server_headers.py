"""Every HTTP answer carries the security headers; the minutes keep their own policy."""

from __future__ import annotations

import pytest
from roomclient import Api
from roomharness import Room

PATHS = [
    "/",
    "/r/{room}",
    "/m/{room}",
    "/r/{room}/minutes",
    "/static/js/util.js",
    "/api/rooms/{room}",
    "/api/rooms/{room}/minutes",
    "/api/rooms/nope",
    "/healthz",
]


@pytest.mark.parametrize("path", PATHS)
async def test_security_headers_on_every_answer(room: Room, api: Api, path: str) -> None:
    response = await api.http.get(path.format(room=room.room_id))
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


async def test_the_minutes_as_html_keep_their_own_stricter_policy(room: Room, api: Api) -> None:
    response = await api.minutes(room.room_id, room.mod_token, fmt="html")
    assert response.status_code == 200
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers.get_list("content-security-policy") == [
        response.headers["content-security-policy"]
    ]

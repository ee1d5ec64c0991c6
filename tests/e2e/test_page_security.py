"""The pages under their security headers: they run with a policy that forbids
inline script, and a moderator's token leaves the address bar once read (the
console is projected in halls), while a reload keeps working."""

from __future__ import annotations

import pytest
from conftest import Pages, Server
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e  # runs last, with the other browser tests (tests/conftest.py)


def test_the_moderator_token_leaves_the_address_bar_and_a_reload_still_works(
    server: Server, pages: Pages
) -> None:
    room = server.create_room(title="停车位议事会")
    mod = pages.open(room.moderator_url, width=1280)
    violations: list[str] = []
    mod.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    expect(mod.locator("#room-title")).to_have_text("停车位议事会")
    assert "#token" not in mod.url and "token" not in mod.evaluate("location.href")
    mod.reload()
    expect(mod.locator("#room-title")).to_have_text("停车位议事会")
    assert "token" not in mod.url
    assert not violations, violations
    # A page of another tab (a link copied from the wall) does not carry the key.
    other = pages.open(f"{server.base_url}/m/{room.room_id}", width=1280)
    expect(other.get_by_role("heading", name="缺少主持人密钥")).to_be_visible()

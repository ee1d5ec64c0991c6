"""Approved and signed minutes in real pages (issue 16, part 4): the moderator
approves the reviewed draft from the console naming the clerk, the clerk signs
from their own page, and the public minutes page says "approved by ...".

The session is arranged over a raw websocket (the `Socket` of test_cockpit.py);
every wait is for something the page shows.
"""

from __future__ import annotations

import json
import re

import pytest

# Imported with the module: by run time `conftest` may name another folder's conftest.
from conftest import Pages, Server, assert_accessible, screenshot
from helpers import confirm_next_dialog, expect_connected, moderator
from playwright.sync_api import expect
from test_cockpit import LAPTOP, Socket

pytestmark = pytest.mark.e2e


def test_the_moderator_approves_the_clerk_signs_the_public_page_shows_it(
        server: Server, pages: Pages) -> None:
    room = server.create_room(title="加装电梯议事会", agenda=["3号楼加装电梯方案"])
    status, raw = server.request("POST", f"/api/rooms/{room.room_id}/staff",
                                 token=room.moderator_token,
                                 body={"role": "clerk", "name": "李书记员"})
    assert status == 200, (status, raw)
    clerk_token = json.loads(raw)["token"]
    sock = Socket(server, room, room.moderator_token)
    sock.cmd("session.start")
    sock.cmd("decision.record", text="同意加装电梯。")
    sock.cmd("session.end")

    mod = moderator(pages, room)
    mod.set_viewport_size(LAPTOP)
    card = mod.locator("#approval")
    expect(card).to_be_visible()
    mod.locator("#approve-review-btn").click()
    expect(mod.locator("#approve-digest")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    digest = mod.locator("#approve-digest").inner_text()  # what the moderator approves
    mod.locator("#approve-cosigner").select_option(label="李书记员（记录员）")
    confirm_next_dialog(mod)
    mod.locator("#approve-btn").click()
    expect(card.locator(".approval-state")).to_have_text("等待第二签署人 李书记员（记录员） 签署")
    screenshot(mod, "approval-waiting")

    clerk = pages.open(f"{server.base_url}/m/{room.room_id}#token={clerk_token}", width=1280)
    clerk.set_viewport_size(LAPTOP)
    expect_connected(clerk)
    confirm_next_dialog(clerk)
    clerk.locator("#sign-btn").click()
    approved = clerk.locator("#approval .approval-state.approved")
    expect(approved).to_contain_text("和 李书记员（记录员） 于")
    expect(card.locator(".approval-state.approved")).to_contain_text("批准")
    expect(card.locator(".digest")).to_have_text(digest)
    screenshot(clerk, "approval-signed")

    sock.cmd("minutes.publish")
    public = pages.open(f"{server.base_url}/r/{room.room_id}/minutes", width=1280)
    box = public.locator("#approval-box")
    expect(box).to_contain_text("经 ")
    expect(box).to_contain_text("（主持人） 和 李书记员（记录员） 于")
    expect(box.locator(".digest")).to_have_text(digest)
    sock.cmd("minutes.amend", text="更正：决定于 19:30 作出。")
    public.reload()
    after = public.locator("#after-approval")
    expect(after).to_contain_text("批准之后")
    expect(after).to_contain_text("更正：决定于 19:30 作出。")
    screenshot(public, "approval-public")
    assert_accessible(public, "approval-public")
    sock.close()


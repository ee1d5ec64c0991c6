"""Approved and signed minutes in real pages (issue 16, part 4): the moderator
approves the reviewed draft from the console naming the clerk, the clerk signs
from their own page, and the public minutes page says "approved by ...".

The session is arranged over a raw websocket (the `Socket` of test_cockpit.py);
every wait is for something the page shows.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

# Imported with the module: by run time `conftest` may name another folder's conftest.
from conftest import Pages, Server, assert_accessible, screenshot
from helpers import confirm_next_dialog, expect_connected, moderator
from playwright.sync_api import expect
from test_cockpit import LAPTOP, Socket

pytestmark = pytest.mark.e2e


def test_the_moderator_approves_the_clerk_signs_the_public_page_shows_it(
    server: Server, pages: Pages
) -> None:
    room = server.create_room(title="加装电梯议事会", agenda=["3号楼加装电梯方案"])
    status, raw = server.request(
        "POST",
        f"/api/rooms/{room.room_id}/staff",
        token=room.moderator_token,
        body={"role": "clerk", "name": "李书记员"},
    )
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
    # Plain words for the moderator: the 64-character digest is folded, not read out.
    expect(mod.locator("#approve-digest")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(mod.locator("#approve-digest")).to_be_hidden()
    expect(card).to_contain_text("您将批准此刻的纪要草稿")
    digest = mod.locator("#approve-digest").text_content() or ""  # what the moderator approves
    mod.locator("#approve-cosigner").select_option(label="李书记员（记录员）")
    asked: list[str] = []
    mod.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    mod.locator("#approve-btn").click()
    expect(card.locator(".approval-state")).to_have_text("等待第二签署人 李书记员（记录员） 签署")
    assert asked == ["批准这份纪要？批准后不能修改，只能追加更正。"], asked
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
    expect(box).to_contain_text("并由本系统签名，可以核验")
    expect(box.locator(".digest")).to_have_text(digest)
    expect(box.locator(".digest")).to_be_hidden()  # behind "核验信息", for those who check
    box.get_by_text("核验信息（给需要核对的人）").click()
    expect(box.locator(".digest")).to_be_visible()
    expect(box).to_contain_text("Ed25519")
    sock.cmd("minutes.amend", text="更正：决定于 19:30 作出。")
    public.reload()
    after = public.locator("#after-approval")
    expect(after).to_contain_text("批准之后")
    expect(after).to_contain_text("更正：决定于 19:30 作出。")
    screenshot(public, "approval-public")
    assert_accessible(public, "approval-public")
    sock.close()


def approval_of(server: Server, room: Any) -> dict[str, Any]:
    """What the moderator approves: the draft's entries and digest, as the console reads them."""
    status, raw = server.request(
        "GET",
        f"/api/rooms/{room.room_id}/minutes?format=json&copy=moderator",
        token=room.moderator_token,
    )
    assert status == 200, (status, raw)
    integrity = json.loads(raw)["integrity"]
    return {"entries": integrity["entries"], "digest": integrity["digest"]}


@pytest.mark.parametrize("width", [360, 1280])
def test_public_minutes_lead_with_what_was_decided(
    server: Server, pages: Pages, width: int
) -> None:
    """Her first screen is the outcome (decisions, votes, actions), not the machinery;
    how to check the record comes last, in words; she is offered print and Word, the
    other formats folded under 更多格式."""
    room = server.create_room(title="加装电梯议事会", agenda=["3号楼加装电梯方案"])
    sock = Socket(server, room, room.moderator_token)
    sock.cmd("session.start")
    sock.cmd("decision.record", text="同意加装电梯。")
    sock.cmd("action.add", title="联系电梯公司", owner="居委会", due="2030-01-31")
    sock.cmd("session.end")
    sock.cmd("minutes.approve", **approval_of(server, room))
    sock.cmd("minutes.publish")
    public = pages.open(f"{server.base_url}/r/{room.room_id}/minutes", width=width)
    outcome = public.locator("#outcome")
    expect(outcome).to_contain_text("同意加装电梯。")
    expect(public.locator("#actions-section")).to_contain_text("联系电梯公司")
    assert outcome.bounding_box()["y"] < public.viewport_size["height"]  # on her first screen
    box = public.locator("#approval-box")
    expect(box).to_contain_text("可以核验")
    order = public.evaluate("""() => ['#outcome', '#actions-section', '#doc-body', '#approval-box']
        .map((s) => document.querySelector(s).getBoundingClientRect().top)""")
    assert order == sorted(order), order  # decided first, checked last
    hashes = public.get_by_text(re.compile(r"[0-9a-f]{64}")).all()
    assert hashes and not [x for x in hashes if x.is_visible()]  # kept, folded
    expect(public.get_by_role("button", name="打印")).to_be_visible()
    expect(public.get_by_role("link", name="下载 Word")).to_be_visible()
    expect(public.get_by_role("link", name="下载 Markdown")).to_be_hidden()
    public.get_by_text("更多格式").click()
    expect(public.get_by_role("link", name="下载 Markdown")).to_be_visible()
    screenshot(public, f"minutes-outcome-{width}")
    assert_accessible(public, f"minutes-outcome-{width}")
    sock.close()

"""What a person does on the pages, in the words on the screen (Chinese, the default)."""

from __future__ import annotations

from conftest import Pages, Room
from playwright.sync_api import Page, expect


def join(
    pages: Pages, room: Room, name: str, *, width: int = 360, proto: str | None = None
) -> Page:
    """Open the invite link, type a name, press the big button; return the room page."""
    url = room.invite_url + (f"&proto={proto}" if proto else "")
    page = pages.open(url, width=width)
    fill_join(page, name)
    return page


def fill_join(page: Page, name: str) -> None:
    page.get_by_label("您的称呼").fill(name)
    page.get_by_role("button", name="进入会客厅").click()
    expect_connected(page)
    expect(page.locator("#me-line")).to_contain_text(name)


def expect_connected(page: Page) -> None:
    expect(page.locator("#conn")).to_have_text("已连接")


def moderator(pages: Pages, room: Room, *, width: int = 1280) -> Page:
    page = pages.open(room.moderator_url, width=width)
    expect_connected(page)
    return page


def confirm_next_dialog(page: Page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())


def open_poll(
    mod: Page,
    question: str,
    *,
    kind: str = "yes_no_abstain",
    options: list[str] | None = None,
    live: bool = True,
    secret: bool | None = None,
) -> None:
    """Open a poll from the moderator's form (`secret`: None leaves the form's default, secret)."""
    details = mod.locator("#poll-create")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    mod.get_by_label("投票问题").fill(question)
    mod.get_by_label("投票方式").select_option(kind)
    if options:
        mod.get_by_label("选项（每行一个）").fill("\n".join(options))
    live_box = mod.get_by_label("投票过程中公开实时结果")
    if live_box.is_checked() != live:
        live_box.click()
    secret_box = mod.get_by_label("无记名投票")
    if secret is not None and secret_box.is_checked() != secret:
        secret_box.click()
    mod.locator("#poll-form").get_by_role("button", name="发起投票").click()
    expect(mod.locator("#poll-list")).to_contain_text(question)


def vote(page: Page, question: str, choice: str) -> None:
    card = page.locator("#poll-list > li", has_text=question)
    card.get_by_label(choice, exact=True).check()
    card.get_by_role("button", name="投票").click()
    expect(card.locator(".voted")).to_contain_text(choice)

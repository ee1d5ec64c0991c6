"""One name for each thing (issue 26, item 12): the glossary (static/i18n/glossary.json)
and every output that names a stance, a role, a topic's state, the secret ballot or the
open link: the pages' catalogues, the minutes (Word, Markdown, HTML), the community's
feed and CSV. Once 其他意见 (pages) was 中立 (Word), 无记名 was 不记名, and the open
link was 会议室邀请码 on one page and 公开链接 on another."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from yishi.minutes.catalog import Catalog, strings
from yishi.minutes.glossary import terms

REPO = Path(__file__).resolve().parents[2]
RETIRED = {"zh": ("中立", "不记名", "会议室邀请码", "责任部门")}


def page_catalogue(lang: str) -> dict[str, str]:
    text = (REPO / "static" / "i18n" / f"{lang}.js").read_text(encoding="utf-8")
    return {
        key: json.loads(value) for key, value in re.findall(r'^  "([^"]+)": (".*"),?$', text, re.M)
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pages_use_the_glossarys_words(lang: str) -> None:
    pages = page_catalogue(lang)
    for key, term in terms(lang).items():
        shown = term[:1].upper() + term[1:]  # a page's label starts with a capital
        assert pages.get(key) == shown, (key, pages.get(key), term)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_minutes_use_the_glossarys_words(lang: str) -> None:
    minutes = strings(lang)
    for key, term in terms(lang).items():
        if key.startswith(("stance.", "role.")):
            assert minutes[key] == term, key
    assert terms(lang)["poll.secret"] in minutes["poll.secret"]


def test_no_retired_word_is_left() -> None:
    sources = [
        REPO / "static" / "i18n" / "zh.js",
        REPO / "server" / "minutes" / "templates" / "catalog.zh.json",
        *(REPO / "server").rglob("*.py"),
        *(REPO / "static").glob("*.html"),
    ]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for word in RETIRED["zh"]:
            assert word not in text, (path.name, word)


def test_names_the_server_gave_read_in_the_minutes_language() -> None:
    """主持人 and 会场大屏 are what the server names a moderator and a hall screen when
    no name is typed: English minutes say Moderator and Hall screen; a typed name stays."""
    english, chinese = (
        Catalog("en", session_date="2026-11-30"),
        Catalog("zh", session_date="2026-11-30"),
    )
    assert english.join(["主持人", "王五", "会场大屏"]) == "Moderator, 王五, Hall screen"
    assert chinese.join(["主持人", "王五"]) == "主持人、王五"

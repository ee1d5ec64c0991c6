"""What each format promises beyond its golden file: escaping, self-containment, A4."""

from __future__ import annotations

import io
import re

import docx
from yishi.core.state import RoomState
from yishi.minutes import render_minutes

from .scenario import NASTY


def test_markdown_escapes_what_people_typed(state: RoomState, digest: str) -> None:
    md = render_minutes(state, digest=digest, fmt="md", lang="zh")[0].decode()
    assert "<script>" not in md and "\\<script\\>" in md
    assert "\\[链接\\](http://evil.example/)" in md
    assert "> \\- 第二行" in md  # a typed list item stays text
    assert not re.search(r"^#+ 标题", md, re.MULTILINE)


def test_html_is_self_contained_and_print_ready(state: RoomState, digest: str) -> None:
    html = render_minutes(state, digest=digest, fmt="html", lang="zh")[0].decode()
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for external in ("<script", "<link", "src=", "href=", "url(", "@import"):
        assert external not in html, external
    assert "@page { size: A4;" in html and "@media print" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert f'<meta name="yishi-log-digest" content="{digest}">' in html


def test_word_is_a4_and_keeps_the_text_as_typed(state: RoomState, digest: str) -> None:
    document = docx.Document(
        io.BytesIO(render_minutes(state, digest=digest, fmt="docx", lang="zh")[0])
    )
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert NASTY in [p.text for p in document.paragraphs]
    assert document.core_properties.subject == f"sha256-chain/1 {digest}"
    assert document.paragraphs[0].style.name == "Title"


def test_word_survives_control_characters() -> None:
    from .script import Script

    s = Script()
    s.create(title="会\x07议", topic="", agenda=[], moderator="主持人")
    body = render_minutes(s.state, digest="0" * 64, fmt="docx", lang="zh")[0]
    assert "会议 会议纪要" in [p.text for p in docx.Document(io.BytesIO(body)).paragraphs]

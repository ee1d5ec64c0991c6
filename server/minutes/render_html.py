"""Print-ready HTML from the outline: one self-contained A4 document.

The stylesheet (``templates/minutes.css``) is inlined and a Content Security
Policy forbids every external request, so the file opens offline, prints the
same anywhere and cannot be made to call home by anything a participant typed
(every text is escaped).
"""

from __future__ import annotations

import functools
import html
from importlib import resources

from .blocks import Banner, Bullets, Document, Fields, Heading, Para, Quote, Table

HTML_LANG = {"zh": "zh-CN", "en": "en"}
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@functools.cache
def stylesheet() -> str:
    return (
        resources.files("yishi.minutes")
        .joinpath("templates/minutes.css")
        .read_text(encoding="utf-8")
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _table(block: Table) -> str:
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in block.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>\n" for row in block.rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"


def _block(block: object) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{_e(block.text)}</h{block.level}>"
    if isinstance(block, Banner):
        return f'<p class="banner" role="note">{_e(block.text)}</p>'
    if isinstance(block, Fields):
        rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>\n" for k, v in block.rows)
        return f'<dl class="fields">\n{rows}</dl>'
    if isinstance(block, Para):
        text = _e(block.text)
        if block.strong:
            text = f"<strong>{text}</strong>"
        return f'<p class="mono">{text}</p>' if block.mono else f"<p>{text}</p>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Quote):
        return (
            f'<div class="statement"><p class="label">{_e(block.label)}</p>'
            f"<blockquote>{_e(block.text)}</blockquote></div>"
        )
    if isinstance(block, Bullets):
        items = "".join(f"<li>{_e(item)}</li>\n" for item in block.items)
        return f"<ul>\n{items}</ul>"
    raise TypeError(f"no HTML for {block!r}")


def render_html(doc: Document) -> str:
    body = "\n".join(_block(b) for b in doc.blocks)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{HTML_LANG.get(doc.lang, doc.lang)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="Yishi">\n'
        f'<meta name="yishi-log-digest" content="{_e(doc.digest)}">\n'
        f"<title>{_e(doc.title)}</title>\n"
        f"<style>\n{stylesheet()}</style>\n"
        '</head>\n<body>\n<main class="minutes">\n'
        f"{body}\n"
        "</main>\n</body>\n</html>\n"
    )

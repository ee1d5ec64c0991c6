"""Markdown (CommonMark with GitHub tables) from the outline.

Every text a person typed is escaped, so a statement cannot turn itself into a
heading, a link, raw HTML or a table cell boundary.
"""

from __future__ import annotations

import re

from .blocks import Banner, Bullets, Document, Fields, Heading, Para, Quote, Table

_INLINE = re.compile(r"([\\`*_\[\]<>|#~!&])")
_LINE_START = re.compile(r"^(\s*)([-+>=]|\d+[.)])", re.MULTILINE)


def escape(text: str, *, block_start: bool = True) -> str:
    """``text`` as literal Markdown, line breaks kept. ``block_start``: the text
    begins a block (a paragraph, a list item), where ``- `` or ``1.`` would
    start a list; inline (a cell, bold text) only its later lines could."""
    text = _INLINE.sub(r"\\\1", text.replace("\r\n", "\n").replace("\r", "\n"))
    first, newline, rest = text.partition("\n")
    if block_start:
        first = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), first)
    return first + newline + _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), rest)


def _one_line(text: str, *, block_start: bool = False) -> str:
    return " ".join(escape(text, block_start=block_start).split("\n"))


def _table(block: Table) -> list[str]:
    def row(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(_one_line(c) for c in cells) + " |"

    return [row(block.columns), "|" + "---|" * len(block.columns), *(row(r) for r in block.rows)]


def render_markdown(doc: Document) -> str:
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {_one_line(block.text)}")
        elif isinstance(block, Banner):
            out.append(f"> **{_one_line(block.text)}**")
        elif isinstance(block, Fields):
            out.append(
                "\n".join(f"- **{_one_line(k)}**{doc.colon}{_one_line(v)}" for k, v in block.rows)
            )
        elif isinstance(block, Para):
            if block.mono:
                out.append(f"`{block.text}`" if "`" not in block.text else _one_line(block.text))
            elif block.strong:
                out.append(f"**{_one_line(block.text)}**")
            else:
                out.append(_one_line(block.text, block_start=True))
        elif isinstance(block, Table):
            out.append("\n".join(_table(block)))
        elif isinstance(block, Quote):
            body = "\n".join(
                f"> {line}" if line else ">" for line in escape(block.text).split("\n")
            )
            out.append(f"**{_one_line(block.label)}**\n\n{body}")
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {_one_line(item, block_start=True)}" for item in block.items))
    return "\n\n".join(out) + "\n"

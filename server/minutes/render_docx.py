"""Word (.docx) from the outline, with python-docx.

A4 pages, headings from Word's own styles (so the navigation pane and a table
of contents work), Chinese text in a CJK font. The file's properties carry the
log digest and the time of the last entry, not the time of rendering: the
same log gives the same document text and properties.
"""

from __future__ import annotations

import datetime
import io
import re

from docx import Document as new_document
from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from .outline import Banner, Bullets, Document, Fields, Heading, Para, Quote, Table

# Word refuses XML 1.0's control characters; a typed one becomes a visible mark.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
EAST_ASIAN_FONT = {"zh": "SimSun", "en": "SimSun"}
HEADING_EAST_ASIAN_FONT = "SimHei"
MONO_FONT = "Consolas"


def _clean(text: str) -> str:
    return _CONTROL.sub("\ufffd", text)


def _east_asian(style_or_run: object, font: str) -> None:
    element = style_or_run.element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), font)


def _setup(word: WordDocument, doc: Document) -> None:
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(18), Mm(20)
    normal = word.styles["Normal"]
    normal.font.size = Pt(10.5)
    _east_asian(normal, EAST_ASIAN_FONT.get(doc.lang, "SimSun"))
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        _east_asian(word.styles[name], HEADING_EAST_ASIAN_FONT)
    props = word.core_properties
    stamp = datetime.datetime.fromtimestamp(doc.record_until / 1000, tz=datetime.UTC)
    props.title = _clean(doc.title)
    props.author = props.last_modified_by = "Yishi"
    props.subject = f"{doc.algorithm} {doc.digest}"
    props.language = {"zh": "zh-CN"}.get(doc.lang, doc.lang)
    props.created = props.modified = stamp.replace(tzinfo=None)
    props.revision = 1


def _fill(paragraph: Paragraph, text: str, *, bold: bool = False, mono: bool = False) -> None:
    run = paragraph.add_run(_clean(text))
    run.bold = bold or None
    if mono:
        run.font.name = MONO_FONT
        run.font.size = Pt(8.5)


def _table(word: WordDocument, block: Table) -> None:
    table = word.add_table(rows=len(block.rows) + 1, cols=len(block.columns))
    table.style = word.styles["Table Grid"]
    # Cells straight from the rows' XML: python-docx's own lookups rescan the
    # whole table per cell, which is quadratic in a long session's turn list.
    for r, tr in enumerate(table._tbl.tr_lst):
        texts = block.columns if r == 0 else block.rows[r - 1]
        for tc, text in zip(tr.tc_lst, texts):
            _fill(_Cell(tc, table).paragraphs[0], text, bold=r == 0)


def render_docx(doc: Document) -> bytes:
    word = new_document()
    _setup(word, doc)
    for block in doc.blocks:
        if isinstance(block, Heading):
            word.add_heading(_clean(block.text), level=block.level - 1)
        elif isinstance(block, Banner):
            paragraph = word.add_paragraph()
            _fill(paragraph, block.text, bold=True)
            paragraph.runs[0].font.color.rgb = RGBColor(0x8A, 0x1C, 0x00)
        elif isinstance(block, Fields):
            for key, value in block.rows:
                paragraph = word.add_paragraph()
                _fill(paragraph, key + doc.colon, bold=True)
                _fill(paragraph, value)
        elif isinstance(block, Para):
            _fill(word.add_paragraph(), block.text, bold=block.strong, mono=block.mono)
        elif isinstance(block, Table):
            _table(word, block)
        elif isinstance(block, Quote):
            _fill(word.add_paragraph(), block.label, bold=True)
            _fill(word.add_paragraph(style="Quote"), block.text)
        elif isinstance(block, Bullets):
            for item in block.items:
                _fill(word.add_paragraph(style="List Bullet"), item)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()

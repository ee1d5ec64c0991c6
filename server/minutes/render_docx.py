"""Word (.docx) from the outline, with python-docx.

A4 pages, headings and lists in Word's own styles (so the navigation pane and a
table of contents work), Chinese text in a CJK font. The file's properties
carry the log digest and the time of the last entry, not the time of
rendering: the same log gives the same document text and properties.

python-docx provides the package, the styles and the properties. The body is
written as WordProcessingML in one piece and parsed once: python-docx's
per-paragraph and per-cell calls (style lookups by name, cell lookups that
rescan the table) cost about ten times as much, which is most of a second for
a long session.
"""

from __future__ import annotations

import datetime
import io
from xml.sax.saxutils import escape

from docx import Document as new_document
from docx.document import Document as WordDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from ..core.characters import published
from .blocks import Banner, Block, Bullets, Document, Fields, Heading, Para, Quote, Table

BODY_FONT = "SimSun"
HEADING_FONT = "SimHei"
MONO_FONT = "Consolas"
TEXT_WIDTH_TWIPS = int((210 - 2 * 18) / 25.4 * 1440)
BANNER_COLOUR = "8A1C00"
STYLE_NAMES = {
    "title": "Title",
    "h1": "Heading 1",
    "h2": "Heading 2",
    "h3": "Heading 3",
    "quote": "Quote",
    "bullet": "List Bullet",
    "grid": "Table Grid",
}


def _clean(text: str) -> str:
    # Word refuses XML 1.0's control characters: none may reach the document.
    return published(text)


def _east_asian(style: object, font: str) -> None:
    rpr = style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), font)


def _setup(word: WordDocument, doc: Document) -> dict[str, str]:
    """Page, fonts and properties; returns the style ids the body refers to."""
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(18), Mm(20)
    normal = word.styles["Normal"]
    normal.font.size = Pt(10.5)
    _east_asian(normal, BODY_FONT)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        _east_asian(word.styles[name], HEADING_FONT)
    props = word.core_properties
    stamp = datetime.datetime.fromtimestamp(doc.record_until / 1000, tz=datetime.UTC)
    props.title = _clean(doc.title)
    props.author = props.last_modified_by = "Yishi"
    props.subject = f"{doc.algorithm} {doc.digest}"
    props.language = {"zh": "zh-CN"}.get(doc.lang, doc.lang)
    props.created = props.modified = stamp.replace(tzinfo=None)
    props.revision = 1
    return {key: word.styles[name].style_id for key, name in STYLE_NAMES.items()}


def _run(text: str, *, bold: bool = False, mono: bool = False, colour: str | None = None) -> str:
    props = ""
    if mono:
        props += f'<w:rFonts w:ascii="{MONO_FONT}" w:hAnsi="{MONO_FONT}"/>'
    if bold:
        props += "<w:b/>"
    if colour:
        props += f'<w:color w:val="{colour}"/>'
    if mono:
        props += '<w:sz w:val="17"/>'
    lines = [
        f'<w:t xml:space="preserve">{escape(line)}</w:t>'
        for line in _clean(text).replace("\r\n", "\n").split("\n")
    ]
    return f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}{'<w:br/>'.join(lines)}</w:r>"


def _p(runs: str, style: str | None = None) -> str:
    pr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{pr}{runs}</w:p>"


def _table(block: Table, style: str) -> str:
    width = TEXT_WIDTH_TWIPS // len(block.columns)
    grid = f'<w:gridCol w:w="{width}"/>' * len(block.columns)
    cell = f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>{{}}</w:tc>'
    rows = [
        "<w:tr><w:trPr><w:tblHeader/></w:trPr>"
        + "".join(cell.format(_p(_run(c, bold=True))) for c in block.columns)
        + "</w:tr>"
    ]
    rows += [
        "<w:tr>" + "".join(cell.format(_p(_run(c))) for c in row) + "</w:tr>" for row in block.rows
    ]
    return (
        f'<w:tbl><w:tblPr><w:tblStyle w:val="{style}"/><w:tblW w:w="0" w:type="auto"/>'
        f'<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
        f'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
    )


def _block(block: Block, styles: dict[str, str], colon: str) -> str:
    if isinstance(block, Heading):
        style = styles["title"] if block.level == 1 else styles[f"h{block.level - 1}"]
        return _p(_run(block.text), style)
    if isinstance(block, Banner):
        return _p(_run(block.text, bold=True, colour=BANNER_COLOUR))
    if isinstance(block, Fields):
        return "".join(_p(_run(key + colon, bold=True) + _run(value)) for key, value in block.rows)
    if isinstance(block, Para):
        return _p(_run(block.text, bold=block.strong, mono=block.mono))
    if isinstance(block, Table):
        return _table(block, styles["grid"])
    if isinstance(block, Quote):
        return _p(_run(block.label, bold=True)) + _p(_run(block.text), styles["quote"])
    assert isinstance(block, Bullets)
    return "".join(_p(_run(item), styles["bullet"]) for item in block.items)


def render_docx(doc: Document) -> bytes:
    word = new_document()
    styles = _setup(word, doc)
    body_xml = "".join(_block(b, styles, doc.colon) for b in doc.blocks)
    # One new body swapped in whole (keeping the page setup): moving thousands of
    # elements one by one into the template's tree costs more than writing them.
    old = word.element.body
    body = parse_xml(f"<w:body {nsdecls('w')}>{body_xml}</w:body>")
    if old.sectPr is not None:
        body.append(old.sectPr)
    word.element.replace(old, body)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()

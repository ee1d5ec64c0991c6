"""The text of a .docx in reading order (paragraphs and table rows), via python-docx.

Tests compare Word exports by this text, never by bytes: a .docx is a zip whose
entries carry the time it was written.
"""

from __future__ import annotations

import io

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph


def docx_lines(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            style = block.style.name if block.style is not None else ""
            prefix = {
                "Title": "# ",
                "Heading 1": "## ",
                "Heading 2": "### ",
                "Heading 3": "#### ",
                "List Bullet": "- ",
                "Quote": "> ",
            }.get(style, "")
            lines.append(prefix + block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                lines.append("| " + " | ".join(cell.text for cell in row.cells) + " |")
    return lines


def docx_text(data: bytes) -> str:
    return "\n".join(docx_lines(data)) + "\n"

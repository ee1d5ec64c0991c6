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

from .core.characters import published

MEDIA_TYPE = "image/svg+xml"
CHART_NAMES = ("by_month", "by_category", "funnel")
MONTHS = 12          # the by_month window
MAX_CATEGORIES = 12  # by_category draws the largest ones; its desc lists them all
LABEL_EM = 7.0       # category labels longer than this (in em) are shortened with "…"

WIDTH = 440  # phones show it about 300 px wide: the text stays readable
FONT = ('system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", '
        '"Source Han Sans SC", "Microsoft YaHei", Arial, sans-serif')
FONT_PX = 15
INK = "#1b1f24"
MUTED = "#4a5260"
GRID = "#d5d9df"
# (fill, outline): far apart in lightness, so grayscale keeps them apart.
DARK = ("#1f3f73", "#1f3f73")
LIGHT = ("#f2c37a", "#5c4400")

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "by_month": "每月议题：提交与解决", "by_category": "各类议题：提交与解决",
        "funnel": "议题进展：提交、受理、协商、解决",
        "submitted": "提交", "solved": "解决", "accepted": "受理", "deliberated": "已协商",
        "no_data": "暂无数据", "months_desc": "最近 {n} 个月，{first} 至 {last}。",
        "more": "另有 {n} 类未画出。", "sep": "；", "colon": "：", "comma": "，",
    },
    "en": {
        "by_month": "Topics per month: submitted and solved",
        "by_category": "Topics by category: submitted and solved",
        "funnel": "Topic progress: submitted, accepted, deliberated, solved",
        "submitted": "Submitted", "solved": "Solved", "accepted": "Accepted",
        "deliberated": "Deliberated", "no_data": "No data yet",
        "months_desc": "The last {n} months, {first} to {last}.",
        "more": "{n} more categories are not drawn.", "sep": "; ", "colon": ": ", "comma": ", ",
    },
}

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def chart_svg(name: str, stats: Mapping[str, Any], *, lang: str = "zh",
              until: str | None = None) -> bytes:
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
    rows = [(m, _count(by_month.get(m), "submitted"), _count(by_month.get(m), "solved"))
            for m in months]
    title = tx["by_month"]
    if not any(s or d for _, s, d in rows):
        return _empty(title, tx)
    desc = tx["months_desc"].format(n=len(rows), first=rows[0][0], last=rows[-1][0]) + " " + \
        tx["sep"].join(f"{m}{tx['colon']}{tx['submitted']} {s}{tx['comma']}{tx['solved']} {d}"
                       for m, s, d in rows) + "."
    top, plot_h, left = 56, 200, 40
    slot = (WIDTH - left - 16) / len(rows)
    bar = min(18.0, slot / 2 - 3)
    peak = max(max(s, d) for _, s, d in rows)
    body = [_legend(tx, y=28), _line(left, top + plot_h, WIDTH - 16, top + plot_h, INK)]
    for i, (month, sub, sol) in enumerate(rows):
        x = left + i * slot + slot / 2
        for value, dx, colours in ((sub, -bar - 1, DARK), (sol, 1, LIGHT)):
            h = plot_h * value / peak
            body.append(_rect(x + dx, top + plot_h - h, bar, h, colours))
            if value:  # zeros are in the description; twenty-four of them drawn are noise
                body.append(_text(x + dx + bar / 2, top + plot_h - h - 4, str(value),
                                  anchor="middle", size=12))
        body.append(_text(x, top + plot_h + 18, month[5:], anchor="middle", size=13, fill=MUTED))
        # The year under January, and under the first month unless January is close.
        if month.endswith("-01") or (i == 0 and month[5:] < "11"):
            body.append(_text(x, top + plot_h + 34, month[:4], anchor="middle", size=12,
                              fill=MUTED))
    return _document(title, desc, top + plot_h + 44, body)


def _by_category(stats: Mapping[str, Any], tx: dict[str, str]) -> str:
    raw = stats.get("by_category")
    cats = raw if isinstance(raw, Mapping) else {}
    rows = sorted(((_clean(str(k)), _count(v, "submitted"), _count(v, "solved"))
                   for k, v in cats.items()), key=lambda r: (-r[1], -r[2], r[0]))
    rows = [r for r in rows if r[1] or r[2]]
    title = tx["by_category"]
    if not rows:
        return _empty(title, tx)
    desc = tx["sep"].join(f"{c}{tx['colon']}{tx['submitted']} {s}{tx['comma']}{tx['solved']} {d}"
                          for c, s, d in rows) + "."
    if len(rows) > MAX_CATEGORIES:
        desc += " " + tx["more"].format(n=len(rows) - MAX_CATEGORIES)
        rows = rows[:MAX_CATEGORIES]
    top, left, right, band = 48, 8 + LABEL_EM * FONT_PX + 8, 56, 40
    span = WIDTH - left - right
    peak = max(max(s, d) for _, s, d in rows)
    body = [_legend(tx, y=24)]
    for i, (cat, sub, sol) in enumerate(rows):
        y = top + i * band
        body.append(f"<g><title>{_esc(cat)}</title>"
                    + _text(left - 8, y + 19, _shorten(cat), anchor="end") + "</g>")
        for value, dy, colours in ((sub, 2, DARK), (sol, 19, LIGHT)):
            w = span * value / peak
            body.append(_rect(left, y + dy, w, 15, colours))
            body.append(_text(left + w + 6, y + dy + 12, str(value), size=12))
    body.append(_line(left, top - 4, left, top + len(rows) * band, INK))
    return _document(title, desc, top + len(rows) * band + 8, body)


def _funnel(stats: Mapping[str, Any], tx: dict[str, str]) -> str:
    steps = [(tx[k], _count(stats, k)) for k in ("submitted", "accepted", "deliberated", "solved")]
    title = tx["funnel"]
    if not any(v for _, v in steps):
        return _empty(title, tx)
    desc = tx["sep"].join(f"{label}{tx['colon']}{v}" for label, v in steps) + "."
    top, band, label_w = 16, 44, 6 * FONT_PX
    span = WIDTH - label_w - 80
    peak = max(v for _, v in steps)
    body = []
    for i, (label, value) in enumerate(steps):
        y = top + i * band
        w = max(span * value / peak, 2.0)
        x = label_w + (span - w) / 2
        colours = LIGHT if i == len(steps) - 1 else DARK  # solved: as in the other charts
        body.append(_text(label_w - 8, y + 24, label, anchor="end"))
        body.append(_rect(x, y + 4, w, 32, colours))
        body.append(_text(label_w + span + 8, y + 25, str(value), weight="bold"))
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


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = FONT_PX,
          fill: str = INK, weight: str = "normal") -> str:
    weight_attr = ' font-weight="bold"' if weight == "bold" else ""
    return (f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}"{weight_attr}>{_esc(text)}</text>')


def _rect(x: float, y: float, w: float, h: float, colours: tuple[str, str]) -> str:
    fill, stroke = colours
    return (f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1"/>')


def _line(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    return (f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
            f'stroke="{colour}" stroke-width="1"/>')


def _legend(tx: dict[str, str], *, y: float) -> str:
    parts = []
    x = 16.0
    for key, colours in (("submitted", DARK), ("solved", LIGHT)):
        parts.append(_rect(x, y - 12, 14, 14, colours))
        parts.append(_text(x + 20, y, tx[key]))
        x += 28 + _ems(tx[key]) * FONT_PX + 16
    return "".join(parts)


def _empty(title: str, tx: dict[str, str]) -> str:
    body = [f'<rect x="1" y="1" width="{WIDTH - 2}" height="118" fill="none" stroke="{GRID}" '
            'stroke-width="2" stroke-dasharray="6 4"/>',
            _text(WIDTH / 2, 66, tx["no_data"], anchor="middle", size=18, fill=MUTED)]
    return _document(title, tx["no_data"] + ".", 120, body)


def _document(title: str, desc: str, height: float, body: list[str]) -> str:
    h = _num(height)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h}" '
            f'viewBox="0 0 {WIDTH} {h}" role="img" aria-labelledby="chart-title chart-desc" '
            f'font-family={quoteattr(FONT)}>'
            f'<title id="chart-title">{_esc(title)}</title>'
            f'<desc id="chart-desc">{_esc(desc)}</desc>'
            f'<rect width="{WIDTH}" height="{h}" fill="#ffffff"/>'
            + "".join(body) + "</svg>\n")

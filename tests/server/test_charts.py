"""The community's SVG charts (server/web/charts.py): valid XML, accessible, every
number written as text, empty data still a chart, hostile names inert,
deterministic."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from yishi.web.charts import CHART_NAMES, chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def counts(submitted: int, solved: int, **more: int) -> dict[str, int]:
    return {"submitted": submitted, "solved": solved, **more}


STATS: dict[str, Any] = {
    "submitted": 37,
    "accepted": 21,
    "deliberated": 14,
    "solved": 9,
    "not_solved": 2,
    "by_category": {"加装电梯": counts(12, 4), "停车": counts(19, 3), "其他": counts(6, 2)},
    "by_month": {"2026-03": counts(5, 0), "2026-05": counts(11, 2), "2026-11": counts(21, 7)},
}
EMPTY: dict[str, Any] = {
    "submitted": 0,
    "accepted": 0,
    "deliberated": 0,
    "solved": 0,
    "by_category": {},
    "by_month": {},
}


def parse(svg: bytes) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def title_and_desc(root: ET.Element) -> tuple[str, str]:
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    return title.text or "", desc.text or ""


@pytest.mark.parametrize("name", CHART_NAMES)
def test_every_chart_is_valid_accessible_svg_without_script_or_links(name: str) -> None:
    svg = chart_svg(name, STATS)
    root = parse(svg)
    title, desc = title_and_desc(root)
    assert title and desc
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert not tags & {"script", "a", "image", "use", "foreignObject", "style"}
    assert b"http://" not in svg.replace(b"http://www.w3.org/2000/svg", b"")
    assert b"https://" not in svg and b"url(" not in svg


def test_by_month_writes_each_months_numbers_and_fills_gaps_in_a_twelve_month_window() -> None:
    root = parse(chart_svg("by_month", STATS))
    _, desc = title_and_desc(root)
    assert "2025-12" in desc and "2026-11" in desc and "2025-11" not in desc
    assert "2026-05：提交 11，解决 2" in desc
    assert "2026-04：提交 0，解决 0" in desc  # a month without topics still has its place
    drawn = texts(root)
    for number in ("5", "11", "2", "21", "7"):
        assert number in drawn
    assert (
        sum(
            1
            for t in drawn
            if t in {"12", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"}
        )
        >= 12
    )


def test_by_month_window_ends_at_until() -> None:
    _, desc = title_and_desc(parse(chart_svg("by_month", STATS, until="2027-02")))
    assert "2026-03 至 2027-02" in desc and "2027-02：提交 0，解决 0" in desc


def test_by_category_orders_by_submitted_and_writes_the_numbers() -> None:
    root = parse(chart_svg("by_category", STATS))
    _, desc = title_and_desc(root)
    assert desc.index("停车") < desc.index("加装电梯") < desc.index("其他")
    assert "停车：提交 19，解决 3" in desc
    drawn = texts(root)
    assert "停车" in drawn and {"19", "3", "12", "4", "6", "2"} <= set(drawn)


def test_funnel_shows_the_four_steps_in_order() -> None:
    root = parse(chart_svg("funnel", STATS))
    _, desc = title_and_desc(root)
    assert desc == "提交：37；受理：21；已协商：14；解决：9."
    assert texts(root) == ["提交", "37", "受理", "21", "已协商", "14", "解决", "9"]


def test_english_labels() -> None:
    root = parse(chart_svg("funnel", STATS, lang="en"))
    assert title_and_desc(root)[1] == "Submitted: 37; Accepted: 21; Deliberated: 14; Solved: 9."
    assert parse(chart_svg("funnel", STATS, lang="fr")).find(f"{SVG}title") is not None


@pytest.mark.parametrize("name", CHART_NAMES)
@pytest.mark.parametrize("stats", [EMPTY, {}], ids=["zeros", "nothing"])
def test_empty_data_renders_a_no_data_chart(name: str, stats: dict[str, Any]) -> None:
    root = parse(chart_svg(name, stats))
    assert texts(root) == ["暂无数据"]
    assert title_and_desc(root)[1] == "暂无数据."
    assert "No data yet" in texts(parse(chart_svg(name, stats, lang="en")))


HOSTILE = [
    "</text><script>alert(1)</script>",
    '"><image href="http://x/">',
    "a & b < c",
    "]]><!--",
    "bell\x07\x00\x1b[0m",
    "&amp;lt;",
    "\ufffe",
    "<![CDATA[x]]>",
]


def test_hostile_category_names_are_escaped_and_inert() -> None:
    stats = {"by_category": {name: counts(i + 1, i) for i, name in enumerate(HOSTILE)}}
    svg = chart_svg("by_category", stats)
    root = parse(svg)
    assert b"<script" not in svg and b"<image" not in svg and b"<!--" not in svg
    assert {el.tag.removeprefix(SVG) for el in root.iter()} <= {
        "svg",
        "title",
        "desc",
        "rect",
        "text",
        "line",
        "g",
    }
    _, desc = title_and_desc(root)
    assert "</text><script>alert(1)</script>" in desc  # shown as the text it is
    assert "a & b < c" in desc and "bell[0m" in desc


def test_long_names_are_shortened_in_the_drawing_but_whole_in_the_description() -> None:
    name = "小区北门外非机动车停放秩序与充电安全"
    root = parse(chart_svg("by_category", {"by_category": {name: counts(3, 1)}}))
    assert name in title_and_desc(root)[1]
    assert any(t.endswith("…") and name.startswith(t[:-1]) for t in texts(root))


def test_many_categories_draw_the_largest_and_say_how_many_are_left() -> None:
    cats = {f"类别{i:02d}": counts(i + 1, 0) for i in range(15)}
    root = parse(chart_svg("by_category", {"by_category": cats}))
    _, desc = title_and_desc(root)
    assert "另有 3 类未画出" in desc and "类别00" in desc
    drawn = texts(root)
    assert "类别14" in drawn and "类别02" not in drawn


def test_bad_values_count_as_zero_and_unknown_names_raise() -> None:
    stats = {
        "submitted": "9",
        "accepted": None,
        "deliberated": True,
        "solved": -3,
        "by_month": {"2026-13": counts(4, 4), "nonsense": 1},
    }
    assert texts(parse(chart_svg("funnel", stats))) == ["暂无数据"]
    assert texts(parse(chart_svg("by_month", stats))) == ["暂无数据"]
    with pytest.raises(KeyError):
        chart_svg("pie", STATS)


month = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2020, 2030), st.integers(1, 12))
entry = st.builds(counts, st.integers(0, 10_000), st.integers(0, 10_000))
stats_strategy = st.fixed_dictionaries(
    {
        "submitted": st.integers(0, 10_000),
        "accepted": st.integers(0, 10_000),
        "deliberated": st.integers(0, 10_000),
        "solved": st.integers(0, 10_000),
        "by_category": st.dictionaries(st.text(max_size=40), entry, max_size=20),
        "by_month": st.dictionaries(month, entry, max_size=30),
    }
)


@settings(deadline=None, max_examples=60)
@given(stats=stats_strategy, name=st.sampled_from(CHART_NAMES), lang=st.sampled_from(["zh", "en"]))
def test_any_stats_give_valid_deterministic_svg(
    stats: dict[str, Any], name: str, lang: str
) -> None:
    first = chart_svg(name, stats, lang=lang)
    assert chart_svg(name, dict(reversed(list(stats.items()))), lang=lang) == first
    parse(first)


@pytest.mark.parametrize("name", CHART_NAMES)
def test_no_text_is_drawn_smaller_than_18_px_at_a_phones_width(name: str) -> None:
    """Drawn about as wide as a phone shows it (300 px), every text at least 18 px
    (issue 26: labels were about 9 px on a 360 px phone)."""
    root = parse(chart_svg(name, STATS))
    assert float(root.get("width") or 0) <= 320
    sizes = [float(el.get("font-size") or 0) for el in root.iter(f"{SVG}text")]
    assert sizes and min(sizes) >= 18, sorted(set(sizes))

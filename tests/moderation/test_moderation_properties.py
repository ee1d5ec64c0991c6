"""Properties of every verdict, on generated texts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from yishi.moderation import Action, Pipeline, Reason, load_pipeline

PIPELINE: Pipeline = load_pipeline()
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _with_id_check(body: str) -> str:
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11]


def _with_luhn(body: str) -> str:
    for last in "0123456789":
        digits = body + last
        total = sum(
            int(c) if i % 2 == 0 else (2 * int(c) - 9 if int(c) > 4 else 2 * int(c))
            for i, c in enumerate(reversed(digits))
        )
        if total % 10 == 0:
            return digits
    raise AssertionError


phones = st.builds(
    lambda a, b: f"1{a}{b}",
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
ids = st.builds(
    lambda region, y, m, d, seq: _with_id_check(f"{region}{y}{m:02d}{d:02d}{seq}"),
    st.sampled_from(["110105", "310115", "440305", "510107"]),
    st.integers(1930, 2015),
    st.integers(1, 12),
    st.integers(1, 28),
    st.text("0123456789", min_size=3, max_size=3),
)
cards = st.builds(
    lambda p, rest: _with_luhn(p + rest),
    st.sampled_from(["6222", "6217", "4367"]),
    st.text("0123456789", min_size=11, max_size=11),
)
personal = st.one_of(phones, ids, cards)
filler = st.text(st.sampled_from("社区停车费方案我们同意反对，。 abc!?的了在"), max_size=12)


@settings(deadline=None, max_examples=200)
@given(before=filler, number=personal, after=filler)
def test_the_masked_text_never_holds_the_number(before: str, number: str, after: str) -> None:
    text = f"{before} {number} {after}"
    verdict = PIPELINE.check(text, kind="chat")
    assert Reason.PERSONAL_DATA in verdict.reasons
    assert number not in verdict.text
    assert Reason.PERSONAL_DATA not in PIPELINE.check(verdict.text).reasons
    assert len(verdict.text) == len(text)
    kept = [(a, b) for a, b in zip(text, verdict.text) if b != "*"]
    assert all(a == b for a, b in kept)  # only stars were put in


@settings(deadline=None, max_examples=300)
@given(text=st.text(max_size=80))
def test_every_verdict_is_consistent(text: str) -> None:
    verdict = PIPELINE.check(text, kind="chat")
    assert len(verdict.text) == len(text)
    if verdict.action is Action.ALLOW:
        assert verdict.text is text and verdict.reasons == ()
    else:
        assert verdict.reasons
    if Reason.PERSONAL_DATA not in verdict.reasons:
        assert verdict.text is text
    for kind in ("statement", "name", "note"):
        assert PIPELINE.check(text, kind=kind).action is not Action.HOLD  # type: ignore[arg-type]


civic = st.lists(
    st.sampled_from(
        [
            "社区",
            "停车费",
            "免费",
            "体检",
            "我反对",
            "这个方案",
            "电梯",
            "垃圾分类",
            "物业",
            "业主",
            "投票",
            "同意",
            "维修基金",
            "微信群",
            "老人",
            "孩子",
            "明天",
            "开会",
            "parking",
            "free",
            "council",
            "I disagree",
            "the plan",
            "residents",
            "bins",
            "vote",
        ]
    ),
    min_size=1,
    max_size=8,
)


@settings(deadline=None, max_examples=200)
@given(words=civic, sep=st.sampled_from(["", " ", "，", ", "]))
def test_civic_vocabulary_passes(words: list[str], sep: str) -> None:
    text = sep.join(words)
    verdict = PIPELINE.check(text, kind="chat")
    assert verdict.action is Action.ALLOW, (text, verdict.matched)
    assert verdict.text is text

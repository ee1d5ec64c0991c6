"""Screening costs time in proportion to the text, whatever the text.

Two spam patterns once backtracked over every start position of a digit run,
and personal-data detection tried every pair of group boundaries: 10,000
digits took about a second, so a few refused 2,000-character statements could
stall a room. Each adversarial text here is screened at 2,500 and at 10,000
characters: a linear pipeline takes about 4 times as long for 4 times the text,
a quadratic one 16 times. What is measured is this thread's CPU time, not the
wall clock, so other processes on a busy machine do not count; the two sizes
are still timed in turns, five times each, and the fastest of each compared
(caches and frequency scaling slow both alike). The bound allows 10 (plus
20 ms), and an absolute ceiling far above what a linear pipeline needs. The code before the fix failed it for 8 of these texts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from yishi.moderation import History, Pipeline

ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "digits": lambda n: "1" * n,
    "full-width digits": lambda n: "１" * n,
    "spaced digits": lambda n: "1 " * (n // 2),
    "dotted digits": lambda n: "1." * (n // 2),
    "hyphens between": lambda n: "1-" * (n // 2),
    "wide gaps": lambda n: "1   " * (n // 4),
    "card-like digits": lambda n: "3 4 5 6 7 8 9 0 " * (n // 16),
    "Chinese numerals": lambda n: "一二三四五六七八九" * (n // 9),
    "look-alikes": lambda n: "o1l1i1x" * (n // 7),
    "separators": lambda n: "-" * n,
    "digits before 元": lambda n: ("1" * 99 + "元") * (n // 100),
    "digits before 天": lambda n: ("9" * 49 + "天") * (n // 50),
    "phone numbers": lambda n: "13812345678 " * (n // 12),
    "mixed scripts": lambda n: ("a1中 -。😀" * (n // 7 + 1))[:n],
    # The scorer: every n-gram new, or every n-gram a spam feature.
    "distinct Chinese characters": lambda n: "".join(chr(0x4E00 + k * 7 % 20000) for k in range(n)),
    "spam n-grams": lambda n: ("免费在线观看高清无码百家乐" * (n // 13 + 1))[:n],
    "spaced spam n-grams": lambda n: ("免 费 观 看 " * (n // 10 + 1))[:n],
}


def _seconds(pipeline: Pipeline, text: str, kind: str) -> float:
    start = time.thread_time()
    pipeline.check(
        text,
        kind=kind,
        spam_action="hold",  # type: ignore[arg-type]
        history=History(),
        now_ms=0,
    )
    return time.thread_time() - start


@pytest.mark.parametrize("name", list(ADVERSARIAL))
@pytest.mark.parametrize("kind", ["chat", "statement"])
def test_screening_is_linear(pipeline: Pipeline, name: str, kind: str) -> None:
    make = ADVERSARIAL[name]
    texts = make(2_500), make(10_000)
    small = large = float("inf")
    for _ in range(5):  # in turns: a burst of load slows one round of both
        small = min(small, _seconds(pipeline, texts[0], kind))
        large = min(large, _seconds(pipeline, texts[1], kind))
    assert large < 10 * small + 0.02, f"{name}: {small * 1000:.1f} ms -> {large * 1000:.1f} ms"
    assert large < 0.5, f"{name}: {large * 1000:.0f} ms for 10,000 characters"

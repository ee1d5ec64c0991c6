"""How long ``Pipeline.check`` takes on a typical chat message, against a naive scan.

    python3 bench/moderation_bench.py [--runs 7] [--loops 2000] [--json]

The baseline is the cheapest moderation there is: ``text.lower()`` and an
``in`` test for each of the abuse and strong spam entries, with no
normalisation, no masking and no patterns. Both are timed in the same run,
on the same messages (typical chat: short civic messages in Chinese and
English, one with a phone number), as the median of ``--runs`` runs of
``--loops`` passes each. It prints microseconds per message and the ratio
to the baseline. A script, not a test: the figure goes into
docs/moderation.md; the target is well under a millisecond a message.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from yishi.moderation import History, load_pipeline

MESSAGES = [
    "我支持加装电梯，三楼以上的老人上下楼太难了",
    "停车费能不能免费一小时？买个菜也要交十块钱太不合理了",
    "垃圾分类的桶放在3号楼门口，夏天味道太大了",
    "I strongly disagree with the previous speaker.",
    "Free parking for the first hour would really help the shops on Main Street.",
    "我是楼长，电话13812345678，谁家漏水直接打给我",
    "同意楼上",
    "這個方案根本是胡鬧，完全沒考慮長輩的需求",
]


def _per_message(fn: Callable[[str], object], *, runs: int, loops: int) -> float:
    """Median seconds per message over ``runs`` runs."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(loops):
            for text in MESSAGES:
                fn(text)
        samples.append((time.perf_counter() - start) / (loops * len(MESSAGES)))
    return statistics.median(samples)


# Texts built to make a careless rule backtrack or pair everything with everything,
# screened at the statement limit (2,000 characters) and at 10,000.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "digits": lambda n: "1" * n,
    "spaced digits": lambda n: "1 " * (n // 2),
    "dotted digits": lambda n: "1." * (n // 2),
    "card-like digits": lambda n: "3 4 5 6 7 8 9 0 " * (n // 16),
    "digits before 元": lambda n: ("1" * 99 + "元") * (n // 100),
    "phone numbers": lambda n: "13812345678 " * (n // 12),
    "mixed scripts": lambda n: ("a1中 -。😀" * (n // 7 + 1))[:n],
}


def _adversarial_ms(pipeline: object, sizes: tuple[int, ...]) -> dict[str, list[float]]:
    check = pipeline.check  # type: ignore[attr-defined]
    out: dict[str, list[float]] = {}
    for name, make in ADVERSARIAL.items():
        out[name] = []
        for size in sizes:
            text, best = make(size), float("inf")
            for _ in range(5):
                start = time.perf_counter()
                check(text, kind="statement", spam_action="hold")
                best = min(best, time.perf_counter() - start)
            out[name].append(round(best * 1e3, 1))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--loops", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    pipeline = load_pipeline()
    load_s = time.perf_counter() - started
    words = [w.lower() for w in pipeline.lexicon.abuse + pipeline.lexicon.spam_strong]

    def baseline(text: str) -> bool:
        lowered = text.lower()
        return any(w in lowered for w in words)

    history = History()
    clock = iter(range(1_764_158_400_000, 1 << 62, 7_919))  # people-paced, irregular enough

    def chat(text: str) -> object:
        return pipeline.check(text, kind="chat", spam_action="hold")

    def chat_with_history(text: str) -> object:
        return pipeline.check(
            text, kind="chat", spam_action="hold", history=history, now_ms=next(clock)
        )

    for fn in (baseline, chat, chat_with_history):  # warm caches
        _per_message(fn, runs=1, loops=50)
    base = _per_message(baseline, runs=args.runs, loops=args.loops)
    check = _per_message(chat, runs=args.runs, loops=args.loops)
    with_history = _per_message(chat_with_history, runs=args.runs, loops=args.loops)
    result = {
        "messages": len(MESSAGES),
        "baseline_entries": len(words),
        "load_ms": round(load_s * 1e3, 1),
        "baseline_us": round(base * 1e6, 2),
        "check_us": round(check * 1e6, 1),
        "check_with_history_us": round(with_history * 1e6, 1),
        "ratio": round(check / base, 2),
        "ratio_with_history": round(with_history / base, 2),
        "adversarial_ms_2000_10000": _adversarial_ms(pipeline, (2_000, 10_000)),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"load_pipeline(): {result['load_ms']} ms (once, at start-up)")
    print(
        f"baseline (lower() + `in` over {len(words)} entries): {result['baseline_us']} µs/message"
    )
    print(
        f"Pipeline.check, chat:                {result['check_us']} µs/message, "
        f"{result['ratio']}x the baseline"
    )
    print(
        f"Pipeline.check, chat with history:   {result['check_with_history_us']} µs/message, "
        f"{result['ratio_with_history']}x the baseline"
    )
    print("Adversarial statements, ms at 2,000 / 10,000 characters (best of 5):")
    for name, (at_limit, at_10k) in result["adversarial_ms_2000_10000"].items():
        print(f"  {name:18} {at_limit:6.1f} / {at_10k:6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

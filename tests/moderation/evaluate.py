"""Prints the moderation pipeline's precision and recall per class on the corpus.

    python3 tests/moderation/evaluate.py                 # the held-out figures
    python3 tests/moderation/evaluate.py --part tune --failures
    python3 tests/moderation/evaluate.py --scorer        # the scorer corpus's test split

The pytest thresholds are in test_moderation_corpus.py and test_moderation_scorer.py.

Word lists are tuned on the tune part only; the held-out part is for the
figures (see corpus/README.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import scorercorpus
from modcorpus import CLASSES, figures, load, run
from yishi.moderation import Pipeline, load_pipeline

REQUIREMENT = {
    "ham": "allowed, unchanged",
    "spam": "held or rejected",
    "abuse": "held or rejected",
    "personal": "masked exactly, rest kept",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("heldout", "tune"), default="heldout")
    parser.add_argument("--failures", action="store_true", help="list the messages that failed")
    parser.add_argument(
        "--scorer", action="store_true", help="the scorer corpus's held-out (test) split instead"
    )
    args = parser.parse_args(argv)
    pipeline = load_pipeline()
    if args.scorer:
        return scorer_figures(pipeline, failures=args.failures)
    samples = load(args.part)
    started = time.perf_counter()
    outcomes = run(pipeline, samples)
    elapsed = time.perf_counter() - started
    f = figures(outcomes)
    print(
        f"part: {args.part}, {len(samples)} messages, "
        f"{elapsed / len(samples) * 1e6:.0f} µs a message"
    )
    print(f"{'class':<9} {'n':>4} {'precision':>9} {'recall':>7}  required")
    for c in CLASSES:
        print(
            f"{c:<9} {f.count.get(c, 0):>4} {f.precision[c]:>9.1%} {f.recall[c]:>7.1%}"
            f"  {f.required[c]:.1%} {REQUIREMENT[c]}"
        )
    if args.failures:
        for o in outcomes:
            if not o.ok:
                print(
                    f"FAIL {o.sample.source} [{o.sample.label} -> {o.predicted}] "
                    f"{o.sample.text!r} -> {o.text!r} {o.matched}"
                )
    return 0


def scorer_figures(pipeline: Pipeline, *, failures: bool) -> int:
    rows = scorercorpus.test_rows()
    for topic in ("", scorercorpus.TOPIC):
        started = time.perf_counter()
        outcomes = scorercorpus.run(pipeline, rows, topic=topic)
        elapsed = time.perf_counter() - started
        print(
            f"scorer corpus, test split, {len(rows)} messages, topic {topic or '(none)'!r}, "
            f"{elapsed / len(rows) * 1e6:.0f} µs a message (pipeline and scorer)"
        )
        print(f"{'group':<28} {'spam+abuse':>10} {'recall':>7} {'civic':>6} {'held':>6}")
        for g, f in scorercorpus.by_group(outcomes).items():
            print(f"{g:<28} {f.spam:>10} {f.recall:>7.1%} {f.civic:>6} {f.civic_held_rate:>6.1%}")
        print(f"{'category':<10} {'n':>5} {'precision':>9} {'recall':>7}")
        for c, (n, precision, recall) in scorercorpus.by_category(outcomes).items():
            print(f"{c:<10} {n:>5} {precision:>9.1%} {recall:>7.1%}")
        if failures:
            for o in outcomes:
                if o.held != (o.row.category != "civic"):
                    print(
                        f"FAIL {o.row.family} {o.row.category} {o.row.form} "
                        f"{o.row.text!r} {o.matched}"
                    )
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

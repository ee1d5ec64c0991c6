"""Prints the moderation pipeline's precision and recall per class on the corpus.

    python3 tests/moderation/evaluate.py                 # the held-out figures
    python3 tests/moderation/evaluate.py --part tune --failures

Word lists are tuned on the tune part only; the held-out part is for the
figures (see corpus/README.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from modcorpus import CLASSES, figures, load, run
from yishi.moderation import load_pipeline

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
    args = parser.parse_args(argv)
    pipeline = load_pipeline()
    samples = load(args.part)
    started = time.perf_counter()
    outcomes = run(pipeline, samples)
    elapsed = time.perf_counter() - started
    f = figures(outcomes)
    print(f"part: {args.part}, {len(samples)} messages, "
          f"{elapsed / len(samples) * 1e6:.0f} µs a message")
    print(f"{'class':<9} {'n':>4} {'precision':>9} {'recall':>7}  required")
    for c in CLASSES:
        print(f"{c:<9} {f.count.get(c, 0):>4} {f.precision[c]:>9.1%} {f.recall[c]:>7.1%}"
              f"  {f.required[c]:.1%} {REQUIREMENT[c]}")
    if args.failures:
        for o in outcomes:
            if not o.ok:
                print(f"FAIL {o.sample.source} [{o.sample.label} -> {o.predicted}] "
                      f"{o.sample.text!r} -> {o.text!r} {o.matched}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What the moderation scorer adds to screening a typical chat message.

    python3 bench/scorer_bench.py

Screens the Chinese messages of the scorer corpus (civic and spam, all forms)
with the packaged pipeline and with the same pipeline without its scorer, in
turns, and prints the best of five rounds of each (a busy machine slows both
alike), then a 10,000-character text with and without the scorer.
"""

from __future__ import annotations

import dataclasses
import time

from yishi.moderation import Pipeline, load_lexicon
from yishi.moderation.lists import DATA
from yishi.moderation.retrain import CORPUS, read_corpus

ROUNDS = 5


def _per_message(pipeline: Pipeline, texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        pipeline.check(text, kind="chat", spam_action="hold", topic="加装电梯议事会")
    return (time.perf_counter() - start) / len(texts)


def main() -> None:
    lexicon = load_lexicon()
    with_scorer = Pipeline(lexicon)
    without = Pipeline(dataclasses.replace(lexicon, scorer=None))
    texts = [r.text for r in read_corpus(DATA / CORPUS) if r.form != "en"]
    mean_chars = sum(map(len, texts)) / len(texts)
    for p in (with_scorer, without):  # warm the normaliser's memo
        _per_message(p, texts)
    best_with = best_without = float("inf")
    for _ in range(ROUNDS):
        best_with = min(best_with, _per_message(with_scorer, texts))
        best_without = min(best_without, _per_message(without, texts))
    print(f"{len(texts)} messages, {mean_chars:.0f} characters on average")
    print(f"pipeline without the scorer: {best_without * 1e6:7.1f} µs/message")
    print(f"pipeline with the scorer:    {best_with * 1e6:7.1f} µs/message")
    print(f"the scorer adds:             {(best_with - best_without) * 1e6:7.1f} µs/message")
    long = ("社区议事会讨论加装电梯和停车问题，免费在线观看百家乐" * 400)[:10_000]
    for name, p in (("without", without), ("with", with_scorer)):
        start = time.perf_counter()
        p.check(long)
        print(
            f"10,000 characters, {name} the scorer: {(time.perf_counter() - start) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()

"""The thresholds of issue 3, on the held-out half of the corpus."""

from __future__ import annotations

import pytest
from modcorpus import figures, load, run
from yishi.moderation import Pipeline


@pytest.fixture(scope="module")
def heldout(pipeline: Pipeline):  # type: ignore[no-untyped-def]
    return run(pipeline, load("heldout"))


def test_the_corpus_is_big_enough_and_split() -> None:
    tune, heldout = load("tune"), load("heldout")
    everything = tune + heldout
    assert sum(s.label == "ham" for s in everything) >= 300
    assert sum(s.label != "ham" for s in everything) >= 200
    assert {s.lang for s in everything if s.label == "ham"} == {"zh_hans", "zh_hant", "en"}
    assert not {s.text for s in tune} & {s.text for s in heldout}


def test_ham_passes_unchanged(heldout) -> None:  # type: ignore[no-untyped-def]
    assert figures(heldout).required["ham"] >= 0.995


@pytest.mark.parametrize("label", ["spam", "abuse"])
def test_spam_and_abuse_are_held_or_rejected(heldout, label: str) -> None:  # type: ignore[no-untyped-def]
    assert figures(heldout).required[label] >= 0.98


def test_personal_data_is_masked_and_the_rest_kept(heldout) -> None:  # type: ignore[no-untyped-def]
    assert figures(heldout).required["personal"] >= 0.98

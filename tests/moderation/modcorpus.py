"""The labelled moderation corpus: loading, expected masks, scoring.

Used by ``evaluate.py`` (figures) and by the pytest thresholds. The expected
masked text of a personal-data message is computed here from its ``[[...]]``
marks, independently of the pipeline's own masking code.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from yishi.moderation import Action, Pipeline, Reason

CORPUS = Path(__file__).parent / "corpus"
PARTS = ("tune", "heldout")
CLASSES = ("ham", "spam", "abuse", "personal")
_MARK = re.compile(r"\[\[(.+?)\]\]")
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_SEPARATORS = frozenset(" -.")


@dataclass(frozen=True)
class Sample:
    label: str  # one of CLASSES
    lang: str  # zh_hans, zh_hant, en
    text: str  # the message as sent
    expected: str  # the text that must come back (masked for "personal")
    source: str  # file name and line, for failure reports


def expected_mask(span: str) -> str:
    """The mask of one marked span, by the rules in corpus/README.md."""
    for at in ("@", "＠"):
        if at in span:
            local, domain = span.split(at, 1)
            return local[0] + "*" * (len(local) - 1) + at + domain
    digit_positions = [i for i, c in enumerate(span) if c not in _SEPARATORS]
    n = len(digit_positions)
    if n in (11, 18):
        hidden = digit_positions[3 : n - 4]
    else:
        hidden = digit_positions[: n - 4]
    chars = list(span)
    for i in hidden:
        chars[i] = "*"
    return "".join(chars)


def load(part: str) -> list[Sample]:
    if part not in PARTS:
        raise ValueError(f"part is one of {PARTS}")
    samples = []
    for path in sorted((CORPUS / part).glob("*.txt")):
        label, lang = path.stem.split("_", 1)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("# "):
                continue
            line = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line)
            text = _MARK.sub(lambda m: m.group(1), line)
            expected = _MARK.sub(lambda m: expected_mask(m.group(1)), line)
            samples.append(
                Sample(
                    label=label,
                    lang=lang,
                    text=text,
                    expected=expected,
                    source=f"{part}/{path.name}:{number}",
                )
            )
    return samples


def predicted(action: Action, reasons: tuple[Reason, ...]) -> str:
    """The class a verdict puts a message in."""
    if action in (Action.HOLD, Action.REJECT):
        return "abuse" if Reason.ABUSE in reasons else "spam"
    return "personal" if action is Action.MASK else "ham"


@dataclass(frozen=True)
class Outcome:
    sample: Sample
    predicted: str
    text: str
    matched: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Did the message get what its class requires?"""
        label = self.sample.label
        if label == "ham":
            return self.predicted == "ham" and self.text is self.sample.text
        if label == "personal":
            return self.predicted == "personal" and self.text == self.sample.expected
        return self.predicted in ("spam", "abuse")  # held or rejected


def run(pipeline: Pipeline, samples: list[Sample]) -> list[Outcome]:
    outcomes = []
    for sample in samples:
        verdict = pipeline.check(sample.text, kind="chat", spam_action="hold")
        outcomes.append(
            Outcome(
                sample=sample,
                predicted=predicted(verdict.action, verdict.reasons),
                text=verdict.text,
                matched=verdict.matched,
            )
        )
    return outcomes


@dataclass(frozen=True)
class Figures:
    count: dict[str, int]
    precision: dict[str, float]
    recall: dict[str, float]
    required: dict[str, float]  # share of each class that got what it requires


def figures(outcomes: list[Outcome]) -> Figures:
    truth = Counter(o.sample.label for o in outcomes)
    guessed = Counter(o.predicted for o in outcomes)
    right = Counter(o.sample.label for o in outcomes if o.predicted == o.sample.label)
    ok = Counter(o.sample.label for o in outcomes if o.ok)
    return Figures(
        count=dict(truth),
        precision={c: right[c] / guessed[c] if guessed[c] else 1.0 for c in CLASSES},
        recall={c: right[c] / truth[c] if truth[c] else 1.0 for c in CLASSES},
        required={c: ok[c] / truth[c] if truth[c] else 1.0 for c in CLASSES},
    )

"""The moderation data, as plain values: word lists, patterns, tables, numbers.

:func:`parse_lexicon` turns the contents of the data files (strings, already
read by :mod:`yishi.moderation.lists`) into a :class:`Lexicon`. Nothing here
reads a file, so a test can build a lexicon from strings of its own.

List files (``*.txt``): one entry a line; blank lines and lines starting with
``#`` are ignored, and so is everything after `` #`` (space, hash) on a line.
Entries are written the way people type them: Traditional characters,
capitals and full-width forms are normalised exactly like the messages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Data file names, relative to the data folder; the loader reads exactly these.
LIST_FILES = (
    "spam_strong.txt",
    "spam_weak.txt",
    "abuse.txt",
    "abuse_aimed.txt",
    "abuse_pinyin.txt",
    "allow.txt",
    "allowed_domains.txt",
)
JSON_FILES = ("rules.json", "confusables.json")
# The scorer's weights (written by ``python3 -m yishi.moderation.retrain``); optional in
# an operator's folder, where the packaged one is used if it is missing.
SCORER_FILE = "scorer.json"


@dataclass(frozen=True, slots=True)
class Scores:
    """How spam evidence adds up (see ``rules.json``, "scores")."""

    strong: float = 1.0
    weak: float = 0.5
    phone: float = 0.3
    warning_factor: float = 0.4
    threshold: float = 1.0


@dataclass(frozen=True, slots=True)
class HistoryRules:
    """Repeats and bursts (see ``rules.json``, "history")."""

    repeat_window_ms: int = 600_000
    repeat_min_chars: int = 6
    repeat_allowed: int = 2
    burst_window_ms: int = 5_000
    burst_count: int = 5
    metronome_intervals: int = 4
    metronome_max_interval_ms: int = 60_000
    metronome_jitter_ms: int = 40


@dataclass(frozen=True, slots=True)
class Rules:
    """The regular-expression rules and settings of ``rules.json``."""

    aim_zh: str
    aim_en: str
    aimed_tail_zh: str
    abuse_patterns_zh: tuple[str, ...]
    abuse_patterns_en: tuple[str, ...]
    spam_patterns_zh: tuple[tuple[str, float], ...]
    spam_patterns_en: tuple[tuple[str, float], ...]
    warnings: tuple[str, ...]
    warning_negations: tuple[str, ...]
    contact_keywords: tuple[str, ...]
    contact_fillers: str
    tlds: tuple[str, ...]
    word_tlds: tuple[str, ...]
    scores: Scores = field(default_factory=Scores)
    history: HistoryRules = field(default_factory=HistoryRules)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything the pipeline knows, loaded once.

    ``char_table`` maps a character (after NFKC and case folding) to what the
    detectors should see instead: Simplified for Traditional, Latin for
    look-alike Cyrillic and Greek letters, plain quotes and dashes.
    """

    char_table: Mapping[str, str]
    spam_strong: tuple[str, ...]
    spam_weak: tuple[str, ...]
    abuse: tuple[str, ...]
    abuse_aimed: tuple[str, ...]
    abuse_pinyin: tuple[str, ...]
    allow: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    rules: Rules
    scorer: Mapping[str, Any] | None = None  # the parsed scorer.json; None: no scorer


def parse_list(text: str) -> tuple[str, ...]:
    """The entries of one list file, in order, without comments or duplicates."""
    seen: dict[str, None] = {}
    for line in text.splitlines():
        entry = line.split(" #", 1)[0].strip()
        if entry and not entry.startswith("#"):
            seen.setdefault(entry, None)
    return tuple(seen)


def _strs(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"rules.json: {name} must be a list of strings")
    return tuple(value)


def _weighted(value: Any, name: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, list):
        raise ValueError(f"rules.json: {name} must be a list")
    out = []
    for item in value:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], (int, float))
        ):
            raise ValueError(f"rules.json: {name} entries are [pattern, weight]")
        out.append((item[0], float(item[1])))
    return tuple(out)


def parse_rules(text: str) -> Rules:
    """``rules.json`` as :class:`Rules`; raises ``ValueError`` naming a bad field."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("rules.json must hold an object")
    scores = Scores(**{k: float(v) for k, v in raw.get("scores", {}).items()})
    history = HistoryRules(**{k: int(v) for k, v in raw.get("history", {}).items()})
    return Rules(
        aim_zh=str(raw["aim_zh"]),
        aim_en=str(raw["aim_en"]),
        aimed_tail_zh=str(raw["aimed_tail_zh"]),
        abuse_patterns_zh=_strs(raw["abuse_patterns_zh"], "abuse_patterns_zh"),
        abuse_patterns_en=_strs(raw["abuse_patterns_en"], "abuse_patterns_en"),
        spam_patterns_zh=_weighted(raw["spam_patterns_zh"], "spam_patterns_zh"),
        spam_patterns_en=_weighted(raw["spam_patterns_en"], "spam_patterns_en"),
        warnings=_strs(raw["warnings"], "warnings"),
        warning_negations=_strs(raw["warning_negations"], "warning_negations"),
        contact_keywords=_strs(raw["contact_keywords"], "contact_keywords"),
        contact_fillers=str(raw["contact_fillers"]),
        tlds=_strs(raw["tlds"], "tlds"),
        word_tlds=_strs(raw["word_tlds"], "word_tlds"),
        scores=scores,
        history=history,
    )


def parse_confusables(text: str) -> dict[str, str]:
    """``confusables.json``: an object mapping one character to its stand-in."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("confusables.json must hold an object")
    out: dict[str, str] = {}
    for key, value in raw.items():
        if key.startswith("_"):
            continue  # "_comment" and the like
        if len(key) != 1 or not isinstance(value, str):
            raise ValueError(f"confusables.json: {key!r} must map one character to a string")
        out[key] = value
    return out


def parse_lexicon(files: Mapping[str, str], *, char_table: Mapping[str, str]) -> Lexicon:
    """A :class:`Lexicon` from the data files' contents (name -> text).

    ``char_table`` is the Traditional-to-Simplified table; the confusables
    file is laid over it. Without ``scorer.json`` there is no scorer (the
    word lists alone decide).
    """
    table = dict(char_table)
    table.update(parse_confusables(files["confusables.json"]))
    lists = {name: parse_list(files[name]) for name in LIST_FILES}
    return Lexicon(
        char_table=table,
        spam_strong=lists["spam_strong.txt"],
        spam_weak=lists["spam_weak.txt"],
        abuse=lists["abuse.txt"],
        abuse_aimed=lists["abuse_aimed.txt"],
        abuse_pinyin=lists["abuse_pinyin.txt"],
        allow=lists["allow.txt"],
        allowed_domains=tuple(d.lower().lstrip(".") for d in lists["allowed_domains.txt"]),
        rules=parse_rules(files["rules.json"]),
        scorer=json.loads(files[SCORER_FILE]) if SCORER_FILE in files else None,
    )

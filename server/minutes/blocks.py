"""The few kinds of block the minutes are made of (outline.py decides which, in which
words); Markdown, HTML and Word each draw exactly these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Heading:
    level: int  # 1 (the title) to 4
    text: str


@dataclass(frozen=True, slots=True)
class Banner:
    """A notice the reader must not miss (a draft)."""

    text: str


@dataclass(frozen=True, slots=True)
class Fields:
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Para:
    text: str
    strong: bool = False
    mono: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Quote:
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[str, ...]


Block = Heading | Banner | Fields | Para | Table | Quote | Bullets


@dataclass(frozen=True, slots=True)
class Document:
    lang: str
    title: str
    colon: str  # between a field's name and its value
    digest: str
    algorithm: str
    record_until: int  # the time of the last entry: the document's date, not "now"
    blocks: tuple[Block, ...]

"""The loader: the only module of this package that reads anything.

:func:`load_pipeline` reads the data files once (from the package's ``data``
folder, or from a folder an operator points to) and builds the
Traditional-to-Simplified character table with OpenCC; everything after that
is pure. The offline trainer (:mod:`.retrain`) reads and writes its files
through the helpers at the end of this module, so that this stays the one
module that touches files.
"""

from __future__ import annotations

import importlib.resources
import sys
from collections.abc import Callable
from pathlib import Path

from .lexicon import JSON_FILES, LIST_FILES, SCORER_FILE, Lexicon, parse_lexicon
from .pipeline import Pipeline

# Blocks whose characters OpenCC may convert: CJK Unified Ideographs, extension A,
# compatibility ideographs.
_CJK_BLOCKS = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
# Generic Traditional, then Taiwan and Hong Kong variants; the first conversion wins.
_CONVERSIONS = ("t2s", "tw2s", "hk2s")


def traditional_to_simplified() -> dict[str, str]:
    """Character table from OpenCC: each Traditional character to its Simplified one.

    Whole-text conversion with phrases is slower and changes nothing the
    word lists care about, so the pipeline converts character by character.
    """
    import opencc  # here: it reads its dictionaries

    chars = [chr(c) for lo, hi in _CJK_BLOCKS for c in range(lo, hi)]
    table: dict[str, str] = {}
    for conversion in _CONVERSIONS:
        converted = opencc.OpenCC(conversion).convert("\n".join(chars)).split("\n")
        if len(converted) != len(chars):
            raise RuntimeError(f"OpenCC {conversion} did not keep one line per character")
        for before, after in zip(chars, converted):
            if before != after and len(after) == 1:
                table.setdefault(before, after)
    return table


def read_data(directory: str | Path | None = None) -> dict[str, str]:
    """The contents of every data file, by name, from ``directory`` or the package."""
    names = LIST_FILES + JSON_FILES
    package = importlib.resources.files(__package__) / "data"
    scorer = (package / SCORER_FILE).read_text(encoding="utf-8")
    if directory is not None:
        base = Path(directory)
        files = {name: (base / name).read_text(encoding="utf-8") for name in names}
        own = base / SCORER_FILE  # an operator's folder may lack it: the packaged one
        files[SCORER_FILE] = own.read_text(encoding="utf-8") if own.exists() else scorer
        return files
    files = {name: (package / name).read_text(encoding="utf-8") for name in names}
    files[SCORER_FILE] = scorer
    return files


def load_lexicon(directory: str | Path | None = None) -> Lexicon:
    """Reads the word lists and patterns; raises ``ValueError`` if one is malformed."""
    return parse_lexicon(read_data(directory), char_table=traditional_to_simplified())


def load_pipeline(directory: str | Path | None = None) -> Pipeline:
    """A ready :class:`Pipeline`; call once at start-up (it takes a fraction of a second).

    ``directory``: a folder holding all the data files, to use edited copies
    instead of the packaged lists.
    """
    return Pipeline(load_lexicon(directory))


# --- files of the offline trainer (moderation/retrain.py) -------------------------------

DataPath = Path
DATA = Path(__file__).parent / "data"  # the package's data folder, in a checkout
# The hand-written corpus of the tests, when this runs from a checkout.
HANDWRITTEN = Path(__file__).parent.parent / "tests" / "moderation" / "corpus"


def data_dir(directory: str | Path | None) -> Path:
    return DATA if directory is None else Path(directory)


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def handwritten_files(pattern: str) -> list[tuple[str, str, str]]:
    """``(part, file stem, text)`` of the hand-written corpus's files matching
    ``pattern`` in each part; empty outside a checkout."""
    return [
        (part, path.stem, path.read_text(encoding="utf-8"))
        for part in ("tune", "heldout")
        for path in sorted((HANDWRITTEN / part).glob(pattern))
    ]


def simplified_to_traditional() -> Callable[[str], str]:
    import opencc

    converter: Callable[[str], str] = opencc.OpenCC("s2t").convert
    return converter


def say(message: str) -> None:
    """A line for the person running the trainer."""
    sys.stdout.write(message + "\n")

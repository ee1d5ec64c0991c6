"""The glossary: one name for each thing (a stance, a role, a topic's state, the secret
ballot, the open link), in Chinese and English, shared by every output.

It lives in ``static/i18n/glossary.json``, beside the pages' catalogues, which hold
the same words (a test checks them against it); the minutes' catalogue, the
community's feed and its CSV read it here. English terms are lower case, as they
read inside a sentence.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

LANGS = ("zh", "en")


@functools.cache
def terms(lang: str) -> dict[str, str]:
    """The glossary's terms in ``lang`` (``ValueError`` for another language)."""
    if lang not in LANGS:
        raise ValueError(f"no glossary for {lang!r}; have {', '.join(LANGS)}")
    loaded: dict[str, str] = json.loads(
        (_static() / "i18n" / "glossary.json").read_text(encoding="utf-8")
    )[lang]
    return loaded


def _static() -> Path:
    """``static/``: inside the installed package, or at the top of a checkout (as
    server/app.py finds it)."""
    package = Path(__file__).parents[1]
    installed = package / "static"
    return installed if installed.is_dir() else package.parent / "static"

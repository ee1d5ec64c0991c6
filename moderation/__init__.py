"""Moderation of residents' texts: spam, abuse and personal data.

    from yishi.moderation import load_pipeline, History

    pipeline = load_pipeline()            # once: reads the word lists
    history = History()                   # one per participant, kept by the server
    verdict = pipeline.check(text, kind="chat", spam_action="hold",
                             history=history, now_ms=entry_at)
    verdict.action, verdict.text, verdict.reasons

Everything but :mod:`.lists` is pure: no clock, no files, no randomness.
See ``docs/moderation.md`` for the rules and how to edit the word lists.
"""

from .history import History
from .lexicon import Lexicon, parse_lexicon
from .lists import load_lexicon, load_pipeline
from .pipeline import Pipeline
from .verdict import Action, Kind, Reason, SpamAction, Verdict

__all__ = [
    "Action",
    "History",
    "Kind",
    "Lexicon",
    "Pipeline",
    "Reason",
    "SpamAction",
    "Verdict",
    "load_lexicon",
    "load_pipeline",
    "parse_lexicon",
]

"""What the pipeline answers: an action, the text to keep, and why.

The values of :class:`Action` and :class:`Reason` are strings on purpose: the
server passes them on (chat status, error messages) without a mapping table.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

Kind = Literal["chat", "statement", "name", "note", "record"]
SpamAction = Literal["hold", "reject"]

# "record": what staff write into the record (notes, decisions, actions, poll texts,
# agenda titles): screened for personal data only.
KINDS: frozenset[str] = frozenset({"chat", "statement", "name", "note", "record"})
SPAM_ACTIONS: frozenset[str] = frozenset({"hold", "reject"})


class Action(str, enum.Enum):
    """What the server does with the text, mildest first."""

    ALLOW = "allow"  # store and show the text as sent
    MASK = "mask"  # store and show ``Verdict.text``: personal data replaced by '*'
    HOLD = "hold"  # chat only: moderators see it, nobody else until approved
    REJECT = "reject"  # refuse the command (error ``rejected``)

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Action.ALLOW: 0, Action.MASK: 1, Action.HOLD: 2, Action.REJECT: 3}


class Reason(str, enum.Enum):
    """Why a text was not simply allowed. Several may apply to one text."""

    SPAM = "spam"  # SEO, adult or gambling bait, scams (word lists)
    CONTACT = "contact"  # a link, a bare domain, or a contact handle (WeChat, QQ...)
    REPEAT = "repeat"  # the same text again, a third time within the window
    BURST = "burst"  # messages faster or more regular than a person types
    ABUSE = "abuse"  # insults and threats
    PERSONAL_DATA = "personal_data"  # phone, ID, card or e-mail: masked


# The reasons that follow the room's ``spam_action``.
SPAM_REASONS: frozenset[Reason] = frozenset(
    {Reason.SPAM, Reason.CONTACT, Reason.REPEAT, Reason.BURST}
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The pipeline's answer for one text.

    ``text`` is what to store and show: the original string itself when nothing
    was masked (identical, not merely equal), else the original with the
    personal data replaced by ``*`` and every other character kept. The
    unmasked original must not be stored anywhere, even for a held or rejected
    text. ``reasons`` is empty exactly when ``action`` is ``ALLOW``.
    ``matched`` names what fired (word-list terms, rules, link hosts), for
    moderators and for tuning the lists; it never holds personal data.
    """

    action: Action
    text: str
    reasons: tuple[Reason, ...] = ()
    matched: tuple[str, ...] = ()

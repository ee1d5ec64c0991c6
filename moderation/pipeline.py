"""The moderation pipeline: one text in, one verdict out.

Rules, in the order they are applied:

1. Normalise (see :mod:`.normalise`); the detectors read only the views.
2. Personal data (phone, ID, card, e-mail) is masked; the masked original is
   the verdict's text whatever the action, so the unmasked text is never
   stored, not even in the review queue.
3. Abuse (insults, threats) is held for a moderator in chat by default
   (``abuse_action``), never silently dropped.
4. Spam (word lists, links, contact handles, and in chat only: repeats and
   bursts from the participant's :class:`History`) is held or rejected as
   the room's ``spam_action`` says.
5. Only chat can be held: for a statement, a name or a note, a verdict that
   would hold becomes a rejection.
6. The strongest action wins: reject, hold, mask, allow.
7. The scorer (:mod:`.scorer`, chat and names) holds what the lists miss: a
   chat message whose spam probability reaches ``hold`` and that shares no
   word with the room's ``topic`` (or reaches ``sure``, whatever the topic).
   It holds, never rejects, whatever ``spam_action`` says: a statistical
   guess waits for a moderator. A name, which cannot wait, is refused only
   at ``sure`` (rule 5), and its owner picks another. Its category ``abuse``
   gives reason ``abuse``, any other ``spam``; ``matched`` names the
   category, the probability and the features that weighed most. At
   ``support`` it adds weak evidence to the lists' spam score.
8. A ``record`` (staff's notes, decisions, actions, poll questions and
   options, agenda titles) is read for personal data only (rules 1-2): it is
   masked, never held or refused. The room's record is the staff's to write;
   what it must not do is publish a resident's phone number.

Nothing here reads a clock, a file or a random number: time comes in as
``now_ms`` and the word lists come in as a :class:`Lexicon`.
"""

from __future__ import annotations

from .abuse import AbuseFinder
from .history import History, assess, repeat_key
from .lexicon import Lexicon
from .links import LinkFinder
from .normalise import Normaliser
from .personal import find_personal
from .scorer import Score, Scorer, features, topic_words
from .spam import SpamScorer
from .terms import TermMatcher
from .verdict import KINDS, SPAM_ACTIONS, Action, Kind, Reason, SpamAction, Verdict

_DENSE = frozenset({"spam_strong", "spam_weak", "warning", "negation"})
_SCORED = frozenset({"chat", "name"})  # the kinds the scorer reads
_TOPICS_KEPT = 256  # topics whose words are remembered (one a room is plenty)


class Pipeline:
    """Checks texts against one :class:`Lexicon`; build it once, share it freely.

    ``check`` does not change the pipeline (only internal memos of how
    characters normalise and of the words of recent topics), so one instance
    serves every room.
    """

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        rules = lexicon.rules
        self._normaliser = Normaliser(char_table=lexicon.char_table)
        fold = self._normaliser.fold
        self._terms = TermMatcher(
            {
                "spam_strong": lexicon.spam_strong,
                "spam_weak": lexicon.spam_weak,
                "abuse": lexicon.abuse,
                "pinyin": lexicon.abuse_pinyin,
                "warning": rules.warnings,
                "negation": rules.warning_negations,
            },
            allow=lexicon.allow,
            dense_categories=_DENSE,
            fold=fold,
        )
        self._abuse = AbuseFinder(
            rules=rules, aimed=lexicon.abuse_aimed, pinyin=lexicon.abuse_pinyin, fold=fold
        )
        self._spam = SpamScorer(rules=rules)
        self._links = LinkFinder(
            tlds=rules.tlds,
            word_tlds=rules.word_tlds,
            allowed_domains=lexicon.allowed_domains,
            contact_keywords=tuple(fold(k) for k in rules.contact_keywords),
            contact_fillers=rules.contact_fillers,
        )
        self._scorer = Scorer(lexicon.scorer) if lexicon.scorer is not None else None
        self._topics: dict[str, frozenset[str]] = {}

    def score(self, text: str) -> Score | None:
        """The scorer's view of ``text`` (None without a scorer); for tools and tests."""
        if self._scorer is None:
            return None
        return self._scorer.score(features(self._normaliser.views(text).dense))

    def _topic(self, topic: str) -> frozenset[str]:
        words = self._topics.get(topic)
        if words is None:
            words = topic_words(self._normaliser.views(topic).dense)
            if len(self._topics) >= _TOPICS_KEPT:
                self._topics.clear()
            self._topics[topic] = words
        return words

    def check(
        self,
        text: str,
        *,
        kind: Kind = "chat",
        spam_action: SpamAction = "hold",
        abuse_action: SpamAction = "hold",
        history: History | None = None,
        now_ms: int | None = None,
        topic: str = "",
    ) -> Verdict:
        """The verdict on ``text`` sent as ``kind``.

        ``history`` (chat only; ignored for other kinds) is read and then
        updated with this message; it needs ``now_ms``, the time the message
        is taken at (the log's clock). ``topic``: the room's title, topic and
        current agenda item, for the scorer (chat only); empty when unknown.
        Raises ``ValueError`` for an unknown ``kind`` or action, or a history
        without ``now_ms``: the caller's bug.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if spam_action not in SPAM_ACTIONS or abuse_action not in SPAM_ACTIONS:
            raise ValueError("spam_action and abuse_action are 'hold' or 'reject'")
        if history is not None and now_ms is None:
            raise ValueError("a history needs now_ms")
        views = self._normaliser.views(text)
        personal = find_personal(text, views)
        if kind == "record":
            if not personal.kinds:
                return Verdict(action=Action.ALLOW, text=personal.masked)
            return Verdict(
                action=Action.MASK,
                text=personal.masked,
                reasons=(Reason.PERSONAL_DATA,),
                matched=tuple(f"personal:{k}" for k in dict.fromkeys(personal.kinds)),
            )
        hits = self._terms.hits(views)
        reasons: list[Reason] = []
        matched: list[str] = []

        abuse = self._abuse.find(views, hits)
        if abuse:
            reasons.append(Reason.ABUSE)
            matched += abuse
        links = self._links.find(views)
        score: Score | None = None
        scorer_holds = False
        if self._scorer is not None and kind in _SCORED and views.cjk:
            grams = features(views.dense)
            score = self._scorer.score(grams)
            t = self._scorer.thresholds
            scorer_holds = score.probability >= t.sure or (
                kind == "chat"
                and score.probability >= t.hold
                and not (topic and self._scorer.on_topic(grams, self._topic(topic)))
            )
        support = (
            score is not None
            and self._scorer is not None
            and score.probability >= self._scorer.thresholds.support
        )
        spam = self._spam.find(
            views, hits, phone="phone" in personal.kinds, contact=bool(links), support=support
        )
        if spam:
            reasons.append(Reason.SPAM)
            matched += spam
        if links:
            reasons.append(Reason.CONTACT)
            matched += links
        if history is not None and kind == "chat":
            assert now_ms is not None
            key = repeat_key(views.dense, min_chars=self.lexicon.rules.history.repeat_min_chars)
            for found in assess(history, key=key, now_ms=now_ms, rules=self.lexicon.rules.history):
                reasons.append(Reason(found))
                matched.append(found)
        if personal.kinds:
            reasons.append(Reason.PERSONAL_DATA)
            matched += [f"personal:{k}" for k in dict.fromkeys(personal.kinds)]

        action = Action.MASK if personal.kinds else Action.ALLOW
        if Reason.ABUSE in reasons:
            action = _stronger(action, Action(abuse_action))
        if any(r in reasons for r in (Reason.SPAM, Reason.CONTACT, Reason.REPEAT, Reason.BURST)):
            action = _stronger(action, Action(spam_action))
        if score is not None and (scorer_holds or (support and spam)):
            matched.append(score.label)
        if scorer_holds and action.severity < Action.HOLD.severity:
            # The scorer alone holds, never rejects: a moderator decides.
            action = Action.HOLD
            reasons.append(
                Reason.ABUSE if score is not None and score.category == "abuse" else Reason.SPAM
            )
        if action is Action.HOLD and kind != "chat":
            action = Action.REJECT
        return Verdict(
            action=action, text=personal.masked, reasons=tuple(reasons), matched=tuple(matched)
        )


def _stronger(a: Action, b: Action) -> Action:
    return a if a.severity >= b.severity else b

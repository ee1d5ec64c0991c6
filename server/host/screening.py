"""Runs the texts a command carries through the moderation pipeline before they
reach the log.

The pipeline is pure; this module owns its loaded word lists and each
participant's short history (repeats, bursts). Whatever it returns is what
gets stored: a masked text replaces the original everywhere, so the unmasked
text is kept nowhere. Residents' texts are screened as their kind says; staff's
records (notes, decisions, actions, poll questions and options, agenda titles)
as ``record``: personal data masked, nothing held or refused. A list of texts
(poll options, agenda titles) is screened item by item.

Chat is screened against the room's topic too (its title, topic and current
agenda item): the moderation scorer holds a spam-like message only when it has
no word in common with it, unless the score is very high. What the scorer
decided is counted by category (``scored``, shown on ``/metrics``).

Screening is the costly step of a command: the server calls it only after the
command passed every cheap check (``dispatch``), and counts the texts it
screened (``texts_screened``) so that this order can be tested.
"""

from __future__ import annotations

from collections import Counter, OrderedDict

from yishi.moderation import Action, History, Pipeline, load_pipeline
from yishi.moderation.verdict import Kind, SpamAction

from ..core.commands import Command
from ..core.schema import LIMITS, ServerValue, server_values
from ..core.types import CommandError, ErrorCode, Json

KEPT_HISTORIES = 50_000

CHAT_STATUS = {Action.ALLOW: "visible", Action.MASK: "masked", Action.HOLD: "held"}


class Screener:
    def __init__(self, pipeline: Pipeline | None = None) -> None:
        self.pipeline = pipeline or load_pipeline()
        self._histories: OrderedDict[tuple[str, str], History] = OrderedDict()
        self.texts_screened = 0  # a figure for tests: every text the pipeline read
        # (category, action) -> texts where the scorer held or supported the verdict
        self.scored: Counter[tuple[str, str]] = Counter()

    def _history(self, room_id: str, participant_id: str) -> History:
        key = (room_id, participant_id)
        history = self._histories.pop(key, None) or History()
        self._histories[key] = history
        while len(self._histories) > KEPT_HISTORIES:
            self._histories.popitem(last=False)
        return history

    def text(
        self,
        text: str,
        *,
        kind: Kind,
        spam_action: SpamAction,
        room_id: str,
        participant_id: str | None,
        now_ms: int,
        topic: str = "",
        abuse_action: SpamAction = "hold",
    ) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
        """(text to keep, chat status, reasons, what fired); raises
        ``CommandError(rejected)``. ``abuse_action``: "reject" where a text cannot wait
        for review as chat does (a community's topics)."""
        self.texts_screened += 1
        history = (
            self._history(room_id, participant_id) if participant_id and kind == "chat" else None
        )
        verdict = self.pipeline.check(
            text,
            kind=kind,
            spam_action=spam_action,
            abuse_action=abuse_action,
            history=history,
            now_ms=now_ms,
            topic=topic,
        )
        for label in verdict.matched:
            if label.startswith("score:"):  # "score:adult 0.97 [...]"
                self.scored[(label[6:].split(" ", 1)[0], verdict.action.value)] += 1
        if verdict.action == Action.REJECT:
            reasons = ", ".join(verdict.reasons) or "moderation"
            raise CommandError(ErrorCode.REJECTED, f"the text was refused ({reasons})")
        return (
            verdict.text,
            CHAT_STATUS[verdict.action],
            tuple(verdict.reasons),
            tuple(verdict.matched),
        )

    def command(
        self,
        row: Command,
        args: Json,
        *,
        spam_action: SpamAction,
        room_id: str,
        participant_id: str | None,
        now_ms: int,
        topic: str = "",
    ) -> Json:
        """``args`` with the texts ``row`` screens replaced by what is kept, and the
        verdict (a chat status, its reasons and, for a held message, what fired)
        where the row records one."""
        out = dict(args)
        verdict = [
            name for name, value in server_values(row.args).items() if value is ServerValue.VERDICT
        ]
        for name, kind in row.screened:
            value = out.get(name)
            if not value:
                continue
            texts = value if isinstance(value, list) else [value]
            kept = []
            for text in texts:
                masked, status, reasons, why = self.text(
                    text,
                    kind=kind,
                    spam_action=spam_action,
                    room_id=room_id,
                    participant_id=participant_id,
                    now_ms=now_ms,
                    topic=topic,
                )
                kept.append(masked)
                if "status" in verdict:
                    out["status"] = status
                if "reasons" in verdict and reasons:
                    out["reasons"] = list(reasons)
                if "why" in verdict and why and status == "held":
                    out["why"] = [label[: LIMITS["why"]] for label in why[:20]]
            out[name] = kept if isinstance(value, list) else kept[0]
        return out

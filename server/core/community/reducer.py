"""A community's state machine: ``apply(state, entry) -> Outcome``.

Rules of application, the same on every node:

* Entries are applied in log order, each exactly once (``entry.seq`` must be
  the next one).
* The entry's row decides: its arguments parse into the row's class (as the
  server wrote them), then the row's handler checks role, topic and state, and
  only then applies. A refused entry (``CommandError``) changes nothing and
  answers the error to its sender.
* An entry the community cannot apply at all (an unknown kind, arguments the
  server would never have written, a handler that raises anything else) is a
  fault, recorded in ``state.faults``; the community goes on, and every node
  records the same fault.
* Applying emits no events: a community is read over HTTP, not pushed.

``precheck`` asks a node's state the same questions before an entry is
appended (cheap: no text is read), so what is refused for a reason visible
there never reaches the log or the moderation pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..schema import parse
from ..types import CommandError, Entry, ErrorCode, Outcome
from . import args as a
from . import rules, support
from .state import CommunityState


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    args: type
    handler: Callable[[CommunityState, Entry, Any], Any]
    check: Callable[[CommunityState, Entry, Any], Any] | None = None
    since_rules: int = 1  # the rules version the command came in with (state.rules_version)


TABLE: dict[str, Row] = {
    row.name: row
    for row in (
        Row("community.create", a.CommunityCreate, rules.community_create),
        Row("staff.add", a.StaffAdd, rules.staff_add),
        Row("staff.revoke", a.StaffRevoke, rules.staff_revoke),
        Row("topic.submit", a.TopicSubmit, rules.topic_submit, rules.submit_check),
        Row("topic.cosign", a.TopicCosign, support.topic_cosign, support.cosign_check),
        Row("topic.rate", a.TopicRate, support.topic_rate, support.rate_check),
        Row(
            "household.issue",
            a.HouseholdIssue,
            support.household_issue,
            support.issue_check,
            since_rules=support.HOUSEHOLD_RULES,
        ),
        Row(
            "household.claim",
            a.HouseholdClaim,
            support.household_claim,
            support.claim_check,
            since_rules=support.HOUSEHOLD_RULES,
        ),
        Row(
            "household.reset",
            a.HouseholdReset,
            support.household_reset,
            since_rules=support.HOUSEHOLD_RULES,
        ),
        Row("topic.transition", a.TopicTransition, rules.topic_transition, rules.transition_check),
    )
}


def new_community(community_id: str) -> CommunityState:
    return CommunityState(community_id=community_id)


def apply(state: CommunityState, entry: Entry) -> Outcome:
    """Apply one log entry to ``state`` (in place) and say what it did."""
    if entry.seq != state.entry_seq + 1:
        raise ValueError(f"entry {entry.seq} applied after {state.entry_seq}")
    state.entry_seq = entry.seq
    state.last_at = max(state.last_at, entry.at)
    row = TABLE.get(entry.kind)
    try:
        if row is None:
            raise _Fault(f"unknown entry kind {entry.kind!r}")
        if not state.created and entry.kind != "community.create":
            raise _Fault("an entry before the community was created")
        try:
            args: Any = parse(row.args, entry.args, client=False, logged=True)
        except CommandError as error:
            raise _Fault(error.message) from None
        _in_rules(state, row)
        return Outcome(entry.seq, (), result=row.handler(state, entry, args))
    except CommandError as error:
        return Outcome(entry.seq, (), error=error)
    except Exception as exc:  # noqa: BLE001  (the rule of faults, above)
        reason = str(exc) if isinstance(exc, _Fault) else type(exc).__name__
        state.faults.append((entry.seq, entry.kind))
        return Outcome(
            entry.seq,
            (),
            error=CommandError(
                ErrorCode.BAD_COMMAND, f"entry {entry.seq} could not be applied ({reason})"
            ),
        )


def _in_rules(state: CommunityState, row: Row) -> None:
    """Refuse a command that came in with rules newer than the community's: a community
    keeps the rules it was created under."""
    if state.rules_version < row.since_rules:
        raise CommandError(
            ErrorCode.CONFLICT,
            (
                f"{row.name} came in with rules version {row.since_rules}; this community was"
                f" created under version {state.rules_version} (before it)"
            ),
        )


class _Fault(Exception):
    """An entry the community cannot apply (not the sender's mistake: the log's)."""


def precheck(state: CommunityState, kind: str, args: Any, *, actor: str | None) -> Any:
    """Refuse now what ``apply`` would refuse of this entry on ``state``; changes nothing.

    Raises ``CommandError``; answers what the check found (the staff member, the
    household...). Every row's rules version is asked; only the rows with a separate
    check are asked more (submit, co-sign, rate, the household codes' issue and claim,
    transition)."""
    row = TABLE[kind]
    _in_rules(state, row)
    if row.check is None:
        return None
    return row.check(
        state, Entry(seq=state.entry_seq + 1, at=state.last_at, kind=kind, actor=actor), args
    )


def replay(community_id: str, entries: Iterable[Entry]) -> CommunityState:
    """A community's state after applying ``entries`` from the start."""
    state = new_community(community_id)
    for entry in entries:
        apply(state, entry)
    return state

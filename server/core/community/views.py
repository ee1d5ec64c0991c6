"""What the HTTP API shows of a community: topic summaries, a topic's full record,
the filtered list, and the feed of state changes. Pure: ``today`` and the overdue
rule come in; held and rejected topics never appear (staff read them apart)."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import date
from typing import Any

from ..types import CommandError, ErrorCode, Json
from .figures import Overdue
from .state import HELD, HIDDEN, STATES, CommunityState, Step, Topic
from .support import HOUSEHOLD_RULES, rating_counts

MAX_LIMIT = 200
PUBLIC_STATES = tuple(s for s in STATES if s not in HIDDEN)
LiveStatus = Callable[[str, str], str | None]  # (room id, action id) -> status now, if known


def summary(topic: Topic) -> Json:
    out: Json = {
        "topic_id": topic.topic_id,
        "number": topic.number,
        "title": topic.title,
        "description": topic.description,
        "category": topic.category,
        "place": topic.place,
        "state": topic.state,
        "submitted_at": topic.submitted_at,
        "updated_at": topic.timeline[-1].at,
        "month": topic.month,
        "cosigns": len(topic.cosigners),
        "by_clerk": topic.by_clerk,
        "sessions": len(topic.sessions),
        "ratings": rating_counts(topic.ratings),
        # Shown apart, never in a figure: what households did not vouch for (rules 2).
        "clerk_cosigns": len(topic.clerk_cosigns),
        "anonymous_cosigns": len(topic.anonymous),
        "anonymous_ratings": rating_counts(topic.anonymous_ratings),
    }
    if topic.merged_into:
        out["merged_into"] = topic.merged_into
    return out


def step_wire(step: Step) -> Json:
    out: Json = {
        "at": step.at,
        "state": step.state,
        "actor": {"role": step.role, "name": step.name},
    }
    for key in ("reason", "room_id", "report", "into"):
        value = getattr(step, key)
        if value is not None:
            out[key] = value
    return out


def detail(
    topic: Topic, *, today: date, is_overdue: Overdue, live: LiveStatus | None = None
) -> Json:
    """The topic's full record; an action's status is the room's now (``live``) when
    the room answered, else the one last copied into the community's log."""
    rooms = []
    for session in topic.sessions:
        actions = []
        for action in session.actions:
            status = (live(session.room_id, action.action_id) if live else None) or action.status
            actions.append(
                {
                    "action_id": action.action_id,
                    "title": action.title,
                    "owner": action.owner,
                    "due": action.due,
                    "status": status,
                    "overdue": is_overdue(action.due, status, today),
                }
            )
        rooms.append(
            {
                "room_id": session.room_id,
                "title": session.title,
                "at": session.at,
                "when": session.when,
                "place": session.place,
                "decisions": list(session.decisions),
                "actions": actions,
            }
        )
    out = summary(topic)
    out.update(
        {
            "timeline": [step_wire(s) for s in topic.timeline],
            "rooms": rooms,
            "merged": list(topic.merged),
        }
    )
    return out


def staff_view(topic: Topic) -> Json:
    """A held topic as staff review it: the summary, the household a clerk entered it
    for (staff only: never public), and what moderation was unsure of."""
    return {
        **summary(topic),
        "household": topic.household,
        "reasons": topic.held_reasons,
        "contact": topic.contact,
    }


def contacts(state: CommunityState) -> dict[str, str]:
    """Staff only: each public topic's contact, what moderation masked in its texts."""
    return {
        t.topic_id: t.contact for t in state.topics.values() if t.contact and t.state not in HIDDEN
    }


def held(state: CommunityState) -> list[Json]:
    return [
        staff_view(state.topics[t])
        for t in sorted(state.by_state.get(HELD, ()), key=lambda t: state.topics[t].number)
    ]


def listing(
    state: CommunityState,
    *,
    status: str | None = None,
    category: str | None = None,
    month: str | None = None,
    q: str | None = None,
    limit: int = 50,
    after: str | None = None,
) -> tuple[list[Json], str | None]:
    """Public topics matching every filter given, newest first, ``limit`` at most, after
    the topic ``after`` (the previous page's ``next``). Reads the smallest index first."""
    if status is not None and status not in PUBLIC_STATES:
        raise CommandError(
            ErrorCode.BAD_COMMAND, f"state must be one of {', '.join(PUBLIC_STATES)}"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise CommandError(ErrorCode.BAD_COMMAND, f"limit must be between 1 and {MAX_LIMIT}")
    sets = [
        s
        for s in (
            state.by_state.get(status, set()) if status else None,
            state.by_category.get(category, set()) if category else None,
            state.by_month.get(month, set()) if month else None,
        )
        if s is not None
    ]
    below = _number(after) if after else None
    needle = q.casefold().strip() if q else ""
    topics = state.topics

    def wanted(topic: Topic) -> bool:
        return (
            topic.state not in HIDDEN
            and (below is None or topic.number < below)
            and (status is None or topic.state == status)
            and (category is None or topic.category == category)
            and (month is None or topic.month == month)
            and (not needle or needle in topic.search)
        )

    if sets:
        smallest = min(sets, key=len)
        found = [t for t in (topics[i] for i in smallest) if wanted(t)]
        page = heapq.nlargest(limit + 1, found, key=lambda t: t.number)
    else:
        page = []
        for topic in reversed(topics.values()):
            if wanted(topic):
                page.append(topic)
                if len(page) > limit:
                    break
    more = len(page) > limit
    page = page[:limit]
    return [summary(t) for t in page], (page[-1].topic_id if more else None)


def _number(topic_id: str) -> int:
    digits = topic_id[1:]
    if not (
        topic_id.startswith("t") and digits.isascii() and digits.isdigit() and len(digits) <= 18
    ):
        raise CommandError(ErrorCode.BAD_COMMAND, "after must be a topic id")
    return int(topic_id[1:])


def changes(state: CommunityState, *, limit: int = 100) -> list[tuple[Topic, int, Step]]:
    """The latest public state changes as (topic, step index, step), newest first (held
    and rejected ones left out)."""
    out: list[tuple[Topic, int, Step]] = []
    for topic_id, index in reversed(state.changes):
        topic = state.topics[topic_id]
        step = topic.timeline[index]
        if topic.state in HIDDEN or step.state in HIDDEN:
            continue
        out.append((topic, index, step))
        if len(out) >= limit:
            break
    return out


def community_wire(state: CommunityState) -> Json:
    return {
        "community_id": state.community_id,
        "name": state.name,
        "description": state.description,
        "categories": list(state.categories),
        "created_at": state.created_at,
        "household_codes": state.rules_version >= HOUSEHOLD_RULES,
    }


def export_rows(state: CommunityState) -> list[dict[str, Any]]:
    """One row per public topic, in submission order (CSV and JSON exports)."""
    rows = []
    for topic in state.topics.values():
        if topic.state in HIDDEN:
            continue
        ratings = rating_counts(topic.ratings)
        declined = next((s.reason for s in reversed(topic.timeline) if s.state == "declined"), None)
        report = next((s.report for s in reversed(topic.timeline) if s.report), None)
        rows.append(
            {
                "topic_id": topic.topic_id,
                "title": topic.title,
                "category": topic.category,
                "place": topic.place or "",
                "state": topic.state,
                "month": topic.month,
                "submitted_at": topic.submitted_at,
                "solved_at": topic.solved_at,
                "cosigns": len(topic.cosigners),
                "clerk_cosigns": len(topic.clerk_cosigns),
                "anonymous_cosigns": len(topic.anonymous),
                "by_clerk": topic.by_clerk,
                "merged_into": topic.merged_into or "",
                "rooms": " ".join(s.room_id for s in topic.sessions),
                "satisfied": ratings["satisfied"],
                "partly": ratings["partly"],
                "not": ratings["not"],
                "anonymous_ratings": len(topic.anonymous_ratings),
                "declined_reason": declined or "",
                "report": report or "",
            }
        )
    return rows

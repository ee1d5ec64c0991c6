"""Follow-up after a session: what a room's feeds and its follow-up view say.

Pure: the room's state, the log positions of its follow-up entries
(:class:`LogMarks`, which the server reads from the log) and the day are given;
the feed entries and the view come out. No clock, no I/O.

What is public (docs/protocol.md, "Follow-up feeds"), the same for everyone
who knows the room's id, with or without a token:

1. Every action: its addition (title, owner, due date) and each status change
   with its note and who reported it (a moderator's or an office's name). The
   room shows these to everyone in it as they happen, and they are what the
   residents are owed an account of.
2. Overdue, as one synthesized entry per action, on the day it first became
   overdue (deadlines.overdue_since): it stays in the feed once it happened.
3. The decisions and the minutes' publication, once the moderator published
   the minutes (before, the minutes are the moderator's draft).
4. Nothing else: no chat, notes, polls or attendance.

Entry ids are stable forever, so a reader never shows a change twice, and an
entry's content never changes once it is in a feed (the overdue entry states
the due date, not the status of the day). Each is
its subject's URN followed by what happened (the convention other feeds of
Yishi follow, e.g. a topic's):

* ``urn:yishi:room:{room}`` names a room, ``urn:yishi:room:{room}:action:{a}``
  one of its actions (an action id already carries the seq of ``action.add``);
* ``{subject}:added``, ``{subject}:update:{seq}`` (the log seq of the
  ``action.update``), ``{subject}:overdue:{due}``,
  ``urn:yishi:room:{room}:decision:{d}``, ``urn:yishi:room:{room}:minutes:published``.

A feed's version is the highest log seq among its entries, with the number of
its synthesized (overdue) entries and the language: the server's ETag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from ..core.state import Action, RoomState
from ..core.types import Entry, Json
from .atom import FeedEntry
from .catalog import strings
from .deadlines import is_overdue, overdue_since

FOLLOW_UP_KINDS = frozenset({"action.update", "minutes.publish"})

# The feeds' words; an action's status reads as in the minutes (their catalogue).
TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "room": "{title} · 跟进",
        "action": "{title} · 落实情况",
        "added": "新事项：{title}",
        "added.summary": "负责：{owner}；期限：{due}",
        "update": "{title}：{status}",
        "update.by": "{by}报告",
        "overdue": "逾期：{title}",
        "overdue.summary": "期限 {due} 已过，尚未办结",
        "decision": "决定：{text}",
        "published": "会议纪要已公布",
        "published.summary": "{title}",
    },
    "en": {
        "room": "{title} · follow-up",
        "action": "{title} · progress",
        "added": "New action: {title}",
        "added.summary": "Owner: {owner}; due {due}",
        "update": "{title}: {status}",
        "update.by": "reported by {by}",
        "overdue": "Overdue: {title}",
        "overdue.summary": "Due {due}, and not done",
        "decision": "Decision: {text}",
        "published": "The minutes are published",
        "published.summary": "{title}",
    },
}


@dataclass(frozen=True, slots=True)
class LogMarks:
    """Where the room's follow-up entries sit in its log: each applied status change's
    seq, per action and in order, and the ``minutes.publish`` entry's (seq, at)."""

    update_seqs: dict[str, list[int]] = field(default_factory=dict)
    published: tuple[int, int] | None = None


def marks_of(state: RoomState, logged: Sequence[Entry]) -> LogMarks:
    """Match the log's ``action.update`` and ``minutes.publish`` entries (in seq order,
    up to ``state.entry_seq``) to what ``state`` applied.

    A refused entry changed nothing, so each of an action's updates is matched to
    the first remaining entry for that action with its time, status and reporter.
    """
    candidates: dict[str, list[Entry]] = {}
    published: tuple[int, int] | None = None
    for entry in logged:
        if entry.seq > state.entry_seq:
            break
        if entry.kind == "action.update":
            candidates.setdefault(str(entry.args.get("action_id")), []).append(entry)
        elif entry.kind == "minutes.publish" and published is None and state.minutes_published:
            published = (entry.seq, entry.at)
    seqs: dict[str, list[int]] = {}
    for action in state.actions.values():
        pending = iter(candidates.get(action.action_id, []))
        found = seqs[action.action_id] = []
        for update in action.updates:
            for entry in pending:
                actor = state.participants.get(entry.actor or "")
                if (
                    entry.at == update["at"]
                    and entry.args.get("status") == update["status"]
                    and actor is not None
                    and actor.name == update["by"]
                ):
                    found.append(entry.seq)
                    break
    return LogMarks(update_seqs=seqs, published=published)


@dataclass(frozen=True, slots=True)
class Item:
    """A feed entry and the log seq it comes from (None: synthesized from the date)."""

    seq: int | None
    entry: FeedEntry


def room_urn(room_id: str) -> str:
    return f"urn:yishi:room:{room_id}"


def action_urn(room_id: str, action_id: str) -> str:
    return f"{room_urn(room_id)}:action:{action_id}"


def seq_of(record_id: str) -> int:
    """The log seq a record's id was made from (``a12`` → 12; ids are ``{prefix}{seq}``)."""
    return int(record_id.lstrip("abcdefghijklmnopqrstuvwxyz").split("-")[0])


def lang_of(state: RoomState) -> str:
    lang = str(state.settings.get("lang", "zh"))
    return lang if lang in TEXT else "zh"


def follow_url(base: str, room_id: str) -> str:
    """The device's follow-up page for the room (it adds the room to "my rooms")."""
    return f"{base}/my?room={room_id}"


def room_feed_url(base: str, room_id: str) -> str:
    return f"{base}/api/rooms/{room_id}/feed.atom"


def action_feed_url(base: str, room_id: str, action_id: str) -> str:
    return f"{base}/api/rooms/{room_id}/actions/{action_id}/feed.atom"


def minutes_url(state: RoomState, base: str) -> str:
    """The published minutes' address (``minutes.publish`` may have named one elsewhere)."""
    url = state.minutes_url or f"/r/{state.room_id}/minutes"
    return f"{base}{url}" if url.startswith("/") else url


def status_text(lang: str, status: str) -> str:
    return strings(lang)[f"action.status.{status}"]


def action_items(
    state: RoomState, marks: LogMarks, action: Action, *, today: date, tz: str | None, base: str
) -> list[Item]:
    """One action's feed entries: its addition, each status change, overdue."""
    lang = lang_of(state)
    t = TEXT[lang]
    urn = action_urn(state.room_id, action.action_id)
    link = follow_url(base, state.room_id)
    items = [
        Item(
            seq_of(action.action_id),
            FeedEntry(
                f"{urn}:added",
                t["added"].format(title=action.title),
                action.at,
                t["added.summary"].format(owner=action.owner, due=action.due),
                link,
            ),
        )
    ]
    seqs = marks.update_seqs.get(action.action_id, [])
    for n, update in enumerate(action.updates):
        # A change the log index has not matched (it cannot happen with a sound log)
        # keeps a stable id by its place among the action's changes.
        seq = seqs[n] if n < len(seqs) else None
        key = f"update:{seq}" if seq is not None else f"change:{n + 1}"
        summary = t["update.by"].format(by=update["by"])
        if update.get("note"):
            summary = f"{update['note']} ({summary})"
        items.append(
            Item(
                seq,
                FeedEntry(
                    f"{urn}:{key}",
                    t["update"].format(
                        title=action.title, status=status_text(lang, update["status"])
                    ),
                    update["at"],
                    summary,
                    link,
                ),
            )
        )
    since = overdue_since(action.due, [(u["at"], u["status"]) for u in action.updates], today, tz)
    if since is not None:
        items.append(
            Item(
                None,
                FeedEntry(
                    f"{urn}:overdue:{action.due}",
                    t["overdue"].format(title=action.title),
                    since,
                    t["overdue.summary"].format(due=action.due),
                    link,
                ),
            )
        )
    return items


def room_items(
    state: RoomState, marks: LogMarks, *, today: date, tz: str | None, base: str
) -> list[Item]:
    """The room feed's entries: every action's, then, once published, the decisions
    and the publication."""
    items = [
        i
        for a in state.actions.values()
        for i in action_items(state, marks, a, today=today, tz=tz, base=base)
    ]
    if state.minutes_published and marks.published is not None:
        t = TEXT[lang_of(state)]
        urn = room_urn(state.room_id)
        minutes = minutes_url(state, base)
        items += [
            Item(
                seq_of(d.decision_id),
                FeedEntry(
                    f"{urn}:decision:{d.decision_id}",
                    t["decision"].format(text=d.text),
                    d.at,
                    "",
                    minutes,
                ),
            )
            for d in state.decisions
        ]
        seq, at = marks.published
        items.append(
            Item(
                seq,
                FeedEntry(
                    f"{urn}:minutes:published",
                    t["published"],
                    at,
                    t["published.summary"].format(title=state.title),
                    minutes,
                ),
            )
        )
    return items


def version(items: Sequence[Item], lang: str) -> str:
    """The feed's version (its ETag's value): it changes exactly when an entry is
    added, since entries never change once written."""
    seq = max((i.seq for i in items if i.seq is not None), default=0)
    return f"{seq}.{sum(1 for i in items if i.seq is None)}.{lang}"


def action_view(state: RoomState, action: Action, *, today: date, base: str) -> Json:
    latest = action.updates[-1] if action.updates else None
    return {
        "action_id": action.action_id,
        "title": action.title,
        "owner": action.owner,
        "due": action.due,
        "status": action.status,
        "overdue": is_overdue(action.due, action.status, today),
        "item_title": next((i.title for i in state.agenda if i.item_id == action.item_id), None),
        "added_at": action.at,
        "updated_at": latest["at"] if latest else action.at,
        "updates": [dict(u) for u in action.updates],
        "latest": dict(latest) if latest else None,
        "feed_url": action_feed_url(base, state.room_id, action.action_id),
    }


def followup_view(state: RoomState, *, today: date, base: str) -> Json:
    """``GET /api/rooms/{id}/followup``: the room's follow-up, public as the feed is."""
    published = state.minutes_published
    return {
        "room_id": state.room_id,
        "title": state.title,
        "topic": state.topic,
        "status": state.status,
        "lang": lang_of(state),
        "started_at": state.started_at,
        "ended_at": state.ended_at,
        "as_of": today.isoformat(),
        "minutes_published": published,
        "minutes_url": minutes_url(state, base) if published else None,
        "feed_url": room_feed_url(base, state.room_id),
        "actions": [action_view(state, a, today=today, base=base) for a in state.actions.values()],
        "decisions": [d.to_wire() for d in state.decisions] if published else [],
    }

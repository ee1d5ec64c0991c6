"""Approved minutes (rules 6): the approval in the model, and the approved part kept
exactly as approved.

* Every rules-6 export has ``approval``: the complete approvals in order, each
  ``{statement, signature, public_key}`` exactly as the server signed it
  (``core/approval.py``, ``minutes/signature.py``), and the approval still
  waiting for a second signatory (``pending``), or none.
* Once approved, the minutes are the fold of the log's first ``entries``
  entries of the first approval, never of more: every field is the one those
  entries give (``build_minutes(approved_state)``), with three exceptions.
  ``integrity`` states the whole log the export was made from (as every export
  does); ``approval`` is the room's now (further approvals included); the day
  overdue actions are judged on (``as_of``) and their flags are today's; and the
  links to the turns' recordings are the room's now (a recording erased since
  approval is gone, and its link with it: erasure is the room's right).
* What the log gained after the approved entries appears in ``after_approval``,
  a section of its own: amendments (``minutes.amend``), action updates (the
  follow-up), and notes; further approvals are in ``approval``.
"""

from __future__ import annotations

from ..core.state import RoomState
from ..core.types import Json


def approval_block(state: RoomState) -> Json:
    return {
        "approvals": [dict(x) for x in state.approvals],
        "pending": dict(state.approval_pending) if state.approval_pending else None,
    }


def approved_entries(state: RoomState) -> int | None:
    """How many entries the approved minutes are made from (the first approval's), or
    None while they are not approved."""
    return int(state.approvals[0]["statement"]["entries"]) if state.approvals else None


def with_approval(
    approved_model: Json, current_model: Json, state: RoomState, approved: RoomState
) -> Json:
    """The export of an approved room: ``approved_model`` (built from the approved
    entries) with the exceptions above, and ``after_approval``."""
    out: Json = {}
    for key, value in approved_model.items():
        if key in ("integrity", "approval", "recordings", "as_of"):
            value = current_model.get(key)
        out[key] = value
        if key == "approval":
            out["after_approval"] = after_approval(state, approved)
    links = {
        turn["turn_id"]: turn.get("recording")
        for item in current_model["agenda"]
        for turn in item["turns"]
    }
    for item in out["agenda"]:
        for turn in item["turns"]:
            if "recording" in turn:
                turn["recording"] = links.get(turn["turn_id"])
    # Overdue is judged on the action as it stands now (its updates since approval are
    # in after_approval), not as it stood when the minutes were approved.
    overdue = {a["action_id"]: a.get("overdue", False) for a in current_model["actions"]}
    for action in out["actions"]:
        if "overdue" in action:
            action["overdue"] = overdue.get(action["action_id"], False)
    return out


def after_approval(state: RoomState, approved: RoomState) -> Json:
    """What the log gained after the approved entries."""
    updates = []
    for action in state.actions.values():
        before = approved.actions.get(action.action_id)
        for update in action.updates[len(before.updates) if before else 0 :]:
            updates.append({"action_id": action.action_id, "title": action.title, **update})
    seen = {n.note_id for n in approved.notes}
    return {
        "from_entry": approved.entry_seq + 1,
        "record_until": state.last_at,
        "amendments": [dict(x) for x in state.amendments],
        "action_updates": sorted(updates, key=lambda u: u["at"]),
        "notes": [n.to_wire() for n in state.notes if n.note_id not in seen],
    }

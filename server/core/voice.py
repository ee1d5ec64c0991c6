"""Who may be heard: the floor decides, for the voice as for the words.

An audio frame names the turn it belongs to. It is heard only if that turn is
running now (its ``ends_at`` not yet passed: the countdown cuts the microphone
before the turn's end reaches the log), and it comes from the floor holder, or
from a clerk's page that is the microphone of a holder seated in the hall, and
the holder is not muted. A moderator can always speak, as the chair, unless the
moderator holds the floor (then it is the holder's voice like anyone's).

Pure: the caller gives the state and the time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from .state import RoomState
from .types import CommandError, ErrorCode, Json, Role


class Dropped(str, enum.Enum):
    """Why a frame was not relayed (the ``result`` label of the frame counter)."""

    OVERSIZE = "oversize"
    RATE = "rate"
    MALFORMED = "malformed"
    OBSERVER = "observer"
    OLD_TURN = "old_turn"
    NOT_FLOOR = "not_floor"
    MUTED = "muted"
    OVER_BUDGET = "over_budget"  # the speaker's voice budget is spent (server/host/voicebudget.py)


@dataclass(frozen=True, slots=True)
class Heard:
    """A frame to relay: for which turn (``""`` for the chair), whose voice, the chair's?"""

    turn_id: str
    speaker: str
    chair: bool


def heard(state: RoomState, sender: str, role: Role, turn_id: str, now: int) -> Heard | Dropped:
    """Whether ``sender`` (of ``role``), sending audio for ``turn_id`` at ``now``, is heard."""
    if role is Role.OBSERVER:
        return Dropped.OBSERVER
    turn = state.turn
    running = turn is not None and turn.turn_id == turn_id and now < turn.ends_at
    if role is Role.MODERATOR:
        if running and turn is not None and turn.participant_id == sender:
            return Heard(turn_id, sender, chair=False)
        return Heard("", sender, chair=True)
    if not running or turn is None:
        return Dropped.OLD_TURN
    holder = state.participants.get(turn.participant_id)
    if holder is None:
        return Dropped.NOT_FLOOR
    if sender != holder.participant_id and not (role is Role.CLERK and holder.in_hall):
        return Dropped.NOT_FLOOR
    if holder.muted_until is not None and holder.muted_until > now:
        return Dropped.MUTED
    return Heard(turn_id, holder.participant_id, chair=False)


def audio_listen(ctx: Any, args: Any) -> Json:
    """``audio.listen`` is answered by the socket that sends it (it hears the floor or
    stops), never appended: an entry of it in a log is a fault of whoever wrote it."""
    raise CommandError(ErrorCode.BAD_COMMAND, "audio.listen is never logged")

"""Recordings of the turns' audio (rules 5): the setting, publishing and erasing.

The audio itself never enters the log: the node that accepted a frame keeps it
in the backend's side store (``server/host/recordings.py``). The log holds what the
record needs to say about it, so the minutes stay a fold over the log:

* ``settings.update {record_audio}`` switches recording on or off (off by
  default). A turn is marked ``recorded`` when it starts while recording is on,
  or when recording is switched on while it runs; ``chair_recorded`` says the
  chair's voice outside a turn may have been kept.
* ``recordings.publish {on}``: the public minutes link the recordings (or stop
  linking them). The moderator's minutes always do.
* ``recordings.erase``: every recording of the room is destroyed. The entry
  switches recording off (so nothing more is kept until a moderator switches
  it on again), forgets every mark above and records when; the node empties the
  side store once the entry is durable (every node hosting the room does it; it
  is idempotent). After it, no link is given and every download is ``404``.

Rooms under older rules have no such setting and refuse both commands.
"""

from __future__ import annotations

from . import args as a
from .context import Context
from .state import RoomState
from .types import CommandError, ErrorCode, Json


def recordings_check(ctx: Context, args: a.RecordingsPublish | a.NoArgs) -> None:
    """a room under rules before 5"""
    if not ctx.state.rules.recordings:
        raise CommandError(ErrorCode.CONFLICT, "this room was created before recordings existed")


def recordings_publish(ctx: Context, args: a.RecordingsPublish) -> Json:
    ctx.state.recordings_published = args.on
    ctx.emit("recordings.published", {"on": args.on})
    return {}


def recordings_erase(ctx: Context, args: a.NoArgs) -> Json:
    state = ctx.state
    for item in state.agenda:
        for turn in item.turns:
            turn.recorded = False
    state.chair_recorded = False
    state.recordings_erased.append(ctx.at)
    if state.settings.get("record_audio"):
        state.settings["record_audio"] = False
        ctx.emit("settings.changed", dict(state.settings))
    ctx.emit("recordings.erased", {"at": ctx.at})
    return {}


def recording_switched(state: RoomState) -> None:
    """Recording is on (a new room, or ``settings.update``): mark what it may keep."""
    if state.settings.get("record_audio"):
        state.chair_recorded = True
        if state.turn is not None:
            state.turn.recorded = True


def recorded_turn_ids(state: RoomState) -> list[str]:
    """The turns whose audio may be kept, in the order they were held."""
    return [t.turn_id for item in state.agenda for t in item.turns if t.recorded]

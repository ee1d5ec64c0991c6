"""``yishi labels``: the moderators' decisions on held chat, as training labels.

A moderator who approves a held message says it was fine; one who removes it
says the hold was right. Both are already in the room's log (``chat.approve``,
``chat.remove``), so the labels are read from the logs when asked for, never
kept anywhere else: erasing a room's log erases its labels. Each line is
``approve`` or ``remove``, a tab, and the message as the room stored it
(personal data already masked), the file ``python3 -m yishi.moderation.retrain
--labels FILE`` folds into a server-local copy of the weights. Nothing leaves
the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable

from ..backends import backend_from_url
from ..config import Config
from ..core.reducer import apply, new_room
from ..core.types import Entry
from .minutes import read_log

DECISIONS = {"chat.approve": "approve", "chat.remove": "remove"}


def held_decisions(room_id: str, entries: Iterable[Entry]) -> list[tuple[str, str]]:
    """``(decision, text)`` for each held message a moderator approved or removed."""
    state = new_room(room_id)
    held: dict[str, str] = {}  # message id -> text, while held
    out: list[tuple[str, str]] = []
    for entry in entries:
        outcome = apply(state, entry)
        for event in outcome.events:
            if event.type == "chat.held":
                held[str(event.data["message_id"])] = str(event.data["text"])
        decision = DECISIONS.get(entry.kind)
        if decision is not None and outcome.error is None:
            text = held.pop(str((entry.args or {}).get("message_id")), None)
            if text is not None:
                out.append((decision, " ".join(text.split())))  # one line, no tabs
    return out


async def _labels(config: Config, rooms: list[str]) -> tuple[list[str], list[str]]:
    """(the rooms read: those given, else every room; a line per decision), through
    one connection to the store."""
    backend = backend_from_url(config.log_url, clock=lambda: 0)
    await backend.start()
    try:
        rooms = rooms or await backend.room_ids()
        return rooms, [
            f"{decision}\t{text}\n"
            for room_id in rooms
            for decision, text in held_decisions(room_id, await read_log(backend, room_id))
        ]
    finally:
        await backend.close()


def run_labels(args: argparse.Namespace, config: Config) -> int:
    rooms, lines = asyncio.run(_labels(config, list(args.room_id)))
    body = "".join(lines)
    if args.output:
        args.output.write_text(body, encoding="utf-8")
    else:
        sys.stdout.write(body)
    print(f"yishi labels: {len(lines)} decisions from {len(rooms)} rooms", file=sys.stderr)
    return 0

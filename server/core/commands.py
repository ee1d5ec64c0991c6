"""Argument shapes of every client command, checked in one place.

The server checks a command against these shapes before it appends it to the
log (so junk never reaches the log); the reducer relies on them. A wrong shape
is ``bad_command``; a text over its limit is ``too_large``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from .state import DEFAULT_SETTINGS, STANCES
from .types import CommandError, ErrorCode, Json

# Text limits from the contract (characters), and our own for the rest.
LIMITS = {
    "statement": 2000, "chat": 500, "name": 40, "note": 200,
    "minutes_note": 2000, "decision": 2000, "title": 200, "owner": 80,
    "question": 300, "option": 100, "topic": 1000,
}
MAX_OPTIONS = 20
MAX_AGENDA_ITEMS = 50

Check = Callable[[str, Any], Any]


def _bad(message: str) -> CommandError:
    return CommandError(ErrorCode.BAD_COMMAND, message)


def text(limit_key: str, *, allow_empty: bool = False) -> Check:
    limit = LIMITS[limit_key]

    def check(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise _bad(f"{name} must be a string")
        stripped: str = value.strip()
        if not stripped and not allow_empty:
            raise _bad(f"{name} must not be empty")
        if len(stripped) > limit:
            raise CommandError(ErrorCode.TOO_LARGE, f"{name} is longer than {limit} characters")
        return stripped

    return check


def integer(low: int, high: int) -> Check:
    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f"{name} must be an integer")
        if not low <= value <= high:
            raise _bad(f"{name} must be between {low} and {high}")
        return value

    return check


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(f"{name} must be true or false")
    return value


def one_of(*allowed: str) -> Check:
    def check(name: str, value: Any) -> str:
        if value not in allowed:
            raise _bad(f"{name} must be one of {', '.join(allowed)}")
        return str(value)

    return check


def ident(name: str, value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise _bad(f"{name} must be an id string")
    return value


def iso_date(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(f"{name} must be an ISO date (YYYY-MM-DD)")
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise _bad(f"{name} must be an ISO date (YYYY-MM-DD)") from None


def list_of(item: Check, *, low: int, high: int) -> Check:
    def check(name: str, value: Any) -> list[Any]:
        if not isinstance(value, list) or not low <= len(value) <= high:
            raise _bad(f"{name} must be a list of {low} to {high} items")
        return [item(f"{name}[{i}]", v) for i, v in enumerate(value)]

    return check


SETTINGS_CHECKS: dict[str, Check] = {
    "turn_seconds": integer(1, 3600),
    "policy": one_of("balanced", "alternate"),
    "revote": boolean,
    "chat_mode": one_of("open", "premoderated", "closed"),
    "spam_action": one_of("hold", "reject"),
    "chat_rate": integer(0, 600),
    "invite_mode": one_of("open", "personal"),
    "lang": one_of("zh", "en"),
}
assert set(SETTINGS_CHECKS) == set(DEFAULT_SETTINGS)


def settings_patch(name: str, value: Any) -> Json:
    if not isinstance(value, dict):
        raise _bad(f"{name} must be an object")
    unknown = set(value) - set(SETTINGS_CHECKS)
    if unknown:
        raise _bad(f"unknown settings: {', '.join(sorted(unknown))}")
    return {k: SETTINGS_CHECKS[k](k, v) for k, v in value.items()}


STANCE = one_of(*STANCES)
SECONDS_600 = integer(1, 600)

# command -> {arg: (check, required)}
SPECS: dict[str, dict[str, tuple[Check, bool]]] = {
    "ping": {},
    "hand.raise": {"stance": (STANCE, True), "note": (text("note", allow_empty=True), False),
                   "on_behalf_of": (ident, False)},
    "hand.lower": {"on_behalf_of": (ident, False)},
    "statement.post": {"text": (text("statement"), True), "on_behalf_of": (ident, False)},
    "turn.yield": {},
    "poll.vote": {"poll_id": (ident, True),
                  "choices": (list_of(integer(0, MAX_OPTIONS - 1), low=0, high=MAX_OPTIONS), True),
                  "on_behalf_of": (ident, False)},
    "chat.send": {"text": (text("chat"), True)},
    "session.start": {},
    "session.end": {},
    "agenda.goto": {"index": (integer(0, MAX_AGENDA_ITEMS - 1), True)},
    "agenda.set": {"items": (list_of(text("title"), low=1, high=MAX_AGENDA_ITEMS), True)},
    "turn.next": {},
    "turn.grant": {"participant_id": (ident, True), "stance": (STANCE, False)},
    "turn.end": {"turn_id": (ident, False)},
    "turn.extend": {"seconds": (SECONDS_600, True), "turn_id": (ident, False)},
    "queue.remove": {"participant_id": (ident, True)},
    "offline.add": {"name": (text("name"), True)},
    "poll.open": {"question": (text("question"), True),
                  "options": (list_of(text("option"), low=0, high=MAX_OPTIONS), False),
                  "kind": (one_of("single", "multi", "yes_no_abstain"), True),
                  "max_choices": (integer(1, MAX_OPTIONS), False),
                  "secret": (boolean, False), "live_results": (boolean, False)},
    "poll.close": {"poll_id": (ident, True)},
    "chat.approve": {"message_id": (ident, True)},
    "chat.remove": {"message_id": (ident, True)},
    "chat.pin": {"message_id": (ident, True)},
    "participant.mute": {"participant_id": (ident, True), "seconds": (integer(0, 86400), True)},
    "participant.remove": {"participant_id": (ident, True)},
    "minutes.note": {"text": (text("minutes_note"), True)},
    "decision.record": {"text": (text("decision"), True), "poll_id": (ident, False)},
    "action.add": {"title": (text("title"), True), "owner": (text("owner"), True),
                   "due": (iso_date, True)},
    "action.update": {"action_id": (ident, True),
                      "status": (one_of("open", "in_progress", "done", "dropped"), True),
                      "note": (text("minutes_note", allow_empty=True), False)},
    "minutes.publish": {},
}

# Commands whose arguments are a settings patch (any keys of `settings`).
SETTINGS_COMMAND = "settings.update"


def validate(cmd: str, args: Any) -> Json:
    """Check a command's arguments; returns them normalised (texts stripped).

    Raises ``CommandError`` (``bad_command`` or ``too_large``).
    """
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise _bad("args must be an object")
    if cmd == SETTINGS_COMMAND:
        patch = settings_patch("args", args)
        if not patch:
            raise _bad("settings.update needs at least one setting")
        return patch
    spec = SPECS.get(cmd)
    if spec is None:
        raise _bad(f"unknown command {cmd!r}")
    unknown = set(args) - set(spec)
    if unknown:
        raise _bad(f"unknown arguments: {', '.join(sorted(unknown))}")
    out: Json = {}
    for name, (check, required) in spec.items():
        if name not in args or args[name] is None:
            if required:
                raise _bad(f"{name} is required")
            continue
        out[name] = check(name, args[name])
    return out


def is_command(cmd: str) -> bool:
    return cmd in SPECS or cmd == SETTINGS_COMMAND

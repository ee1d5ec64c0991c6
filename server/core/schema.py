"""Argument shapes: the checks a value must pass, and how a command's arguments
become one typed, frozen dataclass.

Every command and system entry has an arguments class (``args.py``) whose
fields carry their check. ``parse`` builds it from the JSON of a client frame
or of a log entry, and ``to_log`` turns it back into the JSON the log stores.
A wrong shape is ``bad_command``; a text over its limit is ``too_large``.
Checks normalise (texts are stripped) and are idempotent, so an entry parsed
when it is written and again when it is applied gives the same value.

At the edge every string of the arguments is also held to ``characters.py``
(no control, bidirectional or noncharacter): ``bad_command`` naming the
character. Entries read back from the log (``logged``) are not: one written
before that rule still applies as it did, and is cleaned where it is published.

Some arguments are set by the server, never by a client: a salt, the rules
version, invite codes, the moderation verdict. Their field names a
``ServerValue``; ``parse(..., client=True)`` refuses them as unknown.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Callable
from typing import Any, TypeVar

from .characters import refused_in
from .types import CommandError, ErrorCode, Json

# Text limits from the contract (characters), and our own for the rest.
LIMITS = {
    "statement": 2000,
    "chat": 500,
    "name": 40,
    "note": 200,
    "minutes_note": 2000,
    "decision": 2000,
    "title": 200,
    "owner": 80,
    "question": 300,
    "option": 100,
    "topic": 1000,
    "why": 300,
}
MAX_OPTIONS = 20
MAX_AGENDA_ITEMS = 50

Check = Callable[[str, Any], Any]
T = TypeVar("T")


class ServerValue(str, enum.Enum):
    """Arguments the server supplies when it appends an entry (the core has no
    randomness and no configuration of its own, so these travel in the log)."""

    SALT = "salt"  # random, so a secret ballot cannot be guessed from a digest
    MINUTES_URL = "minutes_url"  # the public address of the minutes
    RULES_VERSION = "rules_version"  # the reducer's rules a room is created under
    INVITE_CODE = "invite_code"  # a random room code
    INVITE_CODES = "invite_codes"  # random personal codes
    VERDICT = "verdict"  # the moderation pipeline's chat status and reasons
    FROM_NODE = "from_node"  # facts a node reports (presence, a dead node)
    BALLOT_KEY = "ballot_key"  # a random id naming a secret poll's key (kept outside the log)
    SEALED = "sealed"  # a secret ballot's choice, sealed under its poll's key
    DEVICE = "device"  # a keyed hash of the device claiming a personal code
    SIGNATURE = "signature"  # rules 6: the deployment's signature of an approval (signing.py)


def bad(message: str) -> CommandError:
    return CommandError(ErrorCode.BAD_COMMAND, message)


# -- checks ------------------------------------------------------------------------------


def text(limit_key: str, *, allow_empty: bool = False) -> Check:
    return bounded(LIMITS[limit_key], allow_empty=allow_empty)


def bounded(limit: int, *, allow_empty: bool = False) -> Check:
    """A string, stripped, of at most ``limit`` characters (``too_large`` beyond)."""

    def check(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise bad(f"{name} must be a string")
        stripped: str = value.strip()
        if not stripped and not allow_empty:
            raise bad(f"{name} must not be empty")
        if len(stripped) > limit:
            raise CommandError(ErrorCode.TOO_LARGE, f"{name} is longer than {limit} characters")
        return stripped

    return check


def integer(low: int, high: int) -> Check:
    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad(f"{name} must be an integer")
        if not low <= value <= high:
            raise bad(f"{name} must be between {low} and {high}")
        return value

    return check


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise bad(f"{name} must be true or false")
    return value


def one_of(*allowed: str) -> Check:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise bad(f"{name} must be one of {', '.join(allowed)}")
        return value

    return check


def ident(name: str, value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise bad(f"{name} must be an id string")
    return value


def iso_date(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise bad(f"{name} must be an ISO date (YYYY-MM-DD)")
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise bad(f"{name} must be an ISO date (YYYY-MM-DD)") from None


def list_of(item: Check, *, low: int, high: int) -> Check:
    def check(name: str, value: Any) -> list[Any]:
        if not isinstance(value, list) or not low <= len(value) <= high:
            raise bad(f"{name} must be a list of {low} to {high} items")
        return [item(f"{name}[{i}]", v) for i, v in enumerate(value)]

    return check


def distinct(check: Check, what: str) -> Check:
    def checked(name: str, value: Any) -> Any:
        out = check(name, value)
        if len(set(out)) != len(out):
            raise bad(f"{what} must be distinct")
        return out

    return checked


# -- arguments classes -------------------------------------------------------------------


def arg(check: Check, *, server: ServerValue | None = None) -> Any:
    """A required argument."""
    return dataclasses.field(metadata={"check": check, "server": server})


def opt(check: Check, *, server: ServerValue | None = None, default: Any = None) -> Any:
    """An optional argument (absent or null: ``default``)."""
    return dataclasses.field(default=default, metadata={"check": check, "server": server})


def fields_of(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


def server_values(cls: type) -> dict[str, ServerValue]:
    """The fields of ``cls`` that the server sets, and what each one is."""
    return {f.name: f.metadata["server"] for f in fields_of(cls) if f.metadata.get("server")}


def printable(name: str, value: T) -> T:
    """``value`` if none of its strings (in lists and objects too) holds a character
    that ``characters.refused_in`` names; else ``bad_command`` saying which."""
    if isinstance(value, str):
        found = refused_in(value)
        if found is not None:
            raise bad(f"{name} holds {found}, which a text may not hold")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            printable(f"{name}[{i}]", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            printable(f"{name}.{key}", item)
    return value


def parse(cls: type[T], raw: Any, *, client: bool, logged: bool = False) -> T:
    """``raw`` (a JSON object, or None for no arguments) as an instance of ``cls``.

    With ``client``, the fields the server sets count as unknown. Without
    ``logged`` (arguments read back from the log), every value is ``printable``.
    Raises ``CommandError`` (``bad_command`` or ``too_large``).
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise bad("args must be an object")
    fields = {f.name: f for f in fields_of(cls) if not (client and f.metadata.get("server"))}
    unknown = [str(k) for k in raw if k not in fields]
    if unknown:
        raise bad(f"unknown arguments: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, field in fields.items():
        value = raw.get(name)
        if value is None:
            if field.default is dataclasses.MISSING:
                raise bad(f"{name} is required")
            continue
        values[name] = field.metadata["check"](name, value)
        if not logged:
            printable(name, values[name])
    return cls(**values)


def to_log(args: Any) -> Json:
    """The JSON a log entry stores for ``args`` (absent optional values left out)."""
    return {
        f.name: getattr(args, f.name)
        for f in fields_of(type(args))
        if getattr(args, f.name) is not None
    }


def code(name: str, value: Any) -> str:
    """An invite code or a node id as typed or made: a short string."""
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise bad(f"{name} must be a string of 1 to 64 characters")
    return value


def sealed_text(name: str, value: Any) -> str:
    """A sealed ballot as the log stores it: a short base64 string."""
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise bad(f"{name} must be a sealed ballot")
    return value


def choice_lists(name: str, value: Any) -> list[list[int]]:
    """Ballots' choices, in no particular order (a count's record for a recount)."""
    if not isinstance(value, list) or len(value) > 1_000_000:
        raise bad(f"{name} must be a list of ballots")
    ballot = list_of(integer(0, MAX_OPTIONS - 1), low=1, high=MAX_OPTIONS)
    return [ballot(f"{name}[{i}]", v) for i, v in enumerate(value)]


def word(name: str, value: Any) -> str:
    """A moderation reason and the like: a short string."""
    if not isinstance(value, str) or len(value) > 100:
        raise bad(f"{name} must be a short string")
    return value


def cue_seconds(name: str, value: Any) -> list[int]:
    """Time cues: at most 3 distinct whole seconds, 1..600, kept largest first."""
    if not isinstance(value, list) or len(value) > 3:
        raise bad(f"{name} must be a list of at most 3 numbers of seconds")
    seconds = [integer(1, 600)(f"{name}[{i}]", v) for i, v in enumerate(value)]
    if len(set(seconds)) != len(seconds):
        raise bad(f"{name} must not repeat a second")
    return sorted(seconds, reverse=True)


SETTINGS_CHECKS: dict[str, Check] = {
    "turn_seconds": integer(1, 3600),
    "policy": one_of("balanced", "alternate"),
    "revote": boolean,
    "chat_mode": one_of("open", "premoderated", "closed"),
    "spam_action": one_of("hold", "reject"),
    "chat_rate": integer(0, 600),
    "invite_mode": one_of("open", "personal"),
    "lang": one_of("zh", "en"),
    "record_audio": boolean,
    "cue_seconds": cue_seconds,
}


def settings_patch(name: str, value: Any) -> Json:
    if not isinstance(value, dict):
        raise bad(f"{name} must be an object")
    unknown = [str(k) for k in value if k not in SETTINGS_CHECKS]
    if unknown:
        raise bad(f"unknown settings: {', '.join(sorted(unknown))}")
    return {k: SETTINGS_CHECKS[k](k, v) for k, v in value.items()}

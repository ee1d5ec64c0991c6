"""Does a JSON export of the minutes match a room's stored log?

An export states the digest of the log it was made from and how many entries
went into it (``integrity``). It matches when the stored log's first that
many entries hash to that digest (so no entry was changed, dropped or
inserted) and the minutes rebuilt from those entries equal the export's
content (so the export itself was not edited). A log that has grown since
still matches: drafts are exports of a prefix. Both copies are checked the
same way, each against the copy it says it is (``"copy": "public"``, or no
``copy``: the moderator's): the public copy carries the digest of the whole
log, so anyone holding the log can check it, and rebuilding it from the log
gives exactly the public copy, never the moderator's. An export that states
the day it was made on (``as_of``: overdue flags depend on the day, not on the
log) is rebuilt as of that day, so it matches on any later day too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..core.reducer import replay
from ..core.types import Entry
from .digest import ALGORITHM, log_digest
from .model import PUBLIC, SCHEMA, build_minutes


class NotAnExport(ValueError):
    """The file is not a JSON export of Yishi minutes (or of a schema we do not know)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    message: str


def read_export(data: bytes) -> dict[str, Any]:
    """The export's content; raises :class:`NotAnExport`."""
    try:
        export = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise NotAnExport(f"not JSON: {error}") from None
    if not isinstance(export, dict) or export.get("schema") != SCHEMA:
        raise NotAnExport(f"not a minutes export of schema {SCHEMA}")
    integrity = export.get("integrity")
    if (not isinstance(integrity, dict) or integrity.get("algorithm") != ALGORITHM
            or not isinstance(integrity.get("entries"), int)
            or not isinstance(integrity.get("digest"), str)):
        raise NotAnExport(f"the export has no {ALGORITHM} integrity record")
    if "as_of" in export and not _is_day(export["as_of"]):
        raise NotAnExport(f"as_of {export['as_of']!r} is not a date (YYYY-MM-DD)")
    if export.get("copy", PUBLIC) != PUBLIC:
        raise NotAnExport(f"unknown copy {export.get('copy')!r} (the public copy says "
                          f"{PUBLIC!r}; the moderator's says nothing)")
    return export


def _is_day(value: Any) -> bool:
    try:
        return isinstance(value, str) and date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    """The JSON path of the first place where ``a`` and ``b`` differ, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{path}.{key}"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for n, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{n}]")
            if found:
                return found
        return None if len(a) == len(b) else f"{path}[{min(len(a), len(b))}]"
    return None if a == b and type(a) is type(b) else path


def verify_export(export: dict[str, Any], entries: list[Entry], *, room_id: str) -> Verdict:
    """Check ``export`` (from :func:`read_export`) against ``room_id``'s stored ``entries``."""
    if export.get("room_id") != room_id:
        return Verdict(False, f"MISMATCH: the export is of room {export.get('room_id')!r}, "
                              f"not {room_id!r}")
    claimed = export["integrity"]
    count, digest = claimed["entries"], claimed["digest"]
    if count > len(entries):
        return Verdict(False, f"MISMATCH: the export was made from {count} entries; the stored "
                              f"log of room {room_id} holds only {len(entries)}")
    actual = log_digest(entries[:count])
    if actual != digest:
        return Verdict(False, f"MISMATCH: the stored log's first {count} entries hash to "
                              f"{actual}, the export says {digest}: the log or the export "
                              f"has been changed")
    # Entries that hash right are the ones the export was made from: they replay.
    public = export.get("copy") == PUBLIC
    as_of = date.fromisoformat(export["as_of"]) if "as_of" in export else None
    rebuilt = build_minutes(replay(room_id, entries[:count]), digest=actual, public=public,
                            as_of=as_of)
    where = first_difference(json.loads(json.dumps(rebuilt)), export)
    if where is not None:
        return Verdict(False, f"MISMATCH: the export's content differs from the minutes of the "
                              f"stored log at {where}: the export has been edited")
    copy = "public copy" if public else "moderator's copy"
    message = f"OK: the export ({copy}) matches the first {count} entries of room " \
              f"{room_id}'s log (digest {digest})"
    if len(entries) > count:
        message += f"; the log has {len(entries) - count} more entries since it was made"
    return Verdict(True, message)

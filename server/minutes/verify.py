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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..core.reducer import replay
from ..core.types import Entry
from .approved import approved_entries
from .digest import ALGORITHM, log_digest
from .export_json import NotCanonical, parse_export_json
from .model import PUBLIC, SCHEMA, build_minutes
from .signature import BadKey, key_id, read_public_key, signature_problem


class NotAnExport(ValueError):
    """The file is not a JSON export of Yishi minutes (or of a schema we do not know)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    message: str


def read_export(data: bytes) -> dict[str, Any]:
    """The export's content; raises :class:`NotAnExport`."""
    try:
        export = parse_export_json(data)
    except NotCanonical as error:
        raise NotAnExport(str(error)) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise NotAnExport(f"not JSON: {error}") from None
    if not isinstance(export, dict) or export.get("schema") != SCHEMA:
        raise NotAnExport(f"not a minutes export of schema {SCHEMA}")
    integrity = export.get("integrity")
    if (
        not isinstance(integrity, dict)
        or integrity.get("algorithm") != ALGORITHM
        or not isinstance(integrity.get("entries"), int)
        or not isinstance(integrity.get("digest"), str)
    ):
        raise NotAnExport(f"the export has no {ALGORITHM} integrity record")
    if "as_of" in export and not _is_day(export["as_of"]):
        raise NotAnExport(f"as_of {export['as_of']!r} is not a date (YYYY-MM-DD)")
    if export.get("copy", PUBLIC) != PUBLIC:
        raise NotAnExport(
            f"unknown copy {export.get('copy')!r} (the public copy says "
            f"{PUBLIC!r}; the moderator's says nothing)"
        )
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


def verify_export(
    export: dict[str, Any],
    entries: list[Entry],
    *,
    room_id: str,
    keys: Mapping[bytes, str] | None = None,
) -> Verdict:
    """Check ``export`` (from :func:`read_export`) against ``room_id``'s stored ``entries``.

    ``keys`` (rules 6): the raw public keys the approvals' signatures may be made
    with, each with where it came from (for the report: ``"the deployment's"``);
    none: the key the export carries, which proves only that the export agrees
    with itself.
    """
    if export.get("room_id") != room_id:
        return Verdict(
            False, f"MISMATCH: the export is of room {export.get('room_id')!r}, not {room_id!r}"
        )
    claimed = export["integrity"]
    count, digest = claimed["entries"], claimed["digest"]
    if count > len(entries):
        return Verdict(
            False,
            f"MISMATCH: the export was made from {count} entries; the stored "
            f"log of room {room_id} holds only {len(entries)}",
        )
    actual = log_digest(entries[:count])
    if actual != digest:
        return Verdict(
            False,
            f"MISMATCH: the stored log's first {count} entries hash to "
            f"{actual}, the export says {digest}: the log or the export "
            f"has been changed",
        )
    checked = [f"digest chain: the stored log's first {count} entries hash to {digest}"]
    signed = check_approvals(export, entries[:count], room_id=room_id, keys=keys or {})
    if isinstance(signed, Verdict):
        return signed
    checked += signed
    # Entries that hash right are the ones the export was made from: they replay.
    public = export.get("copy") == PUBLIC
    as_of = date.fromisoformat(export["as_of"]) if "as_of" in export else None
    state = replay(room_id, entries[:count])
    approved_n = approved_entries(state)
    approved = replay(room_id, entries[:approved_n]) if approved_n is not None else None
    rebuilt = build_minutes(state, digest=actual, public=public, as_of=as_of, approved=approved)
    where = first_difference(json.loads(json.dumps(rebuilt)), export)
    if where is not None:
        return Verdict(
            False,
            f"MISMATCH: the export's content differs from the minutes of the "
            f"stored log at {where}: the export has been edited",
        )
    copy = "public copy" if public else "moderator's copy"
    checked.append(
        f"content: the {copy} rebuilt from those entries equals the export"
        + (f" (approved part: the first {approved_n} entries)" if approved else "")
    )
    message = (
        f"OK: the export ({copy}) matches the first {count} entries of room "
        f"{room_id}'s log (digest {digest})"
    )
    if len(entries) > count:
        message += f"; the log has {len(entries) - count} more entries since it was made"
    return Verdict(True, "\n".join([message, *(f"  checked {line}" for line in checked)]))


def check_approvals(
    export: dict[str, Any], entries: list[Entry], *, room_id: str, keys: Mapping[bytes, str]
) -> list[str] | Verdict:
    """Each approval's signature, its key, and that it signed the approved prefix's digest:
    what was checked, or the failing :class:`Verdict`."""
    block = export.get("approval")
    approvals = block.get("approvals") if isinstance(block, dict) else None
    if not approvals:
        return ["approval: none (the minutes are not approved)"] if block is not None else []
    if not isinstance(approvals, list):
        return Verdict(False, "MISMATCH: the export's approvals are not a list")
    lines = []
    for n, approval in enumerate(approvals, 1):
        if not isinstance(approval, dict) or not isinstance(approval.get("statement"), dict):
            return Verdict(False, f"FORGED: approval {n} has no signed statement")
        statement = approval["statement"]
        carried = read_key(approval.get("public_key"))
        if carried is None:
            return Verdict(False, f"FORGED: approval {n} carries no readable public key")
        if keys and carried not in keys:
            trusted_keys = " or ".join(f"{source} key {key_id(k)}" for k, source in keys.items())
            return Verdict(
                False,
                f"FORGED: approval {n} says it was signed with key "
                f"{key_id(carried)}, not {trusted_keys}",
            )
        trusted = carried
        problem = signature_problem(approval, trusted)
        if problem is not None:
            return Verdict(False, f"FORGED: approval {n}: {problem}")
        if statement.get("room_id") != room_id:
            return Verdict(False, f"FORGED: approval {n} is of room {statement.get('room_id')!r}")
        signed_n, signed_digest = statement.get("entries"), statement.get("digest")
        if not isinstance(signed_n, int) or not 0 < signed_n <= len(entries):
            return Verdict(
                False,
                f"MISMATCH: approval {n} covers {signed_n!r} entries; the "
                f"export was made from {len(entries)}",
            )
        prefix = log_digest(entries[:signed_n])
        if prefix != signed_digest:
            return Verdict(
                False,
                f"MISMATCH: approval {n} signed digest {signed_digest}, but "
                f"the stored log's first {signed_n} entries hash to {prefix}",
            )
        names = " and ".join(
            f"{s.get('name')} ({s.get('role')})" for s in statement.get("signers") or []
        )
        source = (
            f"{keys[trusted]} key"
            if keys
            else "the key the export carries, which proves only that it agrees with "
            "itself; compare it with the deployment's (GET /api/signing-key)"
        )
        lines.append(
            f"approval {n}: signed by {names} at {statement.get('approved_at')}; the "
            f"Ed25519 signature is valid under {source} {key_id(trusted)}; it signed "
            f"the digest of the stored log's first {signed_n} entries"
        )
    return lines


def read_key(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return read_public_key(value.encode("ascii", "replace"))
    except BadKey:
        return None

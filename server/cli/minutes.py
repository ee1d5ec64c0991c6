"""``yishi minutes``: render a room's minutes straight from its stored log, or
check a JSON export against it (``--verify FILE``), the approvals' signatures
included (against the deployment's key in the backend, or ``--key KEYFILE``).

Exit status: 0 written, or the export matches; 1 no such room, or the export
does not match; 2 bad usage (no room id, a file that is not a minutes export).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ..backends import backend_from_url
from ..backends.base import LogBackend, is_room_log
from ..config import Config
from ..core.reducer import replay
from ..core.types import Entry
from ..host.signing import stored_key
from ..minutes import (
    NotAnExport,
    approved_entries,
    log_digest,
    read_export,
    render_minutes,
    verify_export,
)
from ..minutes.deadlines import local_today
from ..minutes.signature import BadKey, read_public_key


async def load_log(config: Config, room_id: str) -> list[Entry]:
    """Every stored entry of ``room_id``, in order (``[]`` for an unknown room)."""
    backend = backend_from_url(config.log_url, clock=lambda: 0)
    await backend.start()
    try:
        return await read_log(backend, room_id)
    finally:
        await backend.close()


async def load_signing_key(config: Config) -> bytes | None:
    """The deployment's public signing key from its backend, or None (never made)."""
    backend = backend_from_url(config.log_url, clock=lambda: 0)
    await backend.start()
    try:
        key = await stored_key(backend)
        return key.public if key is not None else None
    finally:
        await backend.close()


async def read_log(backend: LogBackend, room_id: str) -> list[Entry]:
    """Every stored entry of ``room_id`` in ``backend``, in order, page by page."""
    entries: list[Entry] = []
    while True:
        page = await backend.read(room_id, after=len(entries))
        if not page:
            return entries
        entries += page


def run_minutes(args: argparse.Namespace, config: Config) -> int:
    if not args.room_id:
        print("yishi minutes: ROOM_ID is required", file=sys.stderr)
        return 2
    export = None
    if args.verify is not None:
        try:
            export = read_export(args.verify.read_bytes())
        except OSError as error:
            print(f"yishi minutes: cannot read {args.verify}: {error.strerror}", file=sys.stderr)
            return 2
        except NotAnExport as error:
            print(
                f"yishi minutes: {args.verify} is not a JSON export of minutes ({error})",
                file=sys.stderr,
            )
            return 2

    keys: dict[bytes, str] = {}  # the trusted public keys, and where each came from
    for path in (getattr(args, "key", None) or []) if export is not None else []:
        try:
            keys[read_public_key(path.read_bytes())] = f"the key file {path}'s"
        except OSError as error:
            print(f"yishi minutes: cannot read {path}: {error.strerror}", file=sys.stderr)
            return 2
        except BadKey as error:
            print(f"yishi minutes: {path} is not a public key ({error})", file=sys.stderr)
            return 2

    # A community's log (community:ID) is not a room's: it has no minutes.
    entries = asyncio.run(load_log(config, args.room_id)) if is_room_log(args.room_id) else []
    if not entries:
        print(f"yishi minutes: no room {args.room_id}", file=sys.stderr)
        return 1
    if export is not None:
        if not keys:
            key = asyncio.run(load_signing_key(config))
            if key is not None:
                keys[key] = "the deployment's (from its backend)"
        verdict = verify_export(export, entries, room_id=args.room_id, keys=keys)
        print(verdict.message)
        return 0 if verdict.ok else 1

    state = replay(args.room_id, entries)
    approved_n = approved_entries(state)
    approved = replay(args.room_id, entries[:approved_n]) if approved_n is not None else None
    body, _ = render_minutes(
        state,
        digest=log_digest(entries),
        fmt=args.format,
        lang=args.lang or state.settings["lang"],
        as_of=local_today(),
        approved=approved,
    )
    if args.output:
        args.output.write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
    return 0

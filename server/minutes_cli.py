"""``yishi minutes``: render a room's minutes straight from its stored log."""

from __future__ import annotations

import argparse
import asyncio
import sys

from yishi.backends import backend_from_url
from yishi.core.reducer import replay
from yishi.minutes import log_digest, render_minutes

from .config import Config


def run_minutes(args: argparse.Namespace, config: Config) -> int:
    if not args.room_id:
        print("yishi minutes: ROOM_ID is required", file=sys.stderr)
        return 2

    async def load():  # type: ignore[no-untyped-def]
        backend = backend_from_url(config.log_url, clock=lambda: 0)
        await backend.start()
        try:
            entries = []
            while True:
                page = await backend.read(args.room_id, after=len(entries))
                if not page:
                    return entries
                entries += page
        finally:
            await backend.close()

    entries = asyncio.run(load())
    if not entries:
        print(f"yishi minutes: no room {args.room_id}", file=sys.stderr)
        return 1
    state = replay(args.room_id, entries)
    body, _ = render_minutes(state, digest=log_digest(entries), fmt=args.format,
                             lang=args.lang or state.settings["lang"])
    if args.output:
        args.output.write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
    return 0

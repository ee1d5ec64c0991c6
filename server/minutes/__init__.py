"""Minutes: a fold over the room's log (placeholder until the full model lands)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from yishi.core.state import RoomState
from yishi.core.types import Entry

FORMATS = {"json": "application/json", "md": "text/markdown; charset=utf-8"}


def log_digest(entries: Iterable[Entry]) -> str:
    digest = "0" * 64
    for entry in entries:
        record = json.dumps(entry.to_record(), sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256((digest + record).encode()).hexdigest()
    return digest


def render_minutes(state: RoomState, *, digest: str, fmt: str, lang: str) -> tuple[bytes, str]:
    model = {"room_id": state.room_id, "title": state.title, "digest": digest,
             "agenda": [{"title": i.title, "turns": [t.to_wire() for t in i.turns]}
                        for i in state.agenda]}
    if fmt == "md":
        return f"# {state.title}\n".encode(), FORMATS["md"]
    return json.dumps(model, ensure_ascii=False).encode(), FORMATS["json"]

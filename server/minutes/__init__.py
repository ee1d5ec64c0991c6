"""Minutes: a fold over the room's log, rendered for people and for machines.

* :func:`build_minutes` turns a room's state into the minutes model (a JSON-
  ready dict; its schema is in docs/minutes.md): the moderator's copy, or the
  public copy (attendance as counts only).
* :func:`render_minutes` renders it as Markdown, print-ready HTML, JSON or
  Word, in Chinese or English; :data:`FORMATS` maps each format to its media
  type.
* :func:`log_digest` is the SHA-256 hash chain every export carries;
  :func:`verify_export` checks a JSON export against a stored log.
"""

from __future__ import annotations

import datetime
from typing import Any

from ..core.characters import published
from ..core.state import RoomState
from .approved import approved_entries
from .catalog import LANGS
from .digest import log_digest
from .export_json import export_json
from .model import SCHEMA, build_minutes
from .outline import outline
from .render_docx import render_docx
from .render_html import render_html
from .render_md import render_markdown
from .verify import NotAnExport, Verdict, read_export, verify_export

FORMATS: dict[str, str] = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

__all__ = [
    "FORMATS",
    "LANGS",
    "SCHEMA",
    "NotAnExport",
    "Verdict",
    "approved_entries",
    "build_minutes",
    "export_json",
    "log_digest",
    "read_export",
    "render_minutes",
    "render_model",
    "verify_export",
]


def render_model(model: dict[str, object], *, fmt: str, lang: str) -> bytes:
    """``model`` (from :func:`build_minutes`) as ``fmt`` in ``lang``.

    JSON is the model itself, language-neutral (``lang`` does not change it).
    Raises ``ValueError`` for an unknown format or language.
    """
    if fmt not in FORMATS:
        raise ValueError(f"no minutes format {fmt!r}; have {', '.join(FORMATS)}")
    if lang not in LANGS:
        raise ValueError(f"no minutes language {lang!r}; have {', '.join(LANGS)}")
    if fmt == "json":
        return export_json(model)
    # For people, without what the edge now refuses (an old entry's control or
    # bidirectional characters); the JSON stays the model, which verify rebuilds.
    doc = outline(published_model(model), lang=lang)
    if fmt == "md":
        return render_markdown(doc).encode("utf-8")
    if fmt == "html":
        return render_html(doc).encode("utf-8")
    return render_docx(doc)


def published_model(value: Any) -> Any:
    """``value`` with every string in it ``published``."""
    if isinstance(value, str):
        return published(value)
    if isinstance(value, list):
        return [published_model(v) for v in value]
    if isinstance(value, dict):
        return {k: published_model(v) for k, v in value.items()}
    return value


def render_minutes(
    state: RoomState,
    *,
    digest: str,
    fmt: str,
    lang: str,
    public: bool = False,
    as_of: datetime.date | None = None,
    approved: RoomState | None = None,
) -> tuple[bytes, str]:
    """The minutes of ``state`` as ``(body, media type)``; ``digest`` is
    :func:`log_digest` of the entries ``state`` was made from. ``public``: the
    public copy (attendance as counts only), else the moderator's. ``as_of``: the
    day overdue actions are flagged for (none: no flags). ``approved``: the state
    of the approved entries, once approved (``approved_entries``)."""
    model = build_minutes(state, digest=digest, public=public, as_of=as_of, approved=approved)
    body = render_model(model, fmt=fmt, lang=lang)
    return body, FORMATS[fmt]

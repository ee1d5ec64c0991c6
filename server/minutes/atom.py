"""Atom feeds (RFC 4287), for follow-up that reaches people without an account.

A resident who attended a session, a WeChat bridge or any feed reader can
follow what happens after it (an action's progress, a topic's state) by
polling one URL. Atom rather than RSS because it has required ids and
timestamps, so a reader never shows the same change twice.

Pure: the caller gives the feed's identity and its entries, newest first or
not (they are written newest first); the result is the UTF-8 document. Every
text is escaped, and written without the characters the edge refuses
(core/characters.py): an old entry holding one still gives a valid feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape as escape_xml
from xml.sax.saxutils import quoteattr

from ..core.characters import published

MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def escape(text: str) -> str:
    return escape_xml(published(text))


@dataclass(frozen=True)
class FeedEntry:
    entry_id: str  # stable and unique forever, e.g. "urn:yishi:ROOM:action:a1:3"
    title: str
    at_ms: int  # when it happened, epoch milliseconds
    summary: str = ""
    link: str | None = None


def rfc3339(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    alternate_url: str | None,
    entries: list[FeedEntry],
    updated_ms: int,
) -> bytes:
    """The feed document. ``updated_ms`` is used when there are no entries."""
    newest = sorted(entries, key=lambda e: (e.at_ms, e.entry_id), reverse=True)
    updated = newest[0].at_ms if newest else updated_ms
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<id>{escape(feed_id)}</id>",
        f"<title>{escape(title)}</title>",
        f"<updated>{rfc3339(updated)}</updated>",
        f'<link rel="self" href={quoteattr(self_url)}/>',
        "<author><name>Yishi</name></author>",
    ]
    if alternate_url:
        parts.append(f'<link rel="alternate" href={quoteattr(alternate_url)}/>')
    for entry in newest:
        parts.append("<entry>")
        parts.append(f"<id>{escape(entry.entry_id)}</id>")
        parts.append(f"<title>{escape(entry.title)}</title>")
        parts.append(f"<updated>{rfc3339(entry.at_ms)}</updated>")
        if entry.link:
            parts.append(f'<link rel="alternate" href={quoteattr(entry.link)}/>')
        if entry.summary:
            parts.append(f"<summary>{escape(entry.summary)}</summary>")
        parts.append("</entry>")
    parts.append("</feed>")
    return ("\n".join(parts) + "\n").encode("utf-8")

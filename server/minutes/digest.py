"""The integrity digest of a room's log: a SHA-256 hash chain over its entries.

Every export of the minutes carries the digest of the log it was made from
and the number of entries that went into it, so that anyone holding the
stored log can check an export (``yishi minutes ROOM_ID --verify FILE``).

The rules (docs/minutes.md, "Integrity"), simple enough to reimplement:

* An entry's canonical encoding is the UTF-8 JSON of ``Entry.to_record()``
  (``seq``, ``at``, ``kind``, ``args`` and, when present, ``actor`` and
  ``nonce``) with keys sorted, no whitespace (separators ``,`` and ``:``) and
  non-ASCII characters written as themselves. Byte strings, which a log can
  hold but JSON cannot, are written as ``{"$bytes": "<hex>"}``.
* ``h0`` is 32 zero bytes; ``h(n) = SHA-256(h(n-1) || canonical(entry n))``.
  The digest is ``h(N)`` in lower-case hex, N the number of entries.

A chain (rather than a hash of the concatenation) makes every prefix of the
log verifiable on its own: a draft exported while the session ran still
matches the first N entries of the log after the session grew it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from ..core.types import Entry

ALGORITHM = "sha256-chain/1"
GENESIS = bytes(32)


def _bytes_as_json(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": bytes(value).hex()}
    raise TypeError(f"a log entry holds a {type(value).__name__}, which has no canonical form")


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON: keys sorted, no whitespace, non-ASCII as itself,
    byte strings as ``{"$bytes": hex}`` (what the chain hashes, and what a signed
    approval's statement is)."""
    return json.dumps(
        value,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=_bytes_as_json,
    ).encode("utf-8")


def canonical(entry: Entry) -> bytes:
    """The bytes of ``entry`` that the chain hashes."""
    return canonical_json(entry.to_record())


def log_digest(entries: Iterable[Entry]) -> str:
    """``h(N)`` of ``entries`` in hex; the digest of no entries is 64 zeros."""
    link = GENESIS
    for entry in entries:
        link = hashlib.sha256(link + canonical(entry)).digest()
    return link.hex()

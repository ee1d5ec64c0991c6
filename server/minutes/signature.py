"""The signature of an approval of the minutes: Ed25519 over a canonical statement.

The rules (docs/minutes.md, "Approval and signature"), simple enough to
reimplement with any Ed25519 library:

* The statement is a JSON object (``core/approval.py``, ``statement``):
  ``format`` (``yishi.minutes-approval/1``), ``room_id``, ``algorithm`` and
  ``digest`` (the chain digest of the log's first ``entries`` entries),
  ``entries``, ``signers`` (each ``participant_id``, ``name``, ``role``; the
  moderator first), ``approved_at`` (Unix ms) and ``key_id``.
* Its canonical bytes are its UTF-8 JSON with keys sorted, no whitespace
  (separators ``,`` and ``:``) and non-ASCII characters written as themselves,
  as the log digest encodes an entry.
* The signature is Ed25519 (RFC 8032) over those bytes, in standard base64;
  the public key is the raw 32 bytes, in standard base64; ``key_id`` is the
  first 16 hex digits of the SHA-256 of the raw public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..core.approval import CHAIN, STATEMENT_FORMAT
from .digest import ALGORITHM, canonical_json

assert CHAIN == ALGORITHM
__all__ = [
    "STATEMENT_FORMAT",
    "BadKey",
    "canonical",
    "key_id",
    "read_public_key",
    "sign",
    "signature_problem",
]


class BadKey(ValueError):
    """Not an Ed25519 public key in a form we read."""


def canonical(statement: dict[str, Any]) -> bytes:
    """The bytes of ``statement`` that are signed: canonical JSON, as an entry's."""
    return canonical_json(statement)


def key_id(public_key: bytes) -> str:
    """The short name of a raw Ed25519 public key."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def sign(private: Ed25519PrivateKey, statement: dict[str, Any]) -> str:
    """The signature of ``statement`` (base64)."""
    return base64.b64encode(private.sign(canonical(statement))).decode("ascii")


def public_pem(public_key: bytes) -> str:
    key = Ed25519PublicKey.from_public_bytes(public_key)
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def read_public_key(data: bytes) -> bytes:
    """A raw public key from a key file: the JSON of ``GET /api/signing-key``, a PEM
    public key, or the raw key in base64. Raises :class:`BadKey`."""
    text = data.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            text = str(json.loads(text)["public_key"])
        except (ValueError, KeyError, TypeError):
            raise BadKey("a JSON key file must hold public_key") from None
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except ValueError as error:
            raise BadKey(f"not a PEM public key ({error})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise BadKey("not an Ed25519 public key")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = _b64(text)
    if raw is None or len(raw) != 32:
        raise BadKey("not an Ed25519 public key (32 bytes in base64)")
    return raw


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def signature_problem(approval: dict[str, Any], public_key: bytes) -> str | None:
    """Why ``approval`` (``{statement, signature, public_key}``) is not a valid signature
    of its statement under ``public_key`` (raw), or None when it is."""
    statement, signature = approval.get("statement"), approval.get("signature")
    if not isinstance(statement, dict) or not isinstance(signature, str):
        return "it has no statement or no signature"
    raw = _b64(signature)
    if raw is None or len(raw) != 64:
        return "its signature is not 64 bytes of base64"
    if statement.get("key_id") != key_id(public_key):
        return f"its statement names key {statement.get('key_id')!r}, not {key_id(public_key)}"
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(raw, canonical(statement))
    except InvalidSignature:
        return (
            f"the signature does not match the statement under key {key_id(public_key)}: "
            f"the statement (signers, time, digest) was altered, or another key signed it"
        )
    return None

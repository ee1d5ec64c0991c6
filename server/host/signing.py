"""The deployment's signing key, and the edge's part of approving the minutes (rules 6).

* The key is an Ed25519 private key kept like the other secrets: its 32-byte
  seed, in base64, under ``minutes_signing_key`` in the backend
  (``get_or_create_secret``), so every node of a deployment signs with the same
  key, on SQLite or Redis alike. Its public half is published
  (``GET /api/signing-key``) and carried by every signed approval.
* Before ``minutes.approve`` is appended, the digest the moderator reviewed is
  checked against the log: the first ``entries`` entries must hash to it
  (``conflict`` otherwise: the draft they saw is not what the log holds, and
  nothing is appended). The core cannot hash the log; this is its check.
* A command that completes an approval (``minutes.approve`` with no
  cosigner, ``minutes.sign``) is sealed here: the statement the room's state
  gives for it (``core/approval.py``), timed by this node's clock, signed with
  the key. The reducer refuses a seal whose statement is not the room's.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..backends.base import LogBackend
from ..core import approval
from ..core.state import RoomState
from ..core.types import CommandError, ErrorCode, Json
from ..minutes.signature import key_id, public_pem, raw_public, sign

SECRET_NAME = "minutes_signing_key"


@dataclass(frozen=True, slots=True)
class SigningKey:
    private: Ed25519PrivateKey
    public: bytes  # raw, 32 bytes

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        private = Ed25519PrivateKey.from_private_bytes(seed)
        return cls(private, raw_public(private))

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public).decode("ascii")

    def published(self) -> Json:
        """What ``GET /api/signing-key`` answers."""
        return {
            "algorithm": "Ed25519",
            "key_id": self.key_id,
            "public_key": self.public_b64,
            "pem": public_pem(self.public),
        }

    def seal(self, statement: Json) -> Json:
        return {
            "statement": statement,
            "signature": sign(self.private, statement),
            "public_key": self.public_b64,
        }


def _new_seed() -> str:
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(seed).decode("ascii")


async def deployment_key(backend: LogBackend) -> SigningKey:
    """The deployment's key from ``backend``, made and stored on first use (all nodes
    racing to make it get the one stored first)."""
    stored = await backend.get_or_create_secret(SECRET_NAME, _new_seed)
    return SigningKey.from_seed(base64.b64decode(stored))


async def stored_key(backend: LogBackend) -> SigningKey | None:
    """The deployment's key from ``backend``, or None if it never made one."""

    def missing() -> str:
        raise LookupError

    try:
        stored = await backend.get_or_create_secret(SECRET_NAME, missing)
    except LookupError:
        return None
    return SigningKey.from_seed(base64.b64decode(stored))


async def seal_approval(
    state: RoomState,
    actor: str,
    kind: str,
    args: Any,
    logged: Json,
    *,
    digest: Callable[[int], Awaitable[str]],
    key: SigningKey,
    clock: Callable[[], int],
) -> None:
    """The edge's part of ``minutes.approve`` and ``minutes.sign`` (see above):
    ``digest(n)`` is the digest of the room's first ``n`` log entries."""
    if kind == "minutes.approve":
        # (The precheck held entries to the replica's log, which the log has.)
        actual = await digest(args.entries)
        if actual != args.digest:
            raise CommandError(
                ErrorCode.CONFLICT,
                f"the minutes you reviewed (digest {args.digest[:12]}…) are not "
                f"the log's first {args.entries} entries (digest "
                f"{actual[:12]}…); review them again",
            )
    signers = approval.signers_of(state, kind, args, actor)
    if signers is None:
        return
    statement = approval.statement(
        state,
        entries=args.entries,
        digest=args.digest,
        signers=signers,
        approved_at=clock(),
        key_id=key.key_id,
    )
    logged["seal"] = key.seal(statement)

"""Signed bearer tokens: unforgeable, and useless in any room but their own.

A token is ``base64url(msgpack([room_id, participant_id, role, version])) "."
base64url(HMAC-SHA256(secret, payload)[:16])``. The version lets a moderator
revoke a person's tokens: the room keeps each participant's current version,
and a token of an older version no longer opens a socket.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgpack

from .core.types import Role

if TYPE_CHECKING:
    from .core.state import Participant, RoomState

_MAC_BYTES = 16


@dataclass(frozen=True, slots=True)
class TokenClaims:
    room_id: str
    participant_id: str
    role: Role
    version: int


class InvalidToken(Exception):
    """The token is malformed, forged, signed with another key, or not of this room."""


class RevokedToken(InvalidToken):
    """A genuine token of someone removed from the room, or of a revoked version."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"yishi-token\0" + secret.encode()).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def issue(self, claims: TokenClaims) -> str:
        payload = msgpack.packb(
            [claims.room_id, claims.participant_id, claims.role.value, claims.version]
        )
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def verify(self, token: object) -> TokenClaims:
        """The token's claims; raises ``InvalidToken`` unless we signed it."""
        if not isinstance(token, str) or token.count(".") != 1 or len(token) > 512:
            raise InvalidToken("malformed token")
        body, mac = token.split(".")
        try:
            payload, given = _unb64(body), _unb64(mac)
        except ValueError:
            raise InvalidToken("malformed token") from None
        if not hmac.compare_digest(self._mac(payload), given):
            raise InvalidToken("bad signature")
        try:
            room_id, participant_id, role, version = msgpack.unpackb(payload)
            return TokenClaims(str(room_id), str(participant_id), Role(role), int(version))
        except (ValueError, TypeError):
            raise InvalidToken("malformed token") from None

    def admit(self, state: RoomState, token: object) -> tuple[TokenClaims, Participant]:
        """Whom ``token`` admits to the room ``state`` describes, now.

        Raises ``RevokedToken`` for a removed person or an old version, and
        ``InvalidToken`` for anything else that is not a token of this room.
        """
        claims = self.verify(token)
        person = state.participants.get(claims.participant_id)
        if claims.room_id != state.room_id or person is None or person.role is not claims.role:
            raise InvalidToken("bad token")
        if person.removed or claims.version != person.token_version:
            raise RevokedToken("removed from the room")
        return claims, person

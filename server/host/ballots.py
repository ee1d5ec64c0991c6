"""Secret ballots on a node: the keys, the seals, the batched tallies and the count.

The pure core never sees a key (``core/polls.py`` has the rules). This module is
the server's side of them:

* ``poll.open`` of a secret poll: a fresh 256-bit key is stored in the backend's
  side store under a random key id, and the entry carries only the id.
* ``poll.vote``: the choices are checked against the poll, then sealed with
  AES-GCM under the poll's key (a random nonce each; the voter, the room and the
  poll are bound in as associated data; the plaintext has one fixed size per
  kind, so a seal's length says nothing about the ballot: a bit set of the
  chosen options, or for a ranked or score poll (rules 6) ``MAX_OPTIONS``
  bytes, the ranking's options in order or each option's score, padded with
  ``PAD``). The entry carries the seal, never the choices.
* Live tallies: once ``BATCH`` ballots were cast since the last release (and
  500 ms have passed since it), the node opens the seals and appends
  ``poll.release`` with the counts.
* After the close (``poll.close`` or ``session.end``) the node opens every seal,
  appends ``poll.count`` with the tally and the choices in shuffled order, and
  only once that entry is durable destroys the key.

Who does it: the node whose client's command made the work (it calls
:meth:`Ballots.settle` right after the outcome); every other node hosting the
room checks again ``GRACE_S`` later and finishes what is still undone (the
first node died, say). Two nodes racing append the same work twice; the log
orders them and the reducer refuses the second (``conflict``, no event).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..backends.base import BackendUnavailable, LogBackend
from ..core.polls import BATCH, TALLY_INTERVAL_MS
from ..core.schema import MAX_OPTIONS
from ..core.state import Poll
from ..core.tally import count

if TYPE_CHECKING:
    from .hosting import HostedRoom

logger = logging.getLogger(__name__)

GRACE_S = 2.0  # how long other nodes leave the work to the node that caused it
NONCE_BYTES = 12
PLAIN_BYTES = (MAX_OPTIONS + 7) // 8
PAD = 0xFF  # fills a ranked or score ballot's plaintext up to MAX_OPTIONS bytes
ORDERED = ("ranked", "score")  # kinds whose ballot is a sequence, not a set
DEVICE_KEY = "device_key"  # the backend secret that keys the hashes of devices


def _aad(room_id: str, poll_id: str, voter: str) -> bytes:
    return f"yishi-ballot\0{room_id}\0{poll_id}\0{voter}".encode()


def _plain(kind: str, ballot: tuple[int, ...]) -> bytes:
    if kind in ORDERED:
        return bytes(ballot) + bytes([PAD]) * (MAX_OPTIONS - len(ballot))
    return sum(1 << c for c in ballot).to_bytes(PLAIN_BYTES, "big")


def seal(
    key: bytes,
    *,
    room_id: str,
    poll_id: str,
    voter: str,
    ballot: tuple[int, ...],
    kind: str = "single",
) -> str:
    """``ballot`` (sorted option indexes; a ranking in order; the scores) sealed for the
    log."""
    bits = _plain(kind, ballot)
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, bits, _aad(room_id, poll_id, voter))
    return base64.b64encode(nonce + sealed).decode()


def unseal(
    key: bytes, sealed: str, *, room_id: str, poll_id: str, voter: str, kind: str = "single"
) -> list[int]:
    """The ballot ``sealed`` holds. Raises ``ValueError`` if it was not sealed so."""
    raw = base64.b64decode(sealed)
    try:
        bits = AESGCM(key).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(room_id, poll_id, voter)
        )
    except InvalidTag:
        raise ValueError("the seal does not open with this poll's key") from None
    if kind in ORDERED:
        return [b for b in bits if b != PAD]
    mask = int.from_bytes(bits, "big")
    return [c for c in range(MAX_OPTIONS) if mask >> c & 1]


class Ballots:
    """One node's keys (cached from the side store) and its pending ballot work."""

    def __init__(self, backend: LogBackend) -> None:
        self.backend = backend
        self._keys: dict[str, bytes] = {}
        self._opened: dict[str, dict[str, list[int]]] = {}  # key id -> seal -> choices
        self._dropped: set[str] = set()
        self._device_key: bytes | None = None
        self._later: dict[str, asyncio.TimerHandle] = {}  # room id -> a check armed
        self._locks: dict[str, asyncio.Lock] = {}

    # -- keys ------------------------------------------------------------------------

    async def new_key(self) -> str:
        """A fresh key, stored; its id goes into the poll's ``poll.open`` entry."""
        key_id = secrets.token_hex(16)
        key = AESGCM.generate_key(bit_length=256)
        await self.backend.put_ballot_key(key_id, key)
        self._keys[key_id] = key
        return key_id

    async def key(self, key_id: str) -> bytes | None:
        known = self._keys.get(key_id)
        if known is None and key_id not in self._dropped:
            known = await self.backend.get_ballot_key(key_id)
            if known is not None:
                self._keys[key_id] = known
        return known

    def forget(self, key_id: str) -> None:
        self._keys.pop(key_id, None)
        self._opened.pop(key_id, None)

    async def device_hash(self, room_id: str, code: str, device: str) -> str:
        """The keyed hash the log keeps of a device claiming ``code`` (never the device's
        secret): bound to the room and the code, so one phone cannot be followed across
        rooms or codes, and keyed by a secret of the server, so it cannot be guessed."""
        if self._device_key is None:
            stored = await self.backend.get_or_create_secret(
                DEVICE_KEY, lambda: secrets.token_urlsafe(32)
            )
            self._device_key = stored.encode()
        message = f"{room_id}\0{code}\0{device}".encode()
        return hmac.new(self._device_key, message, hashlib.sha256).hexdigest()[:48]

    async def seal_vote(
        self, host: HostedRoom, poll: Poll, voter: str, ballot: tuple[int, ...]
    ) -> str | None:
        """``ballot`` sealed under ``poll``'s key; None if the key is gone (closed)."""
        assert poll.key_id is not None
        key = await self.key(poll.key_id)
        if key is None:
            return None
        return seal(
            key,
            room_id=host.room_id,
            poll_id=poll.poll_id,
            voter=voter,
            ballot=ballot,
            kind=poll.kind,
        )

    def _open_all(self, host: HostedRoom, poll: Poll, key: bytes) -> list[list[int]]:
        """Every ballot's choices (each seal opened once per node, then remembered
        until the poll's key is destroyed)."""
        assert poll.key_id is not None
        opened = self._opened.setdefault(poll.key_id, {})
        out = []
        for voter, sealed in poll.sealed.items():
            choices = opened.get(sealed)
            if choices is None:
                choices = opened[sealed] = unseal(
                    key,
                    sealed,
                    room_id=host.room_id,
                    poll_id=poll.poll_id,
                    voter=voter,
                    kind=poll.kind,
                )
            out.append(choices)
        return out

    # -- the work: releases, counts, destroyed keys ---------------------------------

    def later(self, host: HostedRoom, delay_s: float = GRACE_S) -> None:
        """Check the room's ballot work in ``delay_s`` (other nodes' fallback)."""
        if host.room_id in self._later or not _has_work(host, self._dropped):
            return

        def fire() -> None:
            self._later.pop(host.room_id, None)
            host.node.spawn(self.settle(host))

        self._later[host.room_id] = asyncio.get_running_loop().call_later(delay_s, fire)

    def stop(self, room_id: str) -> None:
        handle = self._later.pop(room_id, None)
        if handle is not None:
            handle.cancel()

    async def settle(self, host: HostedRoom) -> None:
        """Do the room's ballot work that is due now: release the tallies of full
        batches, count closed polls, destroy the keys of counted ones. A release not
        yet due (500 ms) is checked again when it is."""
        lock = self._locks.setdefault(host.room_id, asyncio.Lock())
        if host.node.hosts.get(host.room_id) is not host:  # unloaded meanwhile
            current = await host.node.host(host.room_id)
            if current is None:
                return
            host = current
        with host.pinned():
            async with lock:
                try:
                    await self._settle(host)
                except BackendUnavailable:
                    self.later(host)  # the store is down: try again later
                except Exception:
                    logger.exception("ballot work failed in room %s", host.room_id)

    async def _settle(self, host: HostedRoom) -> None:
        for poll_id in list(host.state.polls):
            poll = host.state.polls[poll_id]
            if poll.key_id is None:
                continue
            if poll.counted:
                if poll.key_id not in self._dropped:
                    await self.backend.drop_ballot_key(poll.key_id)
                    self._dropped.add(poll.key_id)
                    self.forget(poll.key_id)
            elif poll.status == "closed":
                await self._count(host, poll_id)
            elif poll.cast - poll.released_cast >= BATCH:
                await self._release(host, poll_id)

    async def _release(self, host: HostedRoom, poll_id: str) -> None:
        poll = host.state.polls[poll_id]
        assert poll.key_id is not None
        due = (poll.last_tally_at or 0) + TALLY_INTERVAL_MS
        now = host.node.clock()
        if due > now:
            self.stop(host.room_id)
            self.later(host, (due - now) / 1000)
            return
        key = await self.key(poll.key_id)
        poll = host.state.polls[poll_id]  # the state as it is after the await
        if key is None or poll.status != "open" or poll.cast - poll.released_cast < BATCH:
            return
        counts = count(poll.kind, len(poll.options), self._open_all(host, poll, key))
        await host.node.submit(
            host.room_id,
            "poll.release",
            args={"poll_id": poll_id, "cast": poll.cast, "counts": counts, "voters": poll.voters},
        )

    async def _count(self, host: HostedRoom, poll_id: str) -> None:
        poll = host.state.polls[poll_id]
        assert poll.key_id is not None
        key = await self.key(poll.key_id)
        poll = host.state.polls[poll_id]
        if poll.counted or poll.key_id is None:
            return
        if key is None:
            # Destroyed by a node whose count this one has not applied yet (then this
            # entry comes after it and changes nothing), or lost with the store.
            args: dict[str, object] = {"poll_id": poll_id, "lost": True}
        else:
            choices = self._open_all(host, poll, key)
            counts = count(poll.kind, len(poll.options), choices)
            secrets.SystemRandom().shuffle(choices)
            args = {
                "poll_id": poll_id,
                "counts": counts,
                "voters": poll.voters,
                "eligible": poll.eligible,
                "choices": choices,
            }
        key_id = poll.key_id
        await host.node.submit(host.room_id, "poll.count", args=args)
        # The count is durable and applied here: now, and only now, the key goes.
        if host.state.polls[poll_id].counted:
            await self.backend.drop_ballot_key(key_id)
            self._dropped.add(key_id)
            self.forget(key_id)


def _has_work(host: HostedRoom, dropped: set[str]) -> bool:
    for poll in host.state.polls.values():
        if poll.key_id is None:
            continue
        if poll.counted:
            if poll.key_id not in dropped:
                return True
        elif poll.status == "closed" or poll.cast - poll.released_cast >= BATCH:
            return True
    return False

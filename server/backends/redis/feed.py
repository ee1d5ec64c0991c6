"""What a Redis backend hears: one pub/sub connection for every room channel.

Pub/sub is the fast path and can lose messages (a dropped connection, a Redis
restart); the stored streams make the loss harmless. Three mechanisms feed
:class:`~yishi.backends.redis.delivery.Delivery`, which orders and deduplicates:

* the messages themselves (``PSUBSCRIBE yishi:*:ch``); a jump in a room's seq
  starts a repair read of the gap at once;
* after any lost connection: subscribe again, wait for the confirmation, then
  re-read every room whose stored seq is past what was delivered;
* an audit every second of the rooms active since the last one, which finds a
  lost message that no later message would reveal (the last of a burst).

The same connection hears the rooms' audio (``PSUBSCRIBE yishi:*:au``), handed
to :class:`~yishi.backends.redis.audio.AudioChannels` as it comes: nothing
repairs a lost frame.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from ...core.types import Entry
from ..base import BackendUnavailable, unpack_entry
from . import durable, keys
from .audio import AudioChannels
from .delivery import Delivery, cancelled
from .link import SOCKET_TIMEOUT_S, Link, RedisLink, nap

logger = logging.getLogger(__name__)

AUDIO_PATTERN = keys.AUDIO_PATTERN.encode()
RETRY_MIN_S, RETRY_MAX_S = 0.05, 1.0  # reconnect backoff
PUMP_POLL_S = 1.0  # read timeout, so that silence is noticed
IDLE_PING_S = 5.0  # ping the connection after this much silence
AUDIT_S = 1.0  # how often recently active rooms are compared with the stored log


class Feed:
    """The pub/sub subscription of one backend, kept alive and complete."""

    def __init__(
        self, link: RedisLink, delivery: Delivery, audio: AudioChannels, *, stopping: asyncio.Event
    ) -> None:
        self._link = link
        self._delivery = delivery
        self._audio = audio
        self._stopping = stopping
        self._pubsub: PubSub | None = None
        self._auditor = Auditor(link, delivery, stopping=stopping)
        self.listening = False  # subscribed and caught up: the others are heard
        self.reconnects = 0  # a metric

    def touch(self, room_id: str) -> None:
        """An entry of this room was just appended or heard (the audit looks at it)."""
        self._auditor.touch(room_id)

    async def watch(self, room_id: str) -> None:
        """Hear ``room_id`` from now on: the pattern subscription hears every room."""

    async def begin(self) -> set[str]:
        """Subscribe, then learn where every listed room stands; returns the rooms
        listed. Subscribed first, then read: whatever is appended in between is
        heard twice at worst, never missed."""
        await self.subscribe()
        seqs = await self._link.room_seqs()
        for room_id, seq in seqs.items():
            self._delivery.start_at(room_id, seq)
        return set(seqs)

    async def subscribe(self) -> None:
        """Subscribe; once this returns, every entry published reaches :meth:`run`."""
        pubsub = self._link.sub_client.pubsub()
        try:
            await pubsub.psubscribe(keys.CHANNEL_PATTERN, keys.AUDIO_PATTERN)
            for _ in range(2):
                confirmed = await pubsub.get_message(timeout=SOCKET_TIMEOUT_S)
                if not confirmed or confirmed.get("type") != "psubscribe":
                    raise RedisConnectionError(f"no psubscribe confirmation: {confirmed!r}")
        except BaseException:
            await close_pubsub(pubsub)
            raise
        self._pubsub = pubsub
        self.listening = True

    async def run(self) -> None:
        """Hear entries until the backend stops; resubscribe and re-read after any loss."""
        backoff = RETRY_MIN_S
        try:
            while not self._stopping.is_set():
                try:
                    if self._pubsub is None:
                        await self.subscribe()
                        self.listening = False
                        await self._resync()
                        self.listening = True
                        logger.warning("redis pub/sub is back; rooms re-read where behind")
                    backoff = RETRY_MIN_S
                    assert self._pubsub is not None
                    await self._pump(self._pubsub)
                except asyncio.CancelledError:
                    if self._stopping.is_set() or cancelled():
                        raise
                    # Python 3.11: a timeout inside redis-py that expires as its read
                    # completes can leak a cancellation nobody asked for. Nobody
                    # cancelled this loop, so it goes on listening.
                    logger.warning("stray cancellation in the pub/sub listener; reconnecting")
                    await self._lost()
                except Exception as exc:
                    if cancelled():
                        return
                    if not isinstance(exc, RedisError | OSError | BackendUnavailable):
                        logger.exception("pub/sub listener failed; reconnecting")
                    elif self._pubsub is not None:
                        logger.warning("redis pub/sub connection lost (%s); reconnecting", exc)
                    await self._lost()
                    await nap(self._stopping, backoff)
                    backoff = min(backoff * 2, RETRY_MAX_S)
        finally:
            self.listening = False
            if self._pubsub is not None:
                await close_pubsub(self._pubsub)
                self._pubsub = None

    async def _lost(self) -> None:
        self.listening = False
        if self._pubsub is not None:
            self.reconnects += 1
            await close_pubsub(self._pubsub)
            self._pubsub = None
            self._link.renew()

    async def _resync(self) -> None:
        """After subscribing again: re-read every room whose stored seq passed its cursor."""
        for room_id, seq in (await self._link.room_seqs()).items():
            await compare_stored(
                self._link,
                self._delivery,
                room_id,
                seq,
                "Redis lost acknowledged entries (check appendonly/appendfsync)",
            )

    async def _pump(self, pubsub: PubSub) -> None:
        await pump(pubsub, self._stopping, self._on_message, what="pub/sub connection")

    def _on_message(self, message: dict[str, Any]) -> None:
        if message.get("type") != "pmessage":
            return
        if message["pattern"] == AUDIO_PATTERN:
            self._audio.heard(message["channel"], message["data"])
            return
        room_id = keys.room_of_channel(message["channel"])
        if room_id is None:
            return
        entry = decode_message(message["channel"], message["data"])
        if entry is None:
            return
        self.touch(room_id)
        if self._delivery.offer(room_id, entry):
            self._delivery.repair(room_id)  # pub/sub is ordered: a jump means a loss

    async def audit(self) -> None:
        await self._auditor.run(lambda: self.listening)


async def pump(
    pubsub: PubSub,
    stopping: asyncio.Event,
    on_message: Callable[[dict[str, Any]], None],
    *,
    what: str,
) -> None:
    """Hand every message of ``pubsub`` to ``on_message`` until ``stopping`` is set.

    Silence is a quiet night or a connection that died without a word: after
    ``IDLE_PING_S`` of it the connection is pinged, and a ping not answered within
    ``SOCKET_TIMEOUT_S`` raises ``RedisConnectionError`` (``what`` names the connection).
    """
    loop = asyncio.get_running_loop()
    last_heard = loop.time()
    pinged: float | None = None
    while not stopping.is_set():
        message = await pubsub.get_message(timeout=PUMP_POLL_S)
        now = loop.time()
        if message is None:
            if pinged is None and now - last_heard >= IDLE_PING_S:
                await pubsub.ping()
                pinged = now
            elif pinged is not None and now - pinged > SOCKET_TIMEOUT_S:
                raise RedisConnectionError(f"{what} went silent")
            continue
        last_heard, pinged = now, None
        on_message(message)


async def compare_stored(link: Link, delivery: Delivery, room_id: str, seq: int, lost: str) -> None:
    """After hearing a room again: re-read it if its stored ``seq`` passed what was
    delivered. If it is behind, either only its durable mark is (its master died before
    the mark reached the replica: the mark is raised to what was delivered, see
    redis_durable rule 5) or Redis lost entries: the error log says so (``lost``: why,
    and what to check), and the room starts again from the log (``Delivery.reset``).
    Raises :class:`BackendUnavailable` if Redis cannot tell which (nothing changes)."""
    cursor = delivery.cursor(room_id)
    if seq > cursor:
        delivery.repair(room_id)
    elif seq < cursor:
        shown = delivery.last(room_id)
        if shown is not None and await durable.catch_up(link, room_id, shown):
            logger.warning(
                "room %s: its durable mark was %d, below the %d delivered, whose"
                " entries the log holds (a master died before marking them):"
                " raised to %d",
                room_id,
                seq,
                cursor,
                cursor,
            )
            return
        logger.error(
            "room %s: Redis holds seq %d but %d was delivered: %s; the room is"
            " read again from the log",
            room_id,
            seq,
            cursor,
            lost,
        )
        delivery.reset(room_id, seq)


def decode_message(channel: bytes, data: bytes) -> Entry | None:
    """A published entry (``b"<seq> <at> <body>"``), or None, logged, if it does not
    decode: the stored copy is read instead when the gap shows."""
    try:
        seq, at, body = data.split(b" ", 2)
        return unpack_entry(int(seq), int(at), body)
    except Exception:
        logger.exception("undecodable pub/sub message on %r", channel)
        return None


async def close_pubsub(pubsub: PubSub) -> None:
    """Close a pub/sub connection."""
    # redis-py before 8.2 leaves PubSub.aclose untyped, 8.2 types it: taken as a typed
    # callable, the call checks clean under mypy --strict with either (a `type: ignore`
    # is needed by the one and unused, so an error, under the other).
    aclose: Callable[[], Awaitable[None]] = pubsub.aclose
    await aclose()


class Auditor:
    """Every second, compare recently active rooms with the stored log.

    An entry counts as missing only if it is still undelivered one round after
    it was seen stored (until then it may simply be on its way).
    """

    def __init__(self, link: Link, delivery: Delivery, *, stopping: asyncio.Event) -> None:
        self._link = link
        self._delivery = delivery
        self._stopping = stopping
        self._touched: set[str] = set()  # rooms with entries since the last audit
        self._suspects: dict[str, int] = {}  # room -> stored seq not delivered last audit

    def touch(self, room_id: str) -> None:
        self._touched.add(room_id)

    async def run(self, listening: Callable[[], bool]) -> None:
        while not self._stopping.is_set():
            await nap(self._stopping, AUDIT_S)
            if not listening():
                continue  # the resync after subscribing again covers every room
            for room_id, seq in self._suspects.items():
                if self._delivery.cursor(room_id) < seq:
                    logger.warning(
                        "room %s: entries up to %d are stored but were not heard; reading them",
                        room_id,
                        seq,
                    )
                    self._delivery.repair(room_id)
            self._suspects.clear()
            rooms, self._touched = sorted(self._touched), set()
            try:
                stored = await self._link.seqs(rooms)
            except BackendUnavailable:
                self._touched.update(rooms)
                continue
            for room_id, seq in zip(rooms, stored):
                if seq > self._delivery.cursor(room_id):
                    self._suspects[room_id] = seq
                    self._touched.add(room_id)

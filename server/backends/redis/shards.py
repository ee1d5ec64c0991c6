"""What a Redis backend hears on a cluster: sharded pub/sub, one connection per master.

Sharded channels (``SSUBSCRIBE``) cannot be pattern-subscribed, and each lives
on the master that owns its slot (the room's hash tag). So a node subscribes
room by room, for the rooms it hosts, on the master that owns each:

* :meth:`ShardFeed.watch` (called by the backend before it first reads where a
  room stands) subscribes the room's entry and audio channels on its master's
  connection (opened on first use), waits for the confirmation, and only then
  reads the room's stored seq: whatever is appended in between is heard twice
  at worst, never missed. Messages heard before that read are held back and
  offered after it. What a confirmation and a message do to the room's cursor
  is :mod:`~yishi.backends.redis.shard_rooms`; this module places the
  subscriptions and hears them.
* A message's seq jumping starts a repair read at once (pub/sub is ordered per
  channel), and the audit of :class:`~yishi.backends.redis.feed.Auditor` finds
  the last of a burst lost, as on one server.
* A master's connection lost (the master died, a failover), a confirmation
  that never comes, or Redis unsubscribing a room (``sunsubscribe`` from the
  server: its slot moved to another master): the slot map is learnt again, the
  rooms concerned are subscribed on their master now, and after each
  confirmation the room's stored log is re-read past what was delivered.

A room is unsubscribed (``SUNSUBSCRIBE``) when the node releases it
(:meth:`ShardFeed.release`: it unloaded the room), so a node holds one channel
pair per room it hosts now, not per room it ever hosted.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from . import keys
from .audio import AudioChannels
from .cluster_link import ClusterLink
from .delivery import Delivery, cancelled
from .feed import PUMP_POLL_S, RETRY_MAX_S, RETRY_MIN_S, Auditor, close_pubsub, decode_message, pump
from .link import CONNECT_TIMEOUT_S, LINK_ERRORS, SOCKET_TIMEOUT_S, nap
from .shard_rooms import ShardRooms

logger = logging.getLogger(__name__)

SLOT_MAP_EVERY_S = 10.0  # learn the slot map again this often (a replica back, a new master)


class _Shard:
    """The pub/sub connection to one master, and the rooms subscribed on it."""

    def __init__(self, name: str, client: Redis) -> None:
        self.name = name
        self.client = client
        self.pubsub: PubSub = client.pubsub()
        self.rooms: set[str] = set()
        self.task: asyncio.Task[None] | None = None

    async def close(self) -> None:
        await close_pubsub(self.pubsub)
        await self.client.aclose(close_connection_pool=True)


class ShardFeed:
    """The sharded subscriptions of one backend, kept on the right masters and complete."""

    def __init__(
        self,
        link: ClusterLink,
        delivery: Delivery,
        audio: AudioChannels,
        *,
        stopping: asyncio.Event,
    ) -> None:
        self._link = link
        self._delivery = delivery
        self._audio = audio
        self._stopping = stopping
        self._auditor = Auditor(link, delivery, stopping=stopping)
        self._wanted: set[str] = set()  # rooms to hear
        self._released: dict[str, _Shard] = {}  # rooms to unsubscribe, where they were
        self._where: dict[str, _Shard] = {}  # room -> the shard it is subscribed on
        self._asked: dict[str, float] = {}  # room -> when SSUBSCRIBE was sent, unconfirmed
        self._heard: set[str] = set()  # confirmed on the shard it is on
        self._rooms = ShardRooms(link, delivery, stopping=stopping)  # their cursors
        self._shards: dict[str, _Shard] = {}
        self._starting: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._stale = False  # the slot map must be learnt again
        self._running = False
        self.reconnects = 0  # a metric: shard connections lost, and rooms moved

    @property
    def listening(self) -> bool:
        """Every room this node hosts is subscribed on its master now."""
        return self._running and not (self._wanted - self._heard)

    @property
    def shards(self) -> dict[str, set[str]]:
        """Master ``host:port`` -> rooms subscribed there (for tests and metrics)."""
        return {name: set(shard.rooms) for name, shard in self._shards.items()}

    def touch(self, room_id: str) -> None:
        self._auditor.touch(room_id)

    async def begin(self) -> set[str]:
        """Nothing to subscribe before a room is hosted; no room is listed yet."""
        await self._link.refresh()
        return set()

    def hears(self, room_id: str) -> bool:
        """Has the room's cursor been set (it was subscribed once, and is kept so)?"""
        return self._rooms.started(room_id)

    def want(self, room_id: str, *, from_start: bool = False) -> None:
        """Subscribe the room soon, without waiting. ``from_start``: this node appends
        to a room it was not hosting (a room it creates): every entry of it is news to
        its listeners, as on one server, so its cursor is not moved to the stored seq."""
        if room_id not in self._wanted:
            self._wanted.add(room_id)
            if from_start:
                self._rooms.from_start(room_id)
            self._wakeup.set()

    def release(self, room_id: str) -> None:
        """Stop hearing the room soon, without waiting (the manager unsubscribes it).
        Its cursor is forgotten: hosted again, it starts from the stored seq."""
        if room_id not in self._wanted:
            return
        self._wanted.discard(room_id)
        shard = self._where.get(room_id)
        self._unplace(room_id)
        self._rooms.forget(room_id)
        if shard is not None:
            shard.rooms.discard(room_id)
            self._released[room_id] = shard
            self._wakeup.set()

    async def watch(self, room_id: str) -> None:
        """Return once the room is subscribed and its cursor set. Raises
        :class:`BackendUnavailable` if that takes longer than a command may."""
        if not self._rooms.started(room_id):
            self.want(room_id)
            await self._rooms.wait(room_id)

    # -- the manager: places rooms on their masters ------------------------------------

    async def run(self) -> None:
        """Subscribe wanted rooms on their masters until the backend stops."""
        backoff = RETRY_MIN_S
        self._running = True
        loop = asyncio.get_running_loop()
        learnt = loop.time()
        try:
            while not self._stopping.is_set():
                try:
                    try:
                        await asyncio.wait_for(self._wakeup.wait(), PUMP_POLL_S)
                    except TimeoutError:
                        pass
                    self._wakeup.clear()
                    self._check_confirmations()
                    if self._stale or loop.time() - learnt > SLOT_MAP_EVERY_S:
                        # Also learnt now and then: appends wait for the replicas the
                        # map lists, and a master's replica may have come back.
                        await self._link.refresh()
                        learnt = loop.time()
                        self._stale = False
                    await self._place()
                    backoff = RETRY_MIN_S
                except asyncio.CancelledError:
                    if self._stopping.is_set() or cancelled():
                        raise
                    logger.warning("stray cancellation in the shard manager; going on")
                except Exception as exc:
                    if cancelled():
                        return
                    if not isinstance(exc, LINK_ERRORS):
                        logger.exception("shard manager failed; retrying")
                    else:
                        logger.warning("redis cluster shards unreachable (%s); retrying", exc)
                    self._stale = True
                    await nap(self._stopping, backoff)
                    backoff = min(backoff * 2, RETRY_MAX_S)
                    self._wakeup.set()
        finally:
            self._running = False
            for task in self._starting:
                task.cancel()
            for shard in list(self._shards.values()):
                await self._drop(shard)
            await asyncio.gather(*self._starting, return_exceptions=True)
            await self._rooms.close()

    def _check_confirmations(self) -> None:
        """A shard that does not confirm a subscription in time counts as lost."""
        now = asyncio.get_running_loop().time()
        for room_id, asked in list(self._asked.items()):
            shard = self._where.get(room_id)
            if shard is not None and now - asked > SOCKET_TIMEOUT_S:
                logger.warning(
                    "master %s did not confirm room %s's subscription", shard.name, room_id
                )
                self._lose(shard)

    async def _place(self) -> None:
        released, self._released = self._released, {}
        for room_id, shard in sorted(released.items()):
            if room_id not in self._wanted and self._shards.get(shard.name) is shard:
                await shard.pubsub.sunsubscribe(keys.channel(room_id), keys.audio_channel(room_id))
        pending = sorted(self._wanted - set(self._where))
        by_master: dict[tuple[str, int], list[str]] = {}
        for room_id in pending:
            by_master.setdefault(self._link.owner(room_id), []).append(room_id)
        now = asyncio.get_running_loop().time()
        for (host, port), rooms in by_master.items():
            shard = self._shards.get(f"{host}:{port}") or self._open(host, port)
            try:
                for room_id in rooms:
                    # Placed before the command: its confirmation may be read by the
                    # pump before the send returns here.
                    shard.rooms.add(room_id)
                    self._where[room_id] = shard
                    self._asked[room_id] = now
                    # One command per room (both channels share its slot); sent
                    # without waiting: the pump hears the confirmations.
                    await shard.pubsub.ssubscribe(
                        keys.channel(room_id), keys.audio_channel(room_id)
                    )
            except BaseException:
                self._lose(shard)
                raise
            if shard.task is None:
                shard.task = asyncio.create_task(
                    self._pump(shard), name=f"yishi-redis-shard-{shard.name}"
                )

    def _open(self, host: str, port: int) -> _Shard:
        client = Redis(
            host=host,
            port=port,
            socket_timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            retry=Retry(NoBackoff(), 0),
            client_name=self._link.client_name,
            username=self._link.username,
            password=self._link.password,
        )
        shard = self._shards[f"{host}:{port}"] = _Shard(f"{host}:{port}", client)
        return shard

    def _lose(self, shard: _Shard) -> None:
        """Forget a shard: its rooms are placed again once the slot map is learnt again."""
        if self._shards.get(shard.name) is not shard:
            return
        del self._shards[shard.name]
        self.reconnects += 1
        for room_id in shard.rooms:
            self._unplace(room_id)
        shard.rooms.clear()
        self._stale = True
        self._wakeup.set()
        task = asyncio.create_task(self._drop(shard), name="yishi-redis-shard-close")
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    def _unplace(self, room_id: str) -> None:
        self._where.pop(room_id, None)
        self._asked.pop(room_id, None)
        self._heard.discard(room_id)

    async def _drop(self, shard: _Shard) -> None:
        if self._shards.get(shard.name) is shard:
            del self._shards[shard.name]
        current = asyncio.current_task()
        if shard.task is not None and shard.task is not current:
            shard.task.cancel()
            await asyncio.gather(shard.task, return_exceptions=True)
        try:
            await shard.close()
        except LINK_ERRORS as exc:  # a dead master's socket: nothing to close cleanly
            logger.debug("closing the connection to %s: %s", shard.name, exc)

    # -- the pumps: one per master --------------------------------------------------------

    async def _pump(self, shard: _Shard) -> None:
        try:
            await pump(
                shard.pubsub,
                self._stopping,
                lambda message: self._on(shard, message),
                what=f"master {shard.name}",
            )
        except asyncio.CancelledError:
            if self._stopping.is_set() or cancelled() or self._shards.get(shard.name) is not shard:
                raise
            logger.warning("stray cancellation on the connection to %s; reconnecting", shard.name)
            self._lose(shard)
        except Exception as exc:
            if cancelled():
                return
            if not isinstance(exc, LINK_ERRORS):
                logger.exception("sharded pub/sub on %s failed", shard.name)
            elif self._shards.get(shard.name) is shard:
                logger.warning(
                    "lost master %s (%s); finding the rooms' masters again", shard.name, exc
                )
            self._lose(shard)

    def _on(self, shard: _Shard, message: dict[str, Any]) -> None:
        kind, channel = message.get("type"), message.get("channel")
        if not isinstance(channel, bytes):
            return
        if kind == "smessage":
            data = message["data"]
            if keys.room_of_audio_channel(channel) is not None:
                self._audio.heard(channel, data)
            else:
                self._on_entry(channel, data)
        elif kind == "ssubscribe":
            room_id = keys.room_of_audio_channel(channel)  # the second of the pair
            if room_id is not None and self._where.get(room_id) is shard:
                self._confirmed(room_id)
        elif kind == "sunsubscribe":
            # Redis unsubscribes a slot's channels when the slot leaves this master.
            room_id = keys.room_of_channel(channel) or keys.room_of_audio_channel(channel)
            if room_id is not None and self._where.get(room_id) is shard:
                logger.warning(
                    "room %s moved off master %s; subscribing where it is now", room_id, shard.name
                )
                shard.rooms.discard(room_id)
                self._unplace(room_id)
                self.reconnects += 1
                self._stale = True
                self._wakeup.set()

    def _confirmed(self, room_id: str) -> None:
        self._asked.pop(room_id, None)
        self._heard.add(room_id)
        self._rooms.confirmed(room_id)

    def _on_entry(self, channel: bytes, data: bytes) -> None:
        room_id = keys.room_of_channel(channel)
        if room_id is None or room_id not in self._wanted:
            return
        entry = decode_message(channel, data)
        if entry is None:
            return
        self.touch(room_id)
        self._rooms.heard(room_id, entry)

    async def audit(self) -> None:
        await self._auditor.run(lambda: self.listening)

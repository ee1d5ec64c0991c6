"""A socket's voice: its audio frames checked, rate-limited and relayed (the order of
the checks is voice.py's), and ``audio.listen``, which makes it a listener."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgpack

from ..core.types import CommandError, ErrorCode, Json
from ..core.voice import Dropped, heard
from ..host.hub import Subscriber
from ..host.voice import FRAME_BURST, FRAMES_PER_SECOND, MAX_FRAME_BYTES
from ..ratelimit import TokenBucket
from ..wire import MSGPACK_PROTOCOL

if TYPE_CHECKING:
    from ..host.node import RoomHost
    from ..services import Services
    from ..tokens import TokenClaims


class SpeakerGate:
    """One socket's audio frames: rate-limited, checked, relayed."""

    __slots__ = ("_bucket", "claims", "host", "services", "subscriber")

    def __init__(
        self, services: Services, host: RoomHost, claims: TokenClaims, subscriber: Subscriber
    ) -> None:
        self.services, self.host, self.claims, self.subscriber = (
            services,
            host,
            claims,
            subscriber,
        )
        self._bucket = TokenBucket(rate=FRAMES_PER_SECOND, burst=FRAME_BURST, clock=services.clock)

    def receive(self, payload: bytes) -> None:
        stats = self.services.node.voice
        result = self._relay(payload)
        stats.frames[result] += 1

    def _relay(self, payload: bytes) -> str:
        if len(payload) > MAX_FRAME_BYTES:
            return Dropped.OVERSIZE.value
        if not self._bucket.take():
            return Dropped.RATE.value
        try:
            _, turn, seq, ts, data = msgpack.unpackb(payload, raw=False, use_list=True)
        except Exception:  # noqa: BLE001  (any undecodable frame is just malformed)
            return Dropped.MALFORMED.value
        if not (
            isinstance(turn, str)
            and isinstance(data, bytes)
            and _is_int(seq)
            and _is_int(ts)
            and seq >= 0
        ):
            return Dropped.MALFORMED.value
        services, host = self.services, self.host
        state = host.state
        verdict = heard(state, self.claims.participant_id, self.claims.role, turn, services.clock())
        if isinstance(verdict, Dropped):
            return verdict.value
        if not host.voice.budget.admit(verdict.speaker, len(data)):
            return Dropped.OVER_BUDGET.value  # before anyone hears it or it is kept
        frame: bytes = msgpack.packb(
            ["audio", verdict.turn_id, seq, ts, data, verdict.speaker, verdict.chair],
            use_bin_type=True,
        )
        services.backend.publish_audio(host.room_id, frame)  # first: the others start at once
        host.voice.fan_out(frame, self.subscriber)
        if state.settings.get("record_audio"):
            services.recordings.keep(host.room_id, verdict.turn_id, verdict.speaker, seq, ts, data)
        return "relayed"


def listen(host: RoomHost, subscriber: Subscriber, on: bool) -> Json:
    """``audio.listen {on}`` (its row: core/commands.py): this socket hears the room's
    voice, or stops hearing it."""
    if subscriber.codec.name != MSGPACK_PROTOCOL:
        raise CommandError(
            ErrorCode.CONFLICT, "audio travels only on the yishi.v1.msgpack sub-protocol"
        )
    if on and not subscriber.outbox.streams_audio:
        raise CommandError(ErrorCode.CONFLICT, "this server cannot send audio on this socket")
    if on:
        host.voice.listeners.add(subscriber)
    else:
        host.voice.listeners.discard(subscriber)
    return {"listening": on}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

"""One recording as an Ogg Opus file (RFC 7845), muxed by PyAV (FFmpeg's Ogg muxer).

The Opus packets are written as they were spoken, never decoded or re-encoded:
one logical Opus stream, 48 kHz, mono, whose header (the codec's extradata) is
an ``OpusHead``; each packet's time stamp and duration in 48 kHz samples, so
the muxer sets the pages' granule positions. Time stamps come from the frames:

* consecutive frames of one speaker (``seq`` + 1) follow each other exactly
  (the sender's clock jitter does not stretch or squeeze the sound);
* after a gap (lost frames, a pause, another speaker), a frame starts at its
  capture time ``ts`` relative to the first frame, never before the end of the
  previous one; the gap is filled with Opus silence packets, at most
  ``MAX_GAP_MS`` of it (a long pause is shortened).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable
from fractions import Fraction

import av

RATE = 48_000
TIME_BASE = Fraction(1, RATE)
PRE_SKIP = 312  # libopus's look-ahead at 48 kHz: what a decoder drops at the start
MAX_GAP_MS = 5_000
# A 20 ms CELT frame of silence (TOC 0xf8: config 31, mono, one frame).
SILENCE = b"\xf8\xff\xfe"
SILENCE_SAMPLES = 960

Frame = tuple[str, int, int, bytes]  # (speaker, seq, ts in ms, one Opus packet)


def opus_head(pre_skip: int = PRE_SKIP) -> bytes:
    """The identification header of a mono 48 kHz Opus stream (RFC 7845, 5.1)."""
    return b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, RATE, 0, 0)


def packet_samples(packet: bytes) -> int:
    """How many 48 kHz samples an Opus packet holds (RFC 6716, 3.1); 0 if malformed."""
    if not packet:
        return 0
    toc = packet[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        size = (480, 960, 1920, 2880)[config & 3]
    elif config < 16:  # hybrid: 10, 20 ms
        size = (480, 960)[config & 1]
    else:  # CELT: 2.5, 5, 10, 20 ms
        size = (120, 240, 480, 960)[config & 3]
    code = toc & 3
    if code == 0:
        count = 1
    elif code in (1, 2):
        count = 2
    else:
        if len(packet) < 2:
            return 0
        count = packet[1] & 0x3F
    samples = size * count
    return samples if samples <= 5760 else 0  # at most 120 ms in a packet


def timeline(frames: Iterable[Frame]) -> list[tuple[int, bytes, int]]:
    """``(pts, packet, duration)`` for each packet to write, in samples (see above)."""
    out: list[tuple[int, bytes, int]] = []
    first_ts: int | None = None
    last: tuple[str, int] | None = None
    end = 0
    for speaker, seq, ts, data in frames:
        samples = packet_samples(data)
        if samples == 0:
            continue  # not an Opus packet: nothing a player could use
        if first_ts is None:
            first_ts = ts
        if last != (speaker, seq - 1):
            at = (ts - first_ts) * RATE // 1000
            gap = min(max(at - end, 0), MAX_GAP_MS * RATE // 1000)
            for _ in range(gap // SILENCE_SAMPLES):
                out.append((end, SILENCE, SILENCE_SAMPLES))
                end += SILENCE_SAMPLES
        out.append((end, data, samples))
        end += samples
        last = (speaker, seq)
    return out


def ogg_opus(frames: Iterable[Frame]) -> bytes:
    """The frames as an Ogg Opus file. Blocking (run it in a thread)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=RATE)
        stream.codec_context.layout = "mono"
        stream.codec_context.extradata = opus_head()
        stream.time_base = TIME_BASE
        for pts, data, samples in timeline(frames):
            packet = av.Packet(data)
            packet.stream = stream
            packet.time_base = TIME_BASE
            packet.pts = packet.dts = pts
            packet.duration = samples
            container.mux(packet)
    return buffer.getvalue()

"""Real Opus audio for the recording tests: a tone encoded by PyAV's libopus encoder
(48 kHz, mono, 60 ms a packet, as the pages send), decoded back, and compared."""

from __future__ import annotations

import io
import math
from array import array
from fractions import Fraction

import av

RATE = 48_000
FRAME = 2880  # 60 ms


def tone(seconds: float, hz: float = 440.0) -> array[int]:
    """A sine sweeping up from ``hz`` (so a shifted copy does not correlate)."""
    n = int(seconds * RATE)
    return array(
        "h", (int(12000 * math.sin(2 * math.pi * (hz + 200 * i / n) * i / RATE)) for i in range(n))
    )


def opus_packets(samples: array[int]) -> list[bytes]:
    encoder = av.CodecContext.create("libopus", "w")
    assert isinstance(encoder, av.AudioCodecContext)
    encoder.sample_rate = RATE
    encoder.layout = "mono"
    encoder.format = "s16"
    encoder.bit_rate = 24_000
    encoder.time_base = Fraction(1, RATE)
    encoder.options = {"frame_duration": "60"}
    encoder.open()
    packets: list[bytes] = []
    for start in range(0, len(samples) - FRAME + 1, FRAME):
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME)
        frame.planes[0].update(samples[start : start + FRAME].tobytes())
        frame.sample_rate = RATE
        frame.pts = start
        packets += [bytes(p) for p in encoder.encode(frame)]
    packets += [bytes(p) for p in encoder.encode(None)]
    return packets


def decode_ogg(body: bytes) -> tuple[str, float, array[int]]:
    """(container format, the stream's duration in seconds, the decoded samples)."""
    with av.open(io.BytesIO(body)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        assert stream.sample_rate == RATE and stream.codec_context.layout.nb_channels == 1
        duration = float((stream.duration or 0) * stream.time_base) if stream.time_base else 0.0
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        out = array("h")
        for frame in container.decode(stream):
            for plain in resampler.resample(frame):
                out.frombytes(bytes(plain.planes[0])[: plain.samples * 2])
        return container.format.name, duration, out


def correlation(a: array[int], b: array[int]) -> float:
    """Normalised correlation of the common length of ``a`` and ``b`` (1.0: the same)."""
    n = min(len(a), len(b))
    dot = sum(a[i] * b[i] for i in range(n))
    norm = math.sqrt(sum(a[i] ** 2 for i in range(n)) * sum(b[i] ** 2 for i in range(n)))
    return dot / norm if norm else 0.0

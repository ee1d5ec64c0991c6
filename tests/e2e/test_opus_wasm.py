"""The WebAssembly Opus fallback (static/js/opus-wasm.js) in real Chromium,
under the pages' own security policy: a tone and a sweep come back from its
encoder and decoder correlated with what went in, its packets are the size of
24 kbit/s in 60 ms, and its packets and WebCodecs' are the same format (each
decodes in the other's decoder). Run with `-s` to see the figures."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Pages, Server

pytestmark = pytest.mark.e2e  # runs last, with the other browser tests (tests/conftest.py)

MIN_CORRELATION = 0.8
# 24 kbit/s for 60 ms is 180 bytes; the encoder's VBR moves it around that.
NOMINAL_BYTES = 24000 * 60 // 1000 // 8
MAX_BYTES = 1024

# Shared by each evaluate: signals, the round trips and the correlation.
# Signals are computed analytically at any rate, so a 44.1 kHz input is
# compared with the same signal at 48 kHz (what the decoder gives back).
JS_LIB = r"""
const OPUS = await import('/static/js/opus-wasm.js');
const TWO_PI = 2 * Math.PI;
const SIGNALS = {
  // 1 kHz at half scale.
  sine: (t) => 0.5 * Math.sin(TWO_PI * 1000 * t),
  // 200 Hz to 3.2 kHz over 2 s, linear in frequency (speech's band).
  sweep: (t) => 0.5 * Math.sin(TWO_PI * (200 * t + 750 * t * t)),
};
const SECONDS = 2;
function make(name, rate) {
  const f = SIGNALS[name];
  const n = Math.round(SECONDS * rate);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = f(i / rate);
  return x;
}
function concat(parts) {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
// Normalised cross-correlation at the best lag (0..50 ms) over a window of
// 0.5 s that starts 0.5 s in (past the codec's start-up).
function bestNcc(ref, sig) {
  const start = 24000, len = 24000, maxLag = 2400;
  let best = -1, bestLag = 0;
  let er = 0;
  for (let i = start; i < start + len; i++) er += ref[i] * ref[i];
  for (let lag = 0; lag <= maxLag; lag++) {
    if (start + len + lag > sig.length) break;
    let dot = 0, es = 0;
    for (let i = start; i < start + len; i++) {
      const s = sig[i + lag];
      dot += ref[i] * s;
      es += s * s;
    }
    const c = es > 0 ? dot / Math.sqrt(er * es) : 0;
    if (c > best) { best = c; bestLag = lag; }
  }
  return { ncc: best, lagMs: bestLag / 48 };
}
// Feed `x` to our encoder in chunks of `chunk` samples, as an AudioWorklet would.
async function wasmEncode(x, rate, chunk) {
  const packets = [];
  const enc = await OPUS.createOpusEncoder({
    sampleRate: rate, bitrate: 24000, frameMs: 60,
    onPacket: (data, ts) => packets.push({ data, ts }),
  });
  for (let i = 0; i < x.length; i += chunk) {
    enc.encode(x.subarray(i, i + chunk), Math.round(i * 1e6 / rate));
  }
  enc.close();
  return { packets, kind: enc.kind };
}
async function wasmDecode(packets) {
  const out = [];
  const dec = await OPUS.createOpusDecoder({ onPcm: (pcm, ts) => out.push(pcm) });
  for (const p of packets) dec.decode(p.data, p.ts);
  dec.close();
  return { pcm: concat(out), kind: dec.kind, chunks: out.length };
}
async function webcodecsDecode(packets) {
  const out = [];
  let failure = null;
  const dec = new AudioDecoder({
    output: (audio) => {
      const pcm = new Float32Array(audio.numberOfFrames);
      audio.copyTo(pcm, { planeIndex: 0, format: 'f32-planar' });
      out.push(pcm);
      audio.close();
    },
    error: (e) => { failure = String(e); },
  });
  dec.configure({ codec: 'opus', sampleRate: 48000, numberOfChannels: 1 });
  for (const p of packets) {
    dec.decode(new EncodedAudioChunk({ type: 'key', timestamp: p.ts, data: p.data }));
  }
  await dec.flush();
  dec.close();
  if (failure) throw new Error(failure);
  return concat(out);
}
async function webcodecsEncode(x) {
  const packets = [];
  let failure = null;
  const enc = new AudioEncoder({
    output: (chunk) => {
      const data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      packets.push({ data, ts: chunk.timestamp });
    },
    error: (e) => { failure = String(e); },
  });
  enc.configure({
    codec: 'opus', sampleRate: 48000, numberOfChannels: 1, bitrate: 24000,
    opus: { frameDuration: 60000 },
  });
  const chunk = 480;
  for (let i = 0; i < x.length; i += chunk) {
    const part = x.slice(i, i + chunk);
    const audio = new AudioData({
      format: 'f32-planar', sampleRate: 48000, numberOfChannels: 1,
      numberOfFrames: part.length, timestamp: Math.round(i * 1e6 / 48000), data: part,
    });
    enc.encode(audio);
    audio.close();
  }
  await enc.flush();
  enc.close();
  if (failure) throw new Error(failure);
  return packets;
}
function sizes(packets) {
  const n = packets.map((p) => p.data.length);
  return { count: n.length, mean: n.reduce((a, b) => a + b, 0) / n.length, max: Math.max(...n) };
}
"""


def run(page: Any, body: str) -> Any:
    """Evaluate `body` (an async function body) after JS_LIB in the page."""
    return page.evaluate(f"async () => {{\n{JS_LIB}\n{body}\n}}")


def open_page(server: Server, pages: Pages) -> Any:
    """Any page of the server, under its real policy; CSP violations recorded."""
    page = pages.open(None, width=1280)
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));"
    )
    res = page.goto(f"{server.base_url}/")
    assert res is not None
    policy = res.headers.get("content-security-policy", "")
    assert "'wasm-unsafe-eval'" in policy, (
        "the pages' policy must allow WebAssembly compilation (server/web/headers.py): " + policy
    )
    return page


def test_wasm_round_trip_correlates_and_packets_are_24_kbits(server: Server, pages: Pages) -> None:
    page = open_page(server, pages)
    result = run(
        page,
        """
      const out = {};
      // 48 kHz in 128-sample chunks (an AudioWorklet's quantum), 44.1 kHz in
      // odd chunks (resampled), 16 kHz (one of Opus's own rates).
      for (const [name, rate, chunk] of [['sine', 48000, 128], ['sweep', 48000, 128],
                                         ['sine', 44100, 441], ['sweep', 44100, 300],
                                         ['sweep', 16000, 160]]) {
        const enc = await wasmEncode(make(name, rate), rate, chunk);
        const dec = await wasmDecode(enc.packets);
        out[`${name}@${rate}`] = {
          ...bestNcc(make(name, 48000), dec.pcm), ...sizes(enc.packets),
          kinds: [enc.kind, dec.kind], decodedSamples: dec.pcm.length,
          stamps: enc.packets.slice(0, 4).map((p) => p.ts),
          rawFirstByte: enc.packets[0].data[0],
        };
      }
      // Bytes that are no Opus packet (a page may send anything): skipped,
      // nothing thrown, and the decoder goes on with the next real packet.
      const enc = await wasmEncode(make('sine', 48000), 48000, 128);
      const got = [];
      const dec = await OPUS.createOpusDecoder({ onPcm: (pcm, ts) => got.push(ts) });
      // (An empty or TOC-only packet is valid Opus, "frame lost", and gives
      // concealment audio; these two are not: 63 frames in 2 bytes, and too long.)
      for (const junk of [Uint8Array.of(0xff, 0xff, 0xff), new Uint8Array(5000).fill(7)]) {
        dec.decode(junk, 1);
      }
      dec.decode(enc.packets[0].data, 2);
      dec.close();
      out.junk = got;
      out.csp = window.__csp;
      return out;
    """,
    )
    assert result.pop("junk") == [2], "junk bytes must be skipped, and a real packet still decode"
    print("\nwasm encoder -> wasm decoder:")
    for key, r in result.items():
        if key == "csp":
            continue
        print(
            f"  {key:12} ncc={r['ncc']:.3f} lag={r['lagMs']:.2f} ms  packets={r['count']}"
            f" mean={r['mean']:.0f} B max={r['max']} B"
        )
        assert r["kinds"] == ["wasm", "wasm"]
        assert r["ncc"] > MIN_CORRELATION, (key, r)
        # 2 s is 33 full packets of 60 ms (the partial one is dropped at close).
        assert r["count"] == 33, (key, r)
        assert r["decodedSamples"] == 33 * 2880, (key, r)
        assert r["max"] < MAX_BYTES, (key, r)
        assert NOMINAL_BYTES * 0.4 < r["mean"] < NOMINAL_BYTES * 1.5, (key, r)
        # The packet's timestamp is its first sample's capture time.
        assert r["stamps"] == [0, 60000, 120000, 180000], (key, r)
        # A raw Opus packet, not an Ogg page ("OggS"): TOC byte of a 60 ms
        # frame (config 3, 7, 11: SILK; 15: hybrid) or code 1..3 packs.
        assert r["rawFirstByte"] != ord("O"), (key, r)
    assert result["csp"] == [], result["csp"]


def test_packets_interoperate_with_webcodecs(server: Server, pages: Pages) -> None:
    page = open_page(server, pages)
    if not page.evaluate(
        "() => typeof AudioEncoder === 'function' && typeof AudioDecoder === 'function'"
    ):
        pytest.fail("this Chromium has no WebCodecs audio: the interop cannot be checked")
    result = run(
        page,
        """
      const out = {};
      for (const name of ['sine', 'sweep']) {
        const x = make(name, 48000);
        const ours = await wasmEncode(x, 48000, 128);
        const theirs = await webcodecsEncode(x);
        out[name] = {
          wasmToWebcodecs: bestNcc(x, await webcodecsDecode(ours.packets)),
          webcodecsToWasm: bestNcc(x, (await wasmDecode(theirs)).pcm),
          webcodecsToWebcodecs: bestNcc(x, await webcodecsDecode(theirs)),
          webcodecsSizes: sizes(theirs),
        };
      }
      out.csp = window.__csp;
      return out;
    """,
    )
    print("\ninterop with WebCodecs (48 kHz mono, 24 kbit/s, 60 ms):")
    for name in ("sine", "sweep"):
        r = result[name]
        s = r["webcodecsSizes"]
        print(
            f"  {name:6} wasm->webcodecs ncc={r['wasmToWebcodecs']['ncc']:.3f}"
            f"  webcodecs->wasm ncc={r['webcodecsToWasm']['ncc']:.3f}"
            f"  (webcodecs->webcodecs {r['webcodecsToWebcodecs']['ncc']:.3f};"
            f" its packets mean={s['mean']:.0f} B max={s['max']} B)"
        )
        assert r["wasmToWebcodecs"]["ncc"] > MIN_CORRELATION, (name, r)
        assert r["webcodecsToWasm"]["ncc"] > MIN_CORRELATION, (name, r)
        assert s["max"] < MAX_BYTES, (name, r)
    assert result["csp"] == [], result["csp"]

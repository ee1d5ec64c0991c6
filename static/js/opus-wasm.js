// The WebAssembly Opus codec: the fallback for browsers without WebCodecs'
// AudioEncoder/AudioDecoder (docs/voice-browsers.md says which). Loaded only
// when needed (static/js/opus.js imports it dynamically), and each half loads
// its own vendored build only when first used, so a listener never downloads
// the encoder.
//
// Rules (the same as the WebCodecs path, so packets interoperate both ways):
// * packets are plain Opus packets (RFC 6716), never Ogg pages: mono, coded
//   at 48 kHz, one packet per `frameMs` of audio (the voice protocol uses 60);
// * the encoder takes mono Float32 PCM at any rate and any chunk length; it
//   codes 8/12/16/24/48 kHz input as it is (Opus's own rates) and resamples
//   any other rate to 48 kHz first;
// * a packet's timestamp is the capture time of its first sample: the
//   caller's timestamp for the chunk that began an empty buffer, counted on
//   in samples after that;
// * the decoder always gives mono Float32 at 48 kHz.
//
// Vendored (static/vendor/README.md): the encoder is libopus from
// `@evan/opus` (a standalone .wasm with no JavaScript runtime; the few lines
// of glue below replace its Node-only loader), the decoder is `opus-decoder`
// (wasm-audio-decoders, its .wasm inlined in the bundle). Neither evaluates
// code: only WebAssembly compilation, which the pages' policy allows with
// 'wasm-unsafe-eval'. Both load from this origin.

const ENCODER_WASM = new URL("../vendor/evan-opus.wasm", import.meta.url);
const DECODER_JS = new URL("../vendor/opus-decoder.min.js", import.meta.url);

const OPUS_RATE = 48000;
const OPUS_RATES = [8000, 12000, 16000, 24000, 48000];
const FRAME_MS = [10, 20, 40, 60];
// The largest packet either side handles: 3 x 1275 bytes (60 ms of 20 ms
// frames at the highest rate) fits; it is also opus-decoder's input buffer
// for one channel (3,840 bytes).
const MAX_PACKET = 3840;

// libopus constants (opus_defines.h).
const OPUS_APPLICATION_VOIP = 2048;
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;
// 10 is libopus's default; 8 costs older phones a little less CPU per frame
// (the quality difference for speech at 24 kbit/s is small; not measured here).
const COMPLEXITY = 8;

let encoderLib = null;
let decoderClass = null;

/** The libopus instance, compiled once per page and shared by every encoder. */
function loadEncoderLib() {
  if (!encoderLib) {
    encoderLib = instantiateEncoder().catch((err) => {
      encoderLib = null; // a failed download may be retried
      throw err;
    });
  }
  return encoderLib;
}

async function instantiateEncoder() {
  // The build is a WASI reactor: these are its only imports, used by libopus
  // solely to print a failed assertion (never in a release path).
  const imports = {
    wasi_snapshot_preview1: {
      fd_write: () => 0, fd_seek: () => 0, fd_close: () => 0,
      proc_exit: (code) => { throw new Error(`opus-wasm: exit ${code}`); },
    },
    // Views are made afresh for each call (below), so growth needs no action.
    env: { emscripten_notify_memory_growth: () => {} },
  };
  const res = await fetch(ENCODER_WASM, { credentials: "same-origin" });
  if (!res.ok) throw new Error(`opus-wasm: ${ENCODER_WASM.pathname} ${res.status}`);
  const type = res.headers.get("content-type") || "";
  const { instance } = (WebAssembly.instantiateStreaming && type.startsWith("application/wasm"))
    ? await WebAssembly.instantiateStreaming(res, imports)
    : await WebAssembly.instantiate(await res.arrayBuffer(), imports);
  const lib = instance.exports;
  if (typeof lib._initialize === "function") lib._initialize(); // static constructors
  return lib;
}

function check(code, what) {
  if (code < 0) throw new Error(`opus-wasm: ${what} failed (libopus error ${code})`);
  return code;
}

/**
 * Streaming linear-interpolation resampler for rates Opus does not take
 * (44.1 kHz above all). Speech needs no better; going down (96 kHz and up)
 * it first averages each output sample's span so the loudest aliases go.
 */
class Resampler {
  constructor(from, to) {
    this.step = from / to; // input samples per output sample
    this.width = this.step >= 1.5 ? Math.round(this.step) : 1;
    this.history = new Float32Array(this.width); // last inputs, for the average
    this.prev = 0; // the (averaged) input sample just before the next chunk
    this.t = 1; // next output's position, in input samples after `prev`
  }

  process(input) {
    const x = this.width > 1 ? this.average(input) : input;
    const n = x.length;
    const out = new Float32Array(Math.max(0, Math.ceil((n - this.t) / this.step) + 1));
    let k = 0;
    let t = this.t;
    while (t <= n && k < out.length) {
      const i = Math.floor(t);
      const f = t - i;
      const a = i === 0 ? this.prev : x[i - 1];
      const b = i < n ? x[i] : a;
      out[k++] = a + (b - a) * f;
      t += this.step;
    }
    if (n > 0) this.prev = x[n - 1];
    this.t = t - n;
    return out.subarray(0, k);
  }

  average(input) {
    const w = this.width;
    const h = this.history;
    const out = new Float32Array(input.length);
    let sum = 0;
    for (let j = 0; j < w; j++) sum += h[j];
    for (let j = 0; j < input.length; j++) {
      const slot = j % w;
      sum += input[j] - h[slot];
      h[slot] = input[j];
      out[j] = sum / w;
    }
    // Keep the ring in order for the next chunk (slot 0 = oldest).
    const start = input.length % w;
    this.history = Float32Array.from({ length: w }, (_, j) => h[(start + j) % w]);
    return out;
  }
}

/**
 * An Opus encoder. `encode(pcm, timestampUs)` takes mono Float32 samples at
 * `sampleRate`; `onPacket(Uint8Array, timestampUs)` is called once per full
 * `frameMs` of audio, synchronously from `encode`. `close()` drops a partial
 * frame and frees the encoder; nothing is called after it.
 */
export async function createOpusEncoder({ sampleRate, bitrate = 24000, frameMs = 60, onPacket }) {
  if (!(sampleRate > 0)) throw new RangeError(`opus-wasm: bad sampleRate ${sampleRate}`);
  if (!FRAME_MS.includes(frameMs)) throw new RangeError(`opus-wasm: frameMs must be one of ${FRAME_MS}`);
  if (typeof onPacket !== "function") throw new TypeError("opus-wasm: onPacket is required");
  const lib = await loadEncoderLib();

  const rate = OPUS_RATES.includes(sampleRate) ? sampleRate : OPUS_RATE;
  const resampler = rate === sampleRate ? null : new Resampler(sampleRate, rate);
  const frame = (rate * frameMs) / 1000;

  const state = lib.malloc(lib.opus_encoder_get_size(1));
  const pcmPtr = lib.malloc(frame * 2);
  const outPtr = lib.malloc(MAX_PACKET);
  if (!state || !pcmPtr || !outPtr) throw new Error("opus-wasm: out of memory");
  try {
    check(lib.opus_encoder_init(state, rate, 1, OPUS_APPLICATION_VOIP), "init");
    check(lib.opus_encoder_ctl_set(state, OPUS_SET_BITRATE, bitrate), "bitrate");
    check(lib.opus_encoder_ctl_set(state, OPUS_SET_COMPLEXITY, COMPLEXITY), "complexity");
    check(lib.opus_encoder_ctl_set(state, OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE), "signal");
  } catch (err) {
    lib.free(state); lib.free(pcmPtr); lib.free(outPtr);
    throw err;
  }

  const pending = new Float32Array(frame);
  let filled = 0;
  let startUs = 0; // capture time of pending[0]
  let closed = false;

  function emit() {
    const pcm = new Int16Array(lib.memory.buffer, pcmPtr, frame);
    for (let i = 0; i < frame; i++) {
      const s = pending[i];
      pcm[i] = s >= 1 ? 32767 : s <= -1 ? -32768 : Math.round(s * 32767);
    }
    const n = check(lib.opus_encode(state, pcmPtr, frame, outPtr, MAX_PACKET), "encode");
    const packet = new Uint8Array(lib.memory.buffer, outPtr, n).slice();
    const ts = startUs;
    filled = 0;
    startUs += (frameMs * 1000);
    onPacket(packet, ts);
  }

  return {
    kind: "wasm",
    encode(input, timestampUs) {
      if (closed) throw new Error("opus-wasm: encoder is closed");
      const pcm = resampler ? resampler.process(input) : input;
      if (filled === 0 && Number.isFinite(timestampUs)) startUs = timestampUs;
      let at = 0;
      while (at < pcm.length) {
        const take = Math.min(frame - filled, pcm.length - at);
        pending.set(pcm.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === frame) emit();
      }
    },
    close() {
      if (closed) return;
      closed = true;
      lib.free(state); lib.free(pcmPtr); lib.free(outPtr);
    },
  };
}

/**
 * The decoder class, from the vendored UMD bundle: imported as a module it
 * sets `globalThis["opus-decoder"]` (and a module is always read as UTF-8,
 * which the bundle's inlined WebAssembly needs).
 */
async function loadDecoderClass() {
  if (!decoderClass) {
    decoderClass = import(DECODER_JS.href).then(() => {
      const cls = globalThis["opus-decoder"] && globalThis["opus-decoder"].OpusDecoder;
      if (!cls) throw new Error("opus-wasm: the opus-decoder bundle did not load");
      return cls;
    }).catch((err) => {
      decoderClass = null;
      throw err;
    });
  }
  return decoderClass;
}

/**
 * An Opus decoder. `decode(packet, timestampUs)` calls `onPcm(Float32Array,
 * timestampUs)` synchronously with the packet's mono 48 kHz samples; a packet
 * that does not decode is skipped (libopus logs it) and nothing is called.
 */
export async function createOpusDecoder({ onPcm }) {
  if (typeof onPcm !== "function") throw new TypeError("opus-wasm: onPcm is required");
  const OpusDecoder = await loadDecoderClass();
  // No pre-skip: a live stream has no Ogg header to say one; the encoder's
  // few milliseconds of look-ahead are simply part of the delay.
  const decoder = new OpusDecoder({ channels: 1, sampleRate: OPUS_RATE, preSkip: 0 });
  await decoder.ready;
  let closed = false;
  return {
    kind: "wasm",
    decode(data, timestampUs) {
      if (closed) throw new Error("opus-wasm: decoder is closed");
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
      // The bytes are whatever the floor holder's page sent (the server never
      // looks inside): none is too short, and one longer than any real packet
      // would overrun the decoder's input buffer, so it is dropped unread.
      if (bytes.length > MAX_PACKET) return;
      let out;
      try {
        out = decoder.decodeFrame(bytes);
      } catch {
        return;
      }
      if (out.samplesDecoded > 0) onPcm(out.channelData[0], timestampUs);
    },
    close() {
      if (closed) return;
      closed = true;
      decoder.free();
    },
  };
}

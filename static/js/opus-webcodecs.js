// Opus through the browser's own codecs (WebCodecs AudioEncoder/AudioDecoder):
// Chrome and Edge 94+, Android Chrome and WebView 94+, desktop Firefox 130+;
// Safari only in its newest versions. opus.js asks isConfigSupported rather
// than trusting this list. The same interface as opus-wasm.js.

export const ENCODER_CONFIG = Object.freeze({
  codec: "opus", sampleRate: 48000, numberOfChannels: 1, bitrate: 24000,
  opus: { frameDuration: 60000, application: "voip" },
});
export const DECODER_CONFIG = Object.freeze({ codec: "opus", sampleRate: 48000, numberOfChannels: 1 });

/** True when this browser can encode and decode mono Opus with WebCodecs. */
export async function webcodecsOpusSupported({ sampleRate = 48000, bitrate = 24000, frameMs = 60 } = {}) {
  if (typeof AudioEncoder === "undefined" || typeof AudioDecoder === "undefined") return false;
  try {
    const [enc, dec] = await Promise.all([
      AudioEncoder.isConfigSupported(encoderConfig(sampleRate, bitrate, frameMs)),
      AudioDecoder.isConfigSupported(DECODER_CONFIG),
    ]);
    return Boolean(enc.supported && dec.supported);
  } catch {
    return false;
  }
}

function encoderConfig(sampleRate, bitrate, frameMs) {
  return { ...ENCODER_CONFIG, sampleRate, bitrate, opus: { ...ENCODER_CONFIG.opus, frameDuration: frameMs * 1000 } };
}

/**
 * pcm: Float32Array mono at `sampleRate`, any length; the encoder cuts it into
 * packets of `frameMs` and calls onPacket(Uint8Array, timestampUs) for each.
 */
export async function createOpusEncoder({ sampleRate = 48000, bitrate = 24000, frameMs = 60, onPacket }) {
  const encoder = new AudioEncoder({
    output: (chunk) => {
      const data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      onPacket(data, chunk.timestamp);
    },
    error: () => {}, // a broken encoder sends nothing; the page shows the microphone as on until the turn ends
  });
  encoder.configure(encoderConfig(sampleRate, bitrate, frameMs));
  return {
    kind: "webcodecs",
    encode(pcm, timestampUs) {
      if (encoder.state !== "configured") return;
      const audio = new AudioData({
        format: "f32", sampleRate, numberOfFrames: pcm.length, numberOfChannels: 1,
        timestamp: Math.round(timestampUs), data: pcm,
      });
      encoder.encode(audio);
      audio.close();
    },
    close() {
      if (encoder.state !== "closed") encoder.close();
    },
  };
}

/** data: one Opus packet; onPcm(Float32Array mono 48 kHz, timestampUs) for each. */
export async function createOpusDecoder({ onPcm }) {
  const decoder = new AudioDecoder({
    output: (audio) => {
      const pcm = new Float32Array(audio.numberOfFrames);
      audio.copyTo(pcm, { planeIndex: 0, format: "f32-planar" });
      const ts = audio.timestamp;
      audio.close();
      onPcm(pcm, ts);
    },
    error: () => {},
  });
  decoder.configure(DECODER_CONFIG);
  return {
    kind: "webcodecs",
    decode(data, timestampUs) {
      if (decoder.state !== "configured") return;
      decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: Math.round(timestampUs), data }));
    },
    close() {
      if (decoder.state !== "closed") decoder.close();
    },
  };
}

// The Opus codec for voice, chosen once per page: WebCodecs where the browser
// has an Opus AudioEncoder and AudioDecoder (opus-webcodecs.js), else the
// vendored WebAssembly build (opus-wasm.js, loaded only then). `?codec=wasm`
// in the page's address forces the WebAssembly one (to test it anywhere).
//
//   createOpusEncoder({sampleRate, bitrate, frameMs, onPacket})
//     -> {encode(pcm Float32Array mono, timestampUs), close(), kind}
//     onPacket(Uint8Array one Opus packet of frameMs, timestampUs)
//   createOpusDecoder({onPcm})
//     -> {decode(Uint8Array, timestampUs), close(), kind}
//     onPcm(Float32Array mono 48 kHz, timestampUs)

import * as webcodecs from "./opus-webcodecs.js";

let chosen = null;

function forcedWasm() {
  try {
    return new URLSearchParams(location.search).get("codec") === "wasm";
  } catch {
    return false;
  }
}

/** The implementation module: WebCodecs if it can, else the WebAssembly one. */
export function opusModule() {
  if (!chosen) {
    chosen = (async () => {
      if (!forcedWasm() && (await webcodecs.webcodecsOpusSupported())) return webcodecs;
      return import("./opus-wasm.js");
    })();
  }
  return chosen;
}

export async function createOpusEncoder({ sampleRate, bitrate = 24000, frameMs = 60, onPacket }) {
  const mod = await opusModule();
  try {
    return await mod.createOpusEncoder({ sampleRate, bitrate, frameMs, onPacket });
  } catch (err) {
    if (mod === webcodecs) {
      // Supported on paper, failed in practice (a rate it refuses): the WebAssembly one.
      const wasm = await import("./opus-wasm.js");
      return wasm.createOpusEncoder({ sampleRate, bitrate, frameMs, onPacket });
    }
    throw err;
  }
}

export async function createOpusDecoder({ onPcm }) {
  const mod = await opusModule();
  try {
    return await mod.createOpusDecoder({ onPcm });
  } catch (err) {
    if (mod === webcodecs) return (await import("./opus-wasm.js")).createOpusDecoder({ onPcm });
    throw err;
  }
}

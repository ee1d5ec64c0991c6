// AudioWorklet processors for voice (loaded with audioWorklet.addModule).
//
// "yishi-capture": posts the microphone's first channel in chunks of 20 ms
//   ({pcm: Float32Array, index: the chunk's first sample number, level: RMS}).
// "yishi-player": plays one stream per speaker and mixes them. Each stream has
//   its own jitter buffer: it starts when `target` audio is buffered (60 ms at
//   first), a stream that runs dry while more is on its way (an underrun, not
//   the end of a talk spurt) waits for 20 ms more next time, up to 400 ms, and
//   a stream that played 5 s without running dry gives back 10 ms of it, down
//   to 60 ms. More than target + 200 ms waiting is cut from the oldest end (a
//   backlog after a stall is skipped, not played late). Messages in:
//   {src, pcm, ts} (ts: the chunk's capture time, server ms); {reset: true}.
//   Messages out: {played: [{src, ts, at}]} when chunks start playing (at: the
//   context time of their first sample) and {level} every 50 ms.

const CHUNK = 960;

class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.buf = new Float32Array(CHUNK);
    this.fill = 0;
    this.index = 0;
    this.stopped = false;
    this.port.onmessage = (e) => { if (e.data && e.data.stop) this.stopped = true; };
  }

  process(inputs) {
    if (this.stopped) return false;
    const channel = inputs[0] && inputs[0][0];
    const n = channel ? channel.length : 128;
    for (let i = 0; i < n; i++) {
      this.buf[this.fill++] = channel ? channel[i] : 0;
      if (this.fill === CHUNK) {
        let sum = 0;
        for (let j = 0; j < CHUNK; j++) sum += this.buf[j] * this.buf[j];
        const pcm = this.buf;
        this.port.postMessage({ pcm, index: this.index, level: Math.sqrt(sum / CHUNK) }, [pcm.buffer]);
        this.index += CHUNK;
        this.buf = new Float32Array(CHUNK);
        this.fill = 0;
      }
    }
    return true;
  }
}

const MIN_TARGET_S = 0.06;
const MAX_TARGET_S = 0.4;
const GROW_S = 0.02;
const SHRINK_S = 0.01;
const SHRINK_AFTER_S = 5;
const BACKLOG_S = 0.2;
const SPURT_GAP_S = 0.5; // dry for longer than this: the speaker paused, not the network

class Player extends AudioWorkletProcessor {
  constructor() {
    super();
    this.streams = new Map();
    this.levelSum = 0;
    this.levelCount = 0;
    this.played = [];
    this.port.onmessage = (e) => this.receive(e.data);
  }

  stream(src) {
    let s = this.streams.get(src);
    if (!s) {
      s = { chunks: [], offset: 0, buffered: 0, playing: false, target: MIN_TARGET_S * sampleRate,
            dryAt: null, goodFor: 0, lastData: currentFrame };
      this.streams.set(src, s);
    }
    return s;
  }

  receive(msg) {
    if (msg.reset) return this.streams.clear();
    const s = this.stream(msg.src);
    if (s.dryAt !== null && currentFrame - s.dryAt < SPURT_GAP_S * sampleRate) {
      s.target = Math.min(MAX_TARGET_S * sampleRate, s.target + GROW_S * sampleRate);
      s.goodFor = 0;
    }
    s.dryAt = null;
    s.lastData = currentFrame;
    s.chunks.push({ pcm: msg.pcm, ts: msg.ts });
    s.buffered += msg.pcm.length;
    const cap = s.target + BACKLOG_S * sampleRate;
    while (s.buffered > cap && s.chunks.length > 1) {
      const old = s.chunks.shift();
      s.buffered -= old.pcm.length - s.offset;
      s.offset = 0;
    }
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    out.fill(0);
    for (const [src, s] of this.streams) {
      if (!s.playing) {
        // Enough buffered, or the end of a talk spurt (nothing more for a while).
        if (s.buffered >= s.target || (s.buffered && currentFrame - s.lastData > s.target)) s.playing = true;
        else {
          if (!s.buffered && currentFrame - s.lastData > 10 * sampleRate) this.streams.delete(src);
          continue;
        }
      }
      let i = 0;
      while (i < out.length && s.chunks.length) {
        const c = s.chunks[0];
        if (s.offset === 0) this.played.push({ src, ts: c.ts, at: currentTime + i / sampleRate });
        const take = Math.min(out.length - i, c.pcm.length - s.offset);
        for (let k = 0; k < take; k++) out[i + k] += c.pcm[s.offset + k];
        i += take;
        s.offset += take;
        s.buffered -= take;
        if (s.offset === c.pcm.length) {
          s.chunks.shift();
          s.offset = 0;
        }
      }
      if (!s.chunks.length) {
        s.playing = false;
        s.dryAt = currentFrame;
      } else {
        s.goodFor += out.length;
        if (s.goodFor > SHRINK_AFTER_S * sampleRate) {
          s.goodFor = 0;
          s.target = Math.max(MIN_TARGET_S * sampleRate, s.target - SHRINK_S * sampleRate);
        }
      }
    }
    let sum = 0;
    for (let i = 0; i < out.length; i++) {
      if (out[i] > 1) out[i] = 1;
      else if (out[i] < -1) out[i] = -1;
      sum += out[i] * out[i];
    }
    for (let ch = 1; ch < outputs[0].length; ch++) outputs[0][ch].set(out);
    this.levelSum += sum;
    this.levelCount += out.length;
    if (this.levelCount >= 0.05 * sampleRate) {
      this.port.postMessage({ level: Math.sqrt(this.levelSum / this.levelCount), played: this.played });
      this.levelSum = 0;
      this.levelCount = 0;
      this.played = [];
    }
    return true;
  }
}

registerProcessor("yishi-capture", Capture);
registerProcessor("yishi-player", Player);

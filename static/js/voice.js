// Voice on the floor (docs/protocol.md, "Voice on the floor"): the floor
// holder's microphone and everyone's listening, over the room's own socket.
//
// Rules the page keeps (the server enforces them too):
// * A microphone sends only for a turn that is running and not past its
//   `ends_at`; it stops the moment the turn ends (turn.ended, another turn,
//   the countdown reaching zero): no frame captured after `ends_at` is sent.
// * The chair's microphone (moderators) works at any time: frames carry the
//   running turn's id, or "" when none runs.
// * Listening is asked for again after every welcome (a reconnect starts deaf).
// * Only MessagePack sockets carry audio: on a JSON socket the page neither
//   speaks nor listens, and says so.
//
// window.yishiVoice exposes the counters the page keeps anyway (for the level
// meter and the browser tests): listening, framesHeard, framesBySource,
// lastFrameAt, heard (the last frames' headers), recentPcm() (the last ~10 s of
// decoded audio, all speakers in arrival order), speaking, sentFrames,
// encoderKind, decoderKind, delays (mouth-to-ear: server time at playout minus
// the frame's capture ts, ms), underruns.

import { $, setText, show } from "./dom.js";
import { t } from "./i18n.js";
import { createOpusDecoder, createOpusEncoder } from "./opus.js";
import { notify } from "./ui.js";

const RATE = 48000;
const RING_SAMPLES = 10 * RATE;
const KEEP = 500; // frame headers and delays kept for the tests and the meter
const SPEAKING_MS = 700; // a speaker counts as speaking this long after their last frame
const WORKLET_URL = new URL("./voice-worklet.js", import.meta.url).href;
const MIC_CONSTRAINTS = {
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
};

const stats = {
  listening: false, framesHeard: 0, framesBySource: {}, lastFrameAt: 0, heard: [],
  speaking: false, sentFrames: 0, micTurn: null, encoderKind: "", decoderKind: "",
  delays: [], level: 0, micLevel: 0,
  recentPcm: () => ring.read(),
};
window.yishiVoice = stats;

function keep(list, item) {
  list.push(item);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}

/** The last RING_SAMPLES of decoded audio. */
const ring = {
  buf: new Float32Array(RING_SAMPLES), end: 0, size: 0,
  write(pcm) {
    for (let i = 0; i < pcm.length; i++) this.buf[(this.end + i) % RING_SAMPLES] = pcm[i];
    this.end = (this.end + pcm.length) % RING_SAMPLES;
    this.size = Math.min(RING_SAMPLES, this.size + pcm.length);
  },
  read() {
    const out = new Float32Array(this.size);
    const start = (this.end - this.size + RING_SAMPLES) % RING_SAMPLES;
    for (let i = 0; i < this.size; i++) out[i] = this.buf[(start + i) % RING_SAMPLES];
    return out;
  },
};

function newContext() {
  try {
    return new AudioContext({ sampleRate: RATE, latencyHint: "interactive" });
  } catch {
    return new AudioContext(); // a browser that will not resample: we resample on the way in
  }
}

/** Linear resampling from 48 kHz to the context's rate (only when they differ). */
function resample(pcm, to) {
  if (to === RATE) return pcm;
  const n = Math.round((pcm.length * to) / RATE);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = (i * RATE) / to;
    const j = Math.floor(x);
    const f = x - j;
    out[i] = pcm[j] * (1 - f) + (pcm[Math.min(j + 1, pcm.length - 1)] || 0) * f;
  }
  return out;
}

/** Listening: one decoder per speaker, played and mixed by the "yishi-player" worklet. */
class Player {
  constructor(client) {
    this.client = client;
    this.ctx = null;
    this.node = null;
    this.sources = new Map(); // from -> {decoder: Promise, chair, lastAt}
    this.onAudio = (e) => this.receive(e.detail);
    this.onWelcome = () => this.ask(true);
  }

  /** Call from a tap: the context must start inside the gesture. */
  async start() {
    const ctx = newContext();
    this.ctx = ctx;
    const resumed = ctx.resume();
    await ctx.audioWorklet.addModule(WORKLET_URL);
    if (this.ctx !== ctx) return;
    this.node = new AudioWorkletNode(ctx, "yishi-player", { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
    this.node.connect(ctx.destination);
    this.node.port.onmessage = (e) => this.played(e.data);
    await resumed;
    this.client.addEventListener("audio", this.onAudio);
    this.client.addEventListener("welcome", this.onWelcome);
    stats.listening = true;
    await this.ask(true);
  }

  stop() {
    this.client.removeEventListener("audio", this.onAudio);
    this.client.removeEventListener("welcome", this.onWelcome);
    if (stats.listening) this.ask(false);
    stats.listening = false;
    for (const s of this.sources.values()) s.decoder.then((d) => d.close()).catch(() => {});
    this.sources.clear();
    if (this.ctx) this.ctx.close().catch(() => {});
    this.ctx = null;
    this.node = null;
    stats.level = 0;
  }

  async ask(on) {
    if (!this.client.binary) return;
    try {
      await this.client.send("audio.listen", { on });
    } catch {
      /* offline: asked again after the next welcome */
    }
  }

  receive(frame) {
    const [, turn, seq, ts, data, from, chair] = frame;
    if (!(data instanceof Uint8Array) || typeof from !== "string" || typeof ts !== "number") return;
    const now = this.client.now();
    stats.framesHeard += 1;
    stats.framesBySource[from] = (stats.framesBySource[from] || 0) + 1;
    stats.lastFrameAt = now;
    keep(stats.heard, { turn, seq, ts, from, chair: Boolean(chair), at: now });
    let s = this.sources.get(from);
    if (!s) {
      s = { decoder: createOpusDecoder({ onPcm: (pcm, tsUs) => this.decoded(from, pcm, tsUs) }), chair: false, lastAt: 0 };
      s.decoder.then((d) => (stats.decoderKind = d.kind)).catch(() => notify(t("voice.no_codec")));
      this.sources.set(from, s);
    }
    s.chair = Boolean(chair);
    s.turn = turn;
    s.lastAt = now;
    // Decoded in order: each packet waits for the decoder on the same promise chain.
    s.decoder.then((d) => d.decode(data, ts * 1000)).catch(() => {});
  }

  decoded(from, pcm, tsUs) {
    if (!this.node) return;
    ring.write(pcm);
    const out = resample(pcm, this.ctx.sampleRate);
    this.node.port.postMessage({ src: from, pcm: out, ts: tsUs / 1000 }, [out.buffer]);
  }

  played({ level, played }) {
    stats.level = level || 0;
    if (!played || !played.length || !this.ctx) return;
    // Context time -> performance time (getOutputTimestamp) -> server time.
    const o = this.ctx.getOutputTimestamp ? this.ctx.getOutputTimestamp() : null;
    const nowPerf = performance.now();
    const serverNow = this.client.now();
    for (const p of played) {
      let at = serverNow;
      if (o && o.performanceTime) at = serverNow + (o.performanceTime + (p.at - o.contextTime) * 1000 - nowPerf);
      keep(stats.delays, Math.round(at - p.ts));
    }
  }

  /** Who is heard now: [{from, chair, turn}]. */
  speakers() {
    const now = this.client.now();
    return [...this.sources.entries()].filter(([, s]) => now - s.lastAt < SPEAKING_MS)
      .map(([from, s]) => ({ from, chair: s.chair, turn: s.turn }));
  }
}

/**
 * A microphone for one purpose: `turnFor(ts)` says which turn a frame
 * captured at server time `ts` belongs to, or null when the microphone must
 * stop (it then stops at once and sends nothing more).
 */
class Mic {
  constructor(client, onChange) {
    this.client = client;
    this.onChange = onChange;
    this.session = null;
    this.used = false; // opened at least once on this page (then "off" is worth saying)
  }

  get on() {
    return Boolean(this.session);
  }

  /** Call from a tap (the permission prompt the first time). */
  async start(turnFor, purpose) {
    this.stop();
    const session = { turnFor, purpose, ctx: newContext(), stream: null, node: null, encoder: null, seq: 0, anchor: Infinity };
    this.session = session;
    this.used = true;
    stats.speaking = true;
    this.onChange();
    try {
      const resumed = session.ctx.resume();
      session.stream = await navigator.mediaDevices.getUserMedia(MIC_CONSTRAINTS);
      await session.ctx.audioWorklet.addModule(WORKLET_URL);
      session.encoder = await createOpusEncoder({ sampleRate: session.ctx.sampleRate, onPacket: (d, ts) => this.packet(session, d, ts) });
      await resumed;
      if (this.session !== session) return this.release(session);
      stats.encoderKind = session.encoder.kind;
      const ctx = session.ctx;
      const input = ctx.createMediaStreamSource(session.stream);
      session.node = new AudioWorkletNode(ctx, "yishi-capture", { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
      const silent = ctx.createGain();
      silent.gain.value = 0; // pulled by the destination, heard by nobody
      input.connect(session.node).connect(silent).connect(ctx.destination);
      session.node.port.onmessage = (e) => this.chunk(session, e.data);
    } catch (err) {
      if (this.session === session) this.stop();
      else this.release(session);
      const denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
      notify(t(denied ? "voice.mic_denied" : typeof navigator.mediaDevices === "undefined" ? "voice.mic_insecure" : "voice.mic_failed"));
    }
  }

  chunk(session, { pcm, index, level }) {
    if (this.session !== session) return;
    const rate = session.ctx.sampleRate;
    // The chunk's first sample was captured no later than now minus its length;
    // the earliest such estimate is the least delayed by the page's own work.
    const start = this.client.now() - (pcm.length * 1000) / rate - (index * 1000) / rate;
    if (start < session.anchor) session.anchor = start;
    stats.micLevel = level;
    session.encoder.encode(pcm, (index * 1e6) / rate);
  }

  packet(session, data, tsUs) {
    if (this.session !== session) return;
    const ts = Math.round(session.anchor + tsUs / 1000);
    const turn = session.turnFor(ts);
    if (turn === null) return this.stop();
    const seq = session.seq++;
    if (this.client.sendRaw(["audio", turn, seq, ts, data])) stats.sentFrames += 1;
  }

  /** Check the purpose still holds now (called on every change and on a timer). */
  check() {
    if (this.session && this.session.turnFor(this.client.now()) === null) this.stop();
  }

  stop() {
    const session = this.session;
    if (!session) return;
    this.session = null;
    stats.speaking = false;
    stats.micLevel = 0;
    this.release(session);
    this.onChange();
  }

  release(session) {
    if (session.node) session.node.port.postMessage({ stop: true });
    if (session.stream) for (const track of session.stream.getTracks()) track.stop();
    if (session.encoder) session.encoder.close();
    session.ctx.close().catch(() => {});
  }
}

/** The turn a frame at `ts` may be sent for: the running turn `turnId`, until its end. */
function floorTurn(client, turnId) {
  return (ts) => {
    const turn = client.state && client.state.turn;
    if (!turn || turn.turn_id !== turnId || ts >= turn.ends_at) return null;
    return turnId;
  };
}

/** The chair's frames: the running turn's id while it runs, else "". */
function chairTurn(client) {
  return (ts) => {
    const turn = client.state && client.state.turn;
    return turn && ts < turn.ends_at ? turn.turn_id : "";
  };
}

/**
 * Wire the voice controls of a page. mode: "room" (a resident: speaks when
 * the floor is theirs) or "console" (moderator: the chair's microphone; clerk:
 * the microphone of an attendee in the hall holding the floor). Returns
 * {render(state)} to call whenever the page renders.
 */
export function mountVoice(client, { mode }) {
  const player = new Player(client);
  const mic = new Mic(client, () => render());
  const listenBtn = $("#listen-btn");
  const micBtn = $("#mic-btn");
  const chairBtn = $("#chair-mic-btn");
  const hallBtn = $("#hall-mic-btn");
  let role = "participant";

  listenBtn.addEventListener("click", async () => {
    if (stats.listening || player.ctx) {
      player.stop();
      return render();
    }
    listenBtn.disabled = true;
    try {
      await player.start();
    } catch {
      player.stop();
      notify(t("voice.listen_failed", { button: listenLabel() }));
    } finally {
      listenBtn.disabled = false;
      render();
    }
  });

  const toggle = (purpose, turnFor) => {
    if (mic.on) return mic.stop();
    const fn = turnFor();
    if (fn) mic.start(fn, purpose);
  };
  if (micBtn) micBtn.addEventListener("click", () => toggle("floor", () => {
    const turn = client.state.turn;
    return turn && turn.participant_id === client.state.you.participant_id ? floorTurn(client, turn.turn_id) : null;
  }));
  if (hallBtn) hallBtn.addEventListener("click", () => toggle("hall", () => {
    const turn = client.state.turn;
    return turn && hallSpeaker(client.state) ? floorTurn(client, turn.turn_id) : null;
  }));
  if (chairBtn) chairBtn.addEventListener("click", () => toggle("chair", () => chairTurn(client)));

  // The countdown cuts the microphone even before the turn's end arrives.
  client.addEventListener("event", (e) => {
    if (e.detail.type === "turn.ended" || e.detail.type === "turn.started") mic.check();
  });
  client.addEventListener("change", () => mic.check());
  setInterval(() => {
    mic.check();
    meter();
  }, 100);

  function meter() {
    const level = stats.speaking ? stats.micLevel : stats.listening ? stats.level : 0;
    // RMS to a 0-100 scale, -50 dBFS to 0 dBFS.
    const db = level > 0 ? 20 * Math.log10(level) : -100;
    const pct = Math.max(0, Math.min(100, ((db + 50) / 50) * 100));
    $("#voice-level").style.width = `${pct.toFixed(0)}%`;
    whoLine();
  }

  /** The listen button's label when off: the hints name the button she sees. */
  function listenLabel() {
    return t(mode === "console" ? "voice.listen_hall" : "voice.listen");
  }

  function whoLine() {
    const state = client.state;
    if (!state) return;
    let text;
    if (!client.binary && client.status === "open") text = t("voice.json");
    else if (!stats.listening) text = t("voice.off_hint", { button: listenLabel() });
    else {
      const names = player.speakers().map((s) => (s.chair ? t("voice.chair") : nameOf(state, s.from, s.turn)));
      text = names.length ? t("voice.speaking", { names: names.join("、") }) : t("voice.silent");
    }
    setText($("#voice-who"), text);
  }

  function render(state = client.state) {
    if (!state) return;
    role = (state.you && state.you.role) || (mode === "room" ? "participant" : "moderator");
    const binary = client.binary;
    listenBtn.disabled = !binary && client.status === "open";
    listenBtn.setAttribute("aria-pressed", String(stats.listening));
    setText(listenBtn, stats.listening ? t(mode === "console" ? "voice.listen_hall_on" : "voice.listen_on") : t(mode === "console" ? "voice.listen_hall" : "voice.listen"));
    const turn = state.turn;
    const live = state.room.status === "live";
    if (micBtn) {
      const mine = Boolean(live && turn && turn.participant_id === state.you.participant_id);
      show(micBtn, (mine && binary) || (mic.on && mic.session.purpose === "floor"));
      setText(micBtn, mic.on ? t("voice.mic_stop") : t("voice.speak"));
      micBtn.setAttribute("aria-pressed", String(mic.on));
    }
    if (hallBtn) {
      const holder = live && turn && role === "clerk" ? hallSpeaker(state) : null;
      show(hallBtn, Boolean(holder && binary) || (mic.on && mic.session.purpose === "hall"));
      setText(hallBtn, mic.on ? t("voice.mic_stop") : t("voice.speak_for", { name: holder ? holder.name : "" }));
      hallBtn.setAttribute("aria-pressed", String(mic.on));
    }
    if (chairBtn) {
      show(chairBtn, role === "moderator" && (binary || mic.on));
      setText(chairBtn, mic.on ? t("voice.mic_stop") : t("voice.chair_speak"));
      chairBtn.setAttribute("aria-pressed", String(mic.on));
    }
    const micState = $("#mic-state");
    if (micState) setText(micState, mic.on ? t("voice.mic_on") : mic.used ? t("voice.mic_off") : "");
    document.body.classList.toggle("mic-on", mic.on);
    whoLine();
  }

  return { render };
}

/** A speaker's name: from their turn (residents do not get the list of people), else the list. */
function nameOf(state, id, turnId) {
  const turn = (state.turn_index || {})[turnId];
  if (turn && turn.participant_id === id && turn.name) return turn.name;
  if (state.turn && state.turn.participant_id === id) return state.turn.name || "";
  const p = (state.participants || []).find((x) => x.participant_id === id);
  return p ? p.name : "";
}

/** The floor holder when they sit in the hall (a clerk's page is their microphone). */
function hallSpeaker(state) {
  const turn = state.turn;
  if (!turn) return null;
  const p = (state.participants || []).find((x) => x.participant_id === turn.participant_id);
  return p && p.in_hall ? p : null;
}

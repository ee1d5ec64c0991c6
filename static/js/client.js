// One room connection: hello with the token, replies matched by id, a nonce on
// every command (a retry after a reconnect is answered, not redone), events
// applied in seq order to a local copy of the snapshot, automatic reconnect
// with `since` and exponential backoff, and a server clock estimate.
//
// A ping that goes unanswered means the network is gone even if the browser
// has not noticed (a dropped Wi-Fi keeps a socket "open" for a minute): the
// client says "reconnecting" at once and opens a new socket, without waiting
// for the old one's close handshake, which cannot finish without a network. So
// do the browser's "offline" event and a socket error.
//
// Events: "status" (detail: "connecting"|"open"|"reconnecting"|"closed"),
// "pending" (the commands waiting for a reply changed: see `waiting()`),
// "change" (the state changed; detail: the events applied), "welcome",
// "fatal" (detail: {code}: 4001/4003/4004, reconnecting cannot help),
// "event" (detail: one event, after it is applied), "audio" (detail: a relayed
// audio frame, the array ["audio", turn, seq, ts, data, from, chair]: binary
// MessagePack arrays are audio, never events, and are not applied to the state).

import { codecFor, MSGPACK, offeredProtocols } from "./codec.js";
import { FATAL_CLOSES, CLOSE } from "./errors.js";
import { adoptSnapshot, applyEvent, normalize } from "./store.js";
import { randomId } from "./util.js";

const HELLO_TIMEOUT_MS = 10000;
// A socket that does not open in this long (the network swallows the handshake) is given up.
const CONNECT_TIMEOUT_MS = 10000;
const COMMAND_TIMEOUT_MS = 30000;
const PING_EVERY_MS = 25000;
const PING_TIMEOUT_MS = 10000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30000;
// Audio that cannot leave soon is worth nothing: past this much unsent data a
// raw frame is dropped here rather than queued behind the events.
const RAW_MAX_BUFFERED = 16384;

export class RoomClient extends EventTarget {
  /**
   * roomId, token; saved: {seq, state} from an earlier visit (resume with
   * `since`); prefer: "msgpack" | "json"; persist(seq, state): called after
   * changes so a reload can resume; pingEveryMs, pingTimeoutMs: how often to
   * check the connection while the page is visible, and how long an answer may
   * take (a hidden page checks every 25 s, sparing the battery).
   */
  constructor({ roomId, token, saved = null, prefer = "msgpack", persist = null,
    pingEveryMs = PING_EVERY_MS, pingTimeoutMs = PING_TIMEOUT_MS }) {
    super();
    this.roomId = roomId;
    this.token = token;
    this.prefer = prefer;
    this.persist = persist;
    this.pingEveryMs = pingEveryMs;
    this.pingTimeoutMs = pingTimeoutMs;
    this.seq = saved && Number.isInteger(saved.seq) ? saved.seq : null;
    this.state = saved && saved.state ? normalize(saved.state) : null;
    this.you = this.state ? this.state.you : null;
    this.status = "idle";
    this.offset = 0; // server clock minus ours
    this.bestRtt = Infinity;
    this.nextId = 1;
    this.pending = new Map(); // id -> {frame, resolve, reject, timer}
    this.ws = null;
    this.codec = null;
    this.ready = false; // hello answered on the current socket
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.stopped = false;
    this.protocol = "";
    this._onWake = () => this._wake();
    // The browser knows the network is gone (Wi-Fi off, airplane mode): say so now,
    // not a ping timeout later.
    this._onOffline = () => {
      if (this.ws) this._drop(this.ws);
    };
  }

  /** Server time now, in Unix ms. */
  now() {
    return Date.now() + this.offset;
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this._onWake);
    window.addEventListener("offline", this._onOffline);
    document.addEventListener("visibilitychange", this._onWake);
    this._connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this._onWake);
    window.removeEventListener("offline", this._onOffline);
    document.removeEventListener("visibilitychange", this._onWake);
    clearTimeout(this.retryTimer);
    clearTimeout(this.pingTimer);
    if (this.ws) this.ws.close(1000);
    this._setStatus("closed");
    for (const [id, p] of this.pending) this._fail(id, p, "offline");
  }

  /**
   * Send a command; resolves with its result, rejects with {code, message}.
   * Sent now if connected, else when the connection comes back (same id and
   * nonce, so the server answers a repeat without doing it twice).
   */
  send(cmd, args = {}) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const frame = { id, cmd, args, nonce: randomId() };
      const entry = { frame, resolve, reject, timer: null };
      entry.timer = setTimeout(() => this._fail(id, entry, "timeout"), COMMAND_TIMEOUT_MS);
      this.pending.set(id, entry);
      this._pendingChanged();
      if (this.ready) {
        this._write(frame);
        // Probe the line now: if it died unnoticed, the page says so within the ping timeout.
        this._ping();
      }
    });
  }

  /** The commands still waiting for a reply: [{cmd, args}], oldest first. */
  waiting() {
    return Array.from(this.pending.values(), (e) => ({ cmd: e.frame.cmd, args: e.frame.args }));
  }

  _pendingChanged() {
    this.dispatchEvent(new CustomEvent("pending", { detail: this.waiting() }));
  }

  /** True when this socket speaks MessagePack (the only one that carries audio). */
  get binary() {
    return this.ready && this.protocol === MSGPACK;
  }

  /**
   * Send one MessagePack value as it is (no id, no nonce, never resent): for
   * audio frames. Returns false when it was not sent (not connected, a JSON
   * socket, or the socket already has too much unsent data).
   */
  sendRaw(value) {
    const ws = this.ws;
    if (!this.binary || !ws || ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > RAW_MAX_BUFFERED) return false;
    try {
      ws.send(this.codec.encode(value));
      return true;
    } catch {
      return false;
    }
  }

  _fail(id, entry, code) {
    if (!this.pending.has(id)) return;
    clearTimeout(entry.timer);
    this.pending.delete(id);
    this._pendingChanged();
    entry.reject({ code, message: "" });
  }

  _setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: status }));
  }

  _wake() {
    if (this.stopped || document.visibilityState === "hidden") return;
    if (!this.ws && this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this._connect();
    } else if (this.ready) {
      this._ping();
    }
  }

  _url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws/${encodeURIComponent(this.roomId)}`;
  }

  _connect() {
    this.retryTimer = null;
    this._setStatus(this.attempt === 0 && this.status !== "reconnecting" ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(this._url(), offeredProtocols(this.prefer));
    } catch {
      this._scheduleReconnect();
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.ready = false;
    let helloTimer = null;
    const connectTimer = setTimeout(() => {
      if (ws === this.ws && ws.readyState === WebSocket.CONNECTING) this._drop(ws);
    }, CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      clearTimeout(connectTimer);
      this.protocol = ws.protocol;
      this.codec = codecFor(ws.protocol);
      const args = { token: this.token };
      if (this.seq !== null && this.state) {
        args.since = this.seq;
        // The history we hold, by name: a log that lost entries (a failover) has another
        // epoch, and the welcome then brings the log's state instead of a replay on ours.
        if (typeof this.state.epoch === "string") args.epoch = this.state.epoch;
      }
      const id = this.nextId++;
      const sentAt = Date.now();
      this.helloId = id;
      this.helloSentAt = sentAt;
      helloTimer = setTimeout(() => ws.close(4000), HELLO_TIMEOUT_MS);
      this.helloTimer = helloTimer;
      this._writeRaw(ws, { id, cmd: "hello", args });
    };
    ws.onmessage = (msg) => {
      if (ws !== this.ws) return;
      let frame;
      try {
        frame = this.codec.decode(msg.data);
      } catch {
        return; // a frame we cannot read: ignore it rather than crash the page
      }
      if (Array.isArray(frame)) {
        if (frame[0] === "audio") this.dispatchEvent(new CustomEvent("audio", { detail: frame }));
        return;
      }
      this._onFrame(frame);
    };
    ws.onclose = (ev) => {
      clearTimeout(helloTimer);
      clearTimeout(connectTimer);
      if (ws !== this.ws) return;
      this.ws = null;
      this.ready = false;
      clearTimeout(this.pingTimer);
      clearTimeout(this.pingTimeout);
      this.pingId = null;
      if (this.stopped) return;
      if (FATAL_CLOSES.includes(ev.code)) {
        this.stopped = true;
        this._setStatus("closed");
        for (const [id, p] of this.pending) this._fail(id, p, "offline");
        this.dispatchEvent(new CustomEvent("fatal", { detail: { code: ev.code } }));
        return;
      }
      // The server asked us to come back at once (too slow, restarting).
      const now = ev.code === CLOSE.TOO_SLOW || ev.code === CLOSE.RESTARTING;
      this._scheduleReconnect(now);
    };
    // An error means the socket is done for: say so now (a close handshake over a dead
    // network can take long); onclose, if it still comes, finds the socket forgotten.
    ws.onerror = () => {
      if (this.ready) this._drop(ws);
    };
  }

  /**
   * Give up on a socket the network no longer carries: forget it at once (its
   * late close or frames are ignored), say so, and try again.
   */
  _drop(ws) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.ready = false;
    clearTimeout(this.helloTimer);
    clearTimeout(this.pingTimer);
    clearTimeout(this.pingTimeout);
    this.pingId = null;
    try {
      ws.close(4000);
    } catch {
      /* already closing */
    }
    if (!this.stopped) this._scheduleReconnect(true);
  }

  _scheduleReconnect(immediately = false) {
    this._setStatus("reconnecting");
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = immediately && this.attempt === 0 ? 0 : base * (0.5 + Math.random() * 0.5);
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._connect(), delay);
  }

  _writeRaw(ws, frame) {
    try {
      ws.send(this.codec.encode(frame));
    } catch {
      /* the close handler reconnects and resends */
    }
  }

  _write(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this._writeRaw(this.ws, frame);
  }

  _onFrame(frame) {
    if (frame && frame.re !== undefined && frame.re !== null) {
      if (frame.re === this.helloId) return this._onWelcome(frame);
      if (frame.re === this.pingId) return this._onPong(frame);
      const entry = this.pending.get(frame.re);
      if (!entry) return;
      clearTimeout(entry.timer);
      this.pending.delete(frame.re);
      this._pendingChanged();
      if (frame.ok) entry.resolve(frame.result || {});
      else entry.reject(frame.error || { code: "unavailable", message: "" });
      return;
    }
    if (frame && frame.type && Number.isInteger(frame.seq)) this._onEvent(frame);
  }

  _onWelcome(frame) {
    clearTimeout(this.helloTimer);
    if (!frame.ok) {
      // hello errors come with a close; treat a lone one like a bad token
      this.ws.close(CLOSE.UNAUTHORIZED);
      return;
    }
    const r = frame.result || {};
    this._clockSample(this.helloSentAt, Date.now(), r.server_time);
    this.replayed = Boolean(r.replayed && this.state);
    if (r.replayed && this.state) {
      // events after `since` follow; keep our copy
    } else {
      this.state = adoptSnapshot(this.state, r.state || {});
      this.seq = Number.isInteger(r.seq) ? r.seq : 0;
    }
    if (typeof r.epoch === "string") this.state.epoch = r.epoch; // kept with the saved state
    if (r.you) this.state.you = { ...this.state.you, ...r.you };
    this.you = this.state.you;
    this.ready = true;
    this.attempt = 0;
    this._setStatus("open");
    this.dispatchEvent(new CustomEvent("welcome", { detail: r }));
    this._changed([]);
    // Commands sent before or during the outage go (again) with their nonce.
    for (const entry of this.pending.values()) this._write(entry.frame);
    this._schedulePing();
  }

  /** The next check of the line: soon while someone looks at the page, rarely when hidden. */
  _schedulePing() {
    clearTimeout(this.pingTimer);
    const hidden = typeof document !== "undefined" && document.visibilityState === "hidden";
    this.pingTimer = setTimeout(() => {
      this._ping();
      this._schedulePing();
    }, hidden ? Math.max(this.pingEveryMs, PING_EVERY_MS) : this.pingEveryMs);
  }

  _onEvent(ev) {
    if (!this.state) return;
    if (this.seq !== null && ev.seq <= this.seq) return; // already applied
    applyEvent(this.state, ev);
    this.seq = ev.seq;
    this.dispatchEvent(new CustomEvent("event", { detail: ev }));
    this._changed([ev]);
  }

  _changed(events) {
    if (this.persist) {
      clearTimeout(this.persistTimer);
      this.persistTimer = setTimeout(() => this.persist(this.seq, this.state), 200);
    }
    this.dispatchEvent(new CustomEvent("change", { detail: events }));
  }

  /** Save now (the page is being hidden or unloaded). */
  flush() {
    if (this.persist && this.state) {
      clearTimeout(this.persistTimer);
      this.persist(this.seq, this.state);
    }
  }

  _ping() {
    if (!this.ready || this.pingId) return;
    const ws = this.ws;
    this.pingId = this.nextId++;
    this.pingSentAt = Date.now();
    this.pingTimeout = setTimeout(() => {
      // No answer: the socket is dead even if the browser has not noticed.
      this.pingId = null;
      if (ws === this.ws && ws) this._drop(ws);
    }, this.pingTimeoutMs);
    this._write({ id: this.pingId, cmd: "ping", args: {} });
  }

  _onPong(frame) {
    clearTimeout(this.pingTimeout);
    this.pingId = null;
    if (frame.ok && frame.result) this._clockSample(this.pingSentAt, Date.now(), frame.result.server_time);
  }

  _clockSample(sent, received, serverTime) {
    if (typeof serverTime !== "number") return;
    const rtt = received - sent;
    // Keep the estimate from the fastest exchange: its midpoint is the least wrong.
    if (rtt <= this.bestRtt || this.bestRtt === Infinity) {
      this.bestRtt = rtt;
      this.offset = serverTime - (sent + rtt / 2);
    }
  }
}

/** Saved copies of a room (token, last seq, state) in localStorage. */
export function savedRoom(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

export function saveRoom(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or blocked: resume falls back to a fresh snapshot */
  }
}

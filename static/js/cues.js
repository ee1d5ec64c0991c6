// Time cues before a turn ends (the room setting `cue_seconds`, docs/protocol.md
// "Time cues"): shared by every page that shows a countdown.
//
// Rules:
// * The cues are the room's `cue_seconds` (largest first); a room whose rules
//   predate the setting keeps the old warnings, 30 s and 10 s; [] means none.
// * A cue counts for a turn only if the turn is longer than it (a 20 s turn
//   does not start "30 s left").
// * A countdown's `data-cue` says how far it is: "" (no cue passed), "warn"
//   (a cue passed, not the last one) or "last" (the last cue passed). The
//   stylesheet makes "warn" amber and "last" red and pulsing.
// * The chime (Web Audio: an oscillator with a gain envelope, no audio file)
//   sounds once when a cue is crossed while the page watches, never for a cue
//   already passed when the page first saw the turn; an extension (a later
//   `ends_at`) arms the cues again. It is on unless turned off, and the choice
//   is kept on the device.

const OLD_CUES = [30, 10];
const CHIME_KEY = "yishi.chime";

/** The room's cues in ms, largest first. */
export function cueTimes(state) {
  const settings = (state && state.room && state.room.settings) || {};
  const seconds = Array.isArray(settings.cue_seconds) ? settings.cue_seconds : OLD_CUES;
  return seconds.map((s) => Number(s) * 1000).filter((ms) => ms > 0).sort((a, b) => b - a);
}

/**
 * Where `turn` stands at server time `now`: {passed, count, stage, cue}. `count`
 * is how many cues apply to this turn, `passed` how many of them are behind it,
 * `stage` "" | "warn" | "last", `cue` the last cue passed (ms) or null.
 */
export function cueStage(turn, now, cues) {
  if (!turn) return { passed: 0, count: 0, stage: "", cue: null };
  const length = turn.ends_at - turn.started_at;
  const apply = cues.filter((ms) => ms < length);
  const left = turn.ends_at - now;
  const passed = left > 0 ? apply.filter((ms) => left <= ms).length : apply.length;
  const stage = !passed ? "" : passed === apply.length ? "last" : "warn";
  return { passed, count: apply.length, stage, cue: passed ? apply[passed - 1] : null };
}

/** Mark a countdown element with the turn's cue stage (see the rules above). */
export function markCue(el, turn, now, state) {
  if (!el) return "";
  const { stage } = cueStage(turn, now, cueTimes(state));
  if (el.dataset.cue !== stage) el.dataset.cue = stage;
  return stage;
}

/**
 * Watches one countdown for crossed cues: `check(turn, now, state)` returns
 * {stage, seconds} the first time a cue is crossed while watched, else null.
 */
export class CueWatch {
  constructor() {
    this.key = null; // turn_id and ends_at: an extension arms the cues again
    this.passed = 0;
  }

  check(turn, now, state) {
    if (!turn) {
      this.key = null;
      this.passed = 0;
      return null;
    }
    const { passed, stage, cue } = cueStage(turn, now, cueTimes(state));
    const key = `${turn.turn_id}:${turn.ends_at}`;
    // First sight of a turn: what is already behind it stays quiet.
    const fresh = this.key === null || !this.key.startsWith(`${turn.turn_id}:`);
    const before = this.passed;
    this.key = key;
    this.passed = passed;
    if (fresh || passed <= before) return null;
    return { stage, seconds: Math.round(cue / 1000) };
  }
}

/**
 * The soft chime. `play(stage)`: one tone at the first cues, two at the last.
 * The audio context is made on first use; call `unlock()` from a tap so that
 * browsers let it sound (the page's first tap does it).
 */
export class Chime {
  constructor() {
    this.ctx = null;
    this.played = 0; // for the tests and the console
    try {
      this.enabled = localStorage.getItem(CHIME_KEY) !== "off";
    } catch {
      this.enabled = true;
    }
    const unlock = () => this.unlock();
    document.addEventListener("pointerdown", unlock, { once: true, capture: true });
    document.addEventListener("keydown", unlock, { once: true, capture: true });
  }

  setEnabled(on) {
    this.enabled = Boolean(on);
    try {
      localStorage.setItem(CHIME_KEY, this.enabled ? "on" : "off");
    } catch {
      /* kept for this page only */
    }
  }

  unlock() {
    if (!this.enabled) return;
    try {
      if (!this.ctx) this.ctx = new AudioContext();
      if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
    } catch {
      this.ctx = null; // no Web Audio: the cue stays visual
    }
  }

  play(stage) {
    if (!this.enabled || !stage) return false;
    this.unlock();
    const ctx = this.ctx;
    if (!ctx) return false;
    const t0 = ctx.currentTime + 0.02;
    const tones = stage === "last" ? [[880, 0], [880, 0.32]] : [[660, 0]];
    for (const [freq, offset] of tones) tone(ctx, freq, t0 + offset);
    this.played += 1;
    return true;
  }
}

/** One soft tone: a sine that rises in 20 ms and fades over half a second. */
function tone(ctx, freq, at) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = "sine";
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.linearRampToValueAtTime(0.25, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.5);
  osc.connect(gain).connect(ctx.destination);
  osc.start(at);
  osc.stop(at + 0.55);
}

/**
 * Wire a checkbox (or a button with aria-pressed) that turns the chime on and
 * off; `label(on)` may give a button its words.
 */
export function wireChimeToggle(chime, control, label = null) {
  if (!control) return;
  const sync = () => {
    if (control.type === "checkbox") control.checked = chime.enabled;
    else control.setAttribute("aria-pressed", String(chime.enabled));
    if (label) label(chime.enabled);
  };
  control.addEventListener(control.type === "checkbox" ? "change" : "click", () => {
    chime.setEnabled(control.type === "checkbox" ? control.checked : !chime.enabled);
    if (chime.enabled) chime.unlock();
    sync();
  });
  sync();
  return sync;
}

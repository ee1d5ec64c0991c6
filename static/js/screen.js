// The hall screen (/r/{id}/screen, docs/protocol.md "The hall screen"): a
// read-only page for a projector or a TV in the hall. Its token is an
// observer's, made by a moderator (POST /api/rooms/{id}/screen), and comes
// after `#`: it leaves the address bar at once (util.js takeToken).
//
// Rules of the page:
// * Nothing scrolls, at 1920x1080 as at 1280x720: every panel has its share of
//   the screen (screen.css, in vh), and a list that does not fit is cut with
//   "+N more" (fitList), never clipped unseen.
// * The countdown is at least a fifth of the screen's height, and takes the
//   room's time cues (cues.js) like every other countdown; the chime sounds
//   here, unless turned off.
// * The queue is the room's own order (state.queue, in pick order) and the
//   next speaker is queue_view.js's prediction: no policy of its own.
// * It keeps the screen awake (Wake Lock, where the browser has it, asked for
//   again whenever the page becomes visible) and reconnects by itself
//   (client.js).
// * It plays the floor through the hall's speakers with voice.js's listening;
//   browsers need one click first, so a large button asks for it.

import { Announcer, watchRoom } from "./announce.js";
import { turnoutText } from "./ballot.js";
import { RoomClient } from "./client.js";
import { Chime, CueWatch, wireChimeToggle } from "./cues.js";
import { $, h, setText, show } from "./dom.js";
import { applyStatic, initI18n, lang, onLangChange, roomDefault, t } from "./i18n.js";
import { predictedNext, queueName } from "./queue_view.js";
import { agendaLine, optionLabel, renderBalance, renderConnection, renderFloor, stanceLabel, statusLabel, tickTimer } from "./ui.js";
import { roomIdFromPath, roomQrDataUrl, STANCES, takeToken } from "./util.js";
import { mountVoice } from "./voice.js";

const roomId = roomIdFromPath();
const token = takeToken();
const params = new URLSearchParams(location.search);
const chime = new Chime();
const cueWatch = new CueWatch();
const announcer = new Announcer({ polite: $("#announcer") });
const info = { wake: "none", chimes: 0 }; // window.yishiScreen: for the browser tests
window.yishiScreen = info;
let client = null;
let voice = null;
let renderQueued = false;
let qrLoaded = false;
let wakeLock = null; // the screen's Wake Lock while held

initI18n();
onLangChange(() => render());
main();

function main() {
  show($("#loading"), false);
  if (!token) return gone("no_token");
  show($("#screen"), true);
  client = new RoomClient({
    roomId,
    token,
    prefer: params.get("proto") === "json" ? "json" : "msgpack",
    // A projector is looked at, not tapped: a dead line is noticed by the pings.
    pingEveryMs: 10000,
    pingTimeoutMs: 5000,
  });
  client.addEventListener("status", (e) => renderConnection($("#conn"), e.detail));
  client.addEventListener("change", render);
  client.addEventListener("welcome", () => {
    roomDefault(client.state.room.settings.lang);
    loadQr();
  });
  client.addEventListener("fatal", (e) => gone({ 4001: "unauthorized", 4003: "unauthorized", 4004: "no_room" }[e.detail.code] || "unauthorized"));
  window.yishiClient = client;
  voice = mountVoice(client, { mode: "console" });
  watchRoom(client, announcer);
  wireChimeToggle(chime, $("#chime-btn"), (on) => setText($("#chime-btn"), t(on ? "hall.chime_on" : "hall.chime_off")));
  onLangChange(() => setText($("#chime-btn"), t(chime.enabled ? "hall.chime_on" : "hall.chime_off")));
  wireAudioGate();
  keepAwake();
  document.addEventListener("visibilitychange", keepAwake);
  window.addEventListener("resize", render);
  client.start();
  setInterval(tick, 250);
}

function gone(reason) {
  if (client) client.stop();
  show($("#screen"), false);
  show($("#audio-gate"), false);
  show($("#gone-view"), true);
  setText($("#gone-title"), t(`hall.gone.${reason}.title`));
  setText($("#gone-text"), t(`hall.gone.${reason}.text`));
}

// ---- the hall's speakers, the screen kept awake -------------------------------

/** One click lets the page play sound: it starts listening (voice.js) and the chime. */
function wireAudioGate() {
  const gate = $("#audio-gate");
  show(gate, true);
  $("#audio-gate-btn").addEventListener("click", () => {
    show(gate, false);
    chime.unlock();
    const listen = $("#listen-btn");
    if (listen.getAttribute("aria-pressed") !== "true") listen.click();
  });
  $("#audio-gate-skip").addEventListener("click", () => show(gate, false));
}

async function keepAwake() {
  if (document.visibilityState !== "visible" || wakeLock) return;
  if (!("wakeLock" in navigator)) {
    info.wake = "unavailable";
    return;
  }
  try {
    wakeLock = await navigator.wakeLock.request("screen");
    info.wake = "held";
    // The browser lets it go when the page is hidden: asked for again when it shows.
    wakeLock.addEventListener("release", () => {
      wakeLock = null;
      info.wake = "released";
    });
  } catch {
    info.wake = "refused";
  }
}

/** The invite QR code, shown while the room's code admits people (invite_mode "open"). */
async function loadQr() {
  if (qrLoaded) return;
  try {
    const url = await roomQrDataUrl(roomId, token);
    if (!url) return;
    $("#s-qr").src = url;
    qrLoaded = true;
    render();
  } catch {
    /* offline: asked again after the next welcome */
  }
}

// ---- drawing ------------------------------------------------------------------------

function tick() {
  if (!client || !client.state) return;
  const turn = client.state.turn;
  if (turn) tickTimer($("#s-timer"), turn, client);
  const crossed = cueWatch.check(turn, client.now(), client.state);
  if (crossed && chime.play(crossed.stage)) info.chimes += 1;
}

function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    if (client && client.state) renderScreen(client.state);
  });
}

function renderScreen(state) {
  renderConnection($("#conn"), client.status);
  setText($("#s-title"), state.room.title || "");
  setText($("#s-agenda"), agendaLine(state));
  setText($("#s-status"), statusLabel(state.room.status));
  $("#s-status").className = `s-status s-status-${state.room.status || "pending"}`;
  renderFloor($("#floor"), state, client);
  renderBalance($("#balance"), state);
  renderQueue(state);
  renderPoll(state);
  renderOutcomes(state);
  const open = (state.room.settings.invite_mode || "open") === "open" && state.room.status !== "ended";
  show($("#join"), open && qrLoaded);
  show($("#s-qr"), qrLoaded);
  voice.render(state);
}

/**
 * Fill `list` with `items` (made by `make`) and, if they do not all fit its
 * height, cut the tail and end with "+N more". Returns how many were cut.
 */
function fitList(list, items, make, moreKey = "hall.more") {
  list.replaceChildren(...items.map(make));
  let cut = 0;
  const more = h("li", { class: "s-more" });
  while (list.children.length && list.scrollHeight > list.clientHeight + 1) {
    const last = more.isConnected ? more.previousElementSibling : list.lastElementChild;
    if (!last) break;
    last.remove();
    cut += 1;
    setText(more, t(moreKey, { n: cut }));
    if (!more.isConnected) list.append(more);
  }
  return cut;
}

function renderQueue(state) {
  for (const side of STANCES) {
    const entries = state.queue[side] || [];
    const list = $(`[data-queue="${side}"]`);
    if (!entries.length) fitList(list, [null], () => h("li", { class: "s-empty" }, t("queue.empty")));
    else fitList(list, entries, (e) => h("li", {}, queueName(e, t)), "hall.more_people");
    setText($(`[data-queue-count="${side}"]`), t("queue.count", { n: entries.length }));
  }
  const next = state.room.status === "live" ? predictedNext(state, client.now()) : null;
  setText($("#s-next"), next ? t("hall.next", { name: queueName(next, t), stance: stanceLabel(next.stance) }) : "");
}

/** The poll to show: the newest open one, else the newest closed one. */
function shownPoll(state) {
  const polls = state.polls || [];
  return polls.slice().reverse().find((p) => p.status === "open") || polls[polls.length - 1] || null;
}

function renderPoll(state) {
  const poll = shownPoll(state);
  const options = $("#s-poll-options");
  const outcome = $("#s-poll-outcome");
  if (!poll) {
    setText($("#s-poll-q"), t("hall.no_poll"));
    options.replaceChildren();
    show(outcome, false);
    setText($("#s-poll-meta"), "");
    return;
  }
  setText($("#s-poll-q"), poll.question);
  $("#poll").classList.toggle("s-poll-open", poll.status === "open");
  const counts = Array.isArray(poll.counts) ? poll.counts : null;
  const total = counts ? counts.reduce((a, b) => a + b, 0) : 0;
  const winner = Number.isInteger(poll.winner) ? poll.winner : null;
  fitList(options, (poll.options || []).map((_, i) => i), (i) => {
    const c = counts ? counts[i] ?? 0 : null;
    const pct = counts && total ? Math.round((c / total) * 100) : 0;
    const fill = h("span", { class: "bar-fill" });
    fill.style.width = `${pct}%`;
    return h("li", { class: i === winner ? "s-winner" : "" },
      h("span", { class: "s-opt" }, optionLabel(poll, i)),
      counts ? h("span", { class: "bar", "aria-hidden": "true" }, fill) : null,
      counts ? h("span", { class: "s-count" }, t("poll.count", { n: c, pct })) : null);
  });
  const words = poll.outcome ? t(`ballot.outcome.${poll.outcome}`) : "";  // the pages' words
  const known = words && words !== `ballot.outcome.${poll.outcome}`;
  setText(outcome, known ? words : "");
  outcome.className = `s-outcome s-outcome-${poll.outcome || "none"}`;
  show(outcome, poll.status === "closed" && Boolean(known));
  const meta = [t(`poll.status.${poll.status}`)];
  if (!counts && poll.status === "open") meta.push(t("poll.results_later"));
  const turnout = turnoutText(poll);  // live for every poll, secret ones included
  if (turnout) meta.push(turnout);
  setText($("#s-poll-meta"), meta.join(" · "));
}

/** Today in the screen's own calendar (the hall's), as an ISO date. */
function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Overdue: the server's flag when it sends one, else due before today and still open. */
export function isOverdue(a, day = today()) {
  if (typeof a.overdue === "boolean") return a.overdue;
  return (a.status === "open" || a.status === "in_progress") && Boolean(a.due) && String(a.due) < day;
}

function renderOutcomes(state) {
  const decisions = state.decisions.slice().reverse();
  const decList = $("#s-decisions");
  if (!decisions.length) fitList(decList, [null], () => h("li", { class: "s-empty" }, t("decisions.empty")));
  else fitList(decList, decisions, (d) => h("li", {}, d.text));
  const open = state.actions.filter((a) => a.status === "open" || a.status === "in_progress");
  // The overdue first: they are what the hall should see.
  const day = today();
  open.sort((a, b) => Number(isOverdue(b, day)) - Number(isOverdue(a, day)) || String(a.due).localeCompare(String(b.due)));
  const actList = $("#s-actions");
  if (!open.length) fitList(actList, [null], () => h("li", { class: "s-empty" }, t("hall.no_open_actions")));
  else {
    fitList(actList, open, (a) => {
      const late = isOverdue(a, day);
      return h("li", { class: late ? "s-overdue" : "" },
        h("span", { class: "s-act-title" }, a.title),
        late ? h("span", { class: "tag tag-overdue" }, t("hall.overdue")) : null,
        h("span", { class: "s-act-meta" }, t("action.meta", { owner: a.owner || "", due: a.due || "" })));
    });
  }
}

document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
applyStatic();

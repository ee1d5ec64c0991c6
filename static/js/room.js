// The resident page: join form, then the room (floor, hand-raise, queue,
// balance, statements, polls, chat). The token and the last state are kept
// per room in localStorage, so a reload rejoins the same person and resumes
// with `since` instead of starting over.

import { Announcer, watchRoom } from "./announce.js";
import { setBanner } from "./banner.js";
import { ballotText, isOrdered, orderedBallot } from "./ballot.js";
import { RoomClient, savedRoom, saveRoom } from "./client.js";
import { deviceSecret } from "./device.js";
import { $, $$, h, setText, show } from "./dom.js";
import { applyStatic, initI18n, lang, onLangChange, roomDefault, t } from "./i18n.js";
import { Chime, CueWatch, wireChimeToggle } from "./cues.js";
import { Draft } from "./draft.js";
import { mountFollowUp } from "./myrooms.js";
import { aheadOf, placeIfMoved, placeOf, predictedNext, queueName } from "./queue_view.js";
import { noteOwnChat } from "./store.js";
import {
  act, agendaLine, errorText, notify, optionLabel, renderBalance, renderChat, renderConnection,
  renderFloor, renderOutcomes, renderPolls, renderQueue, renderStatements, stanceLabel, statusLabel, tickTimer,
} from "./ui.js";
import { api, clock, roomIdFromPath } from "./util.js";
import { mountVoice } from "./voice.js";

const roomId = roomIdFromPath();
const params = new URLSearchParams(location.search);
const storeKey = `yishi.room.${roomId}`;
let client = null;
let voice = null;
let announcedTurn = null;
let renderQueued = false;
const draft = new Draft(roomId);
// A resident's page checks its line often while she looks at it, so "connected"
// is never shown for long over a dead network (docs/protocol.md: ping).
// A dead line shows within about 8 s even when the browser does not notice (a Wi-Fi
// that stops carrying); the browser's "offline" and a socket error show at once.
const PING_EVERY_MS = 4000;
const PING_TIMEOUT_MS = 4000;
// Issue 16: what a screen reader hears (announce.js: assertive only for "your
// turn"), and the room's time cues before her time runs out (cues.js).
const announcer = new Announcer({ polite: $("#announcer-polite"), assertive: $("#announcer") });
const chime = new Chime();
const cueWatch = new CueWatch();
// Long statements show this much until she asks for the rest.
const LONG_CHARS = 140;
const LONG_LINES = 4;
let lastStatus = "idle";
let wasWaiting = false; // she had a queue entry before the event being handled
let lowering = false; // her own hand.lower is on its way, or its list has not come yet
let removedNote = false; // the moderator took her hand down: say so until she acts
const dismissedPolls = new Set();
let draftOpen = false; // the "your statement is still here" card
let focusDraft = false; // move her there once it shows (her panel, and its focus, just went)

initI18n();
onLangChange(() => render());
main();

function main() {
  const saved = savedRoom(storeKey);
  if (saved && saved.token) return enterRoom(saved);
  if (saved && saved.removed) return gone("removed");
  showJoin();
}

function inviteModeText(mode) {
  return mode === "personal" ? t("invite.personal") : mode === "open" ? t("invite.open") : "";
}

function view(name) {
  show($("#loading"), false);
  for (const v of ["join-view", "room-view", "gone-view"]) show($(`#${v}`), v === name);
}

// ---- join --------------------------------------------------------------

async function showJoin(message = "") {
  view("join-view");
  const invite = params.get("invite") || "";
  show($("#invite-row"), !invite);
  setText($("#join-error"), message);
  try {
    const summary = await api(`/api/rooms/${encodeURIComponent(roomId)}`);
    setText($("#join-title"), summary.title || t("app.name"));
    setText($("#join-topic"), summary.topic || "");
    const agenda = Array.isArray(summary.agenda) ? summary.agenda.map((a) => (typeof a === "string" ? a : a.title)) : [];
    $("#join-agenda-list").replaceChildren(...agenda.map((a) => h("li", {}, a)));
    show($("#join-agenda"), agenda.length > 0);
    // After the session, the page does not speak as if it were on today.
    const ended = summary.status === "ended";
    $("#join-agenda h2").dataset.i18n = ended ? "join.agenda_ended" : "join.agenda";
    $("#join-btn").dataset.i18n = ended ? "join.enter_ended" : "join.enter";
    applyStatic($("#join-view"));
    // After the session: the published minutes and the actions' progress, no token needed.
    $("#join-minutes-a").href = `/r/${encodeURIComponent(roomId)}/minutes`;
    show($("#join-minutes"), Boolean(summary.minutes_published));
    show($("#join-record"), recordsAudio(summary));
    const modeLine = $("#join-invite-mode");
    setText(modeLine, inviteModeText(summary.invite_mode));
    show(modeLine, Boolean(summary.invite_mode));
    if (summary.settings) roomDefault(summary.settings.lang);
    else if (summary.lang) roomDefault(summary.lang);
  } catch (err) {
    setText($("#join-title"), t("app.name"));
    if (err.code === "not_found") return gone("no_room");
  }
  $("#join-form").onsubmit = onJoin;
}

async function onJoin(ev) {
  ev.preventDefault();
  const nameInput = $("#join-name");
  const name = nameInput.value.trim();
  const invite = (params.get("invite") || $("#join-invite").value || "").trim();
  const error = $("#join-error");
  nameInput.removeAttribute("aria-invalid");
  if (!name) {
    setText(error, t("join.need_name"));
    nameInput.setAttribute("aria-invalid", "true");
    nameInput.focus();
    return;
  }
  if (!invite) {
    setText(error, t("join.need_invite"));
    $("#join-invite").focus();
    return;
  }
  const btn = $("#join-btn");
  btn.disabled = true;
  setText(error, "");
  try {
    const device = deviceSecret();
    const r = await api(`/api/rooms/${encodeURIComponent(roomId)}/join`, { method: "POST", body: { invite, name, device } });
    const saved = { token: r.token, participant_id: r.participant_id, name };
    saveRoom(storeKey, saved);
    enterRoom(saved);
  } catch (err) {
    const inUse = err.code === "forbidden" && /device/.test(err.message || "");
    const key = inUse ? "join.code_in_use" : { unauthorized: "join.bad_invite", forbidden: "join.bad_invite", not_found: "join.bad_invite", rejected: "join.bad_name", too_large: "join.bad_name" }[err.code];
    setText(error, key ? t(key) : errorText(err));
  } finally {
    btn.disabled = false;
  }
}

/** The room keeps its speeches as audio (the summary or the settings say so). */
function recordsAudio(room) {
  return Boolean(room && (room.record_audio || (room.settings && room.settings.record_audio)));
}

function gone(reason) {
  if (client) client.stop();
  view("gone-view");
  setText($("#gone-title"), t(`gone.${reason}.title`));
  setText($("#gone-text"), t(`gone.${reason}.text`));
  const rejoin = $("#gone-rejoin");
  show(rejoin, reason === "unauthorized");
  rejoin.onclick = () => showJoin();
  document.title = t(`gone.${reason}.title`);
}

// ---- the room ------------------------------------------------------------

function enterRoom(saved) {
  view("room-view");
  client = new RoomClient({
    roomId,
    token: saved.token,
    saved: saved.state ? { seq: saved.seq, state: saved.state } : null,
    prefer: params.get("proto") === "json" ? "json" : "msgpack",
    persist: (seq, state) => saveRoom(storeKey, { ...saved, seq, state }),
    pingEveryMs: PING_EVERY_MS,
    pingTimeoutMs: PING_TIMEOUT_MS,
  });
  client.addEventListener("status", (e) => onStatus(e.detail));
  client.addEventListener("pending", renderOffline);
  client.addEventListener("change", render);
  client.addEventListener("welcome", () => {
    roomDefault(client.state.room.settings.lang);
    wasWaiting = Boolean(client.state.you.queue_entry);
  });
  client.addEventListener("event", (e) => onEvent(e.detail));
  client.addEventListener("fatal", (e) => {
    const reason = { 4001: "unauthorized", 4003: "removed", 4004: "no_room" }[e.detail.code];
    if (reason !== "no_room") saveRoom(storeKey, reason === "unauthorized" ? {} : { removed: true });
    gone(reason);
  });
  window.addEventListener("pagehide", () => client.flush());
  window.yishiClient = client; // for the console and the browser tests
  wireControls();
  voice = mountVoice(client, { mode: "room" });
  watchRoom(client, announcer, {
    place: true,
    yourTurn: (turn) => t("turn.yours_long", { time: clock(turn.ends_at - turn.started_at) }),
  });
  wireChimeToggle(chime, $("#chime-on"));
  client.start();
  mountFollowUp(client, roomId); // "my rooms" (/my) remembers this room and what it saw
  setInterval(tick, 250);
  if (client.state) render();
}

function wireControls() {
  for (const btn of $$("#raise [data-stance]")) {
    btn.addEventListener("click", () => {
      const entry = client.state && client.state.you.queue_entry;
      // One mis-tap must not send her to the end of the other side: ask first, with the cost.
      if (entry && entry.stance !== btn.dataset.stance) return askSwitch(btn, entry);
      raise(btn);
    });
  }
  const lower = $("#lower-btn");
  lower.addEventListener("click", () => {
    // Until the list without her arrives (it may come after the reply: hands are announced in batches).
    lowering = true;
    act(lower, t("raise.lower"), () => client.send("hand.lower")).then((r) => {
      if (r === undefined) lowering = false; // it failed: her hand is still up
    });
  });
  $("#statement-text").addEventListener("input", (ev) => draft.write(ev.target.value.trim() ? ev.target.value : ""));
  wireDraft();
  $("#statement-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const box = $("#statement-text");
    const text = box.value.trim();
    if (!text) return box.focus();
    act(ev.submitter || null, t("turn.post"), async () => {
      await client.send("statement.post", { text });
      box.value = "";
      draft.clear();
      notify(t("turn.posted"), { kind: "ok" });
    });
  });
  wireYield();
  $("#chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("#chat-text");
    const text = input.value.trim();
    if (!text) return input.focus();
    act(ev.submitter || null, t("chat.send"), async () => {
      const r = await client.send("chat.send", { text });
      input.value = "";
      noteOwnChat(client.state, { ...r, text });
      if (r.status === "held") notify(t("chat.held_notice"), { kind: "ok" });
      render();
    });
  });
}

function onEvent(ev) {
  const state = client.state;
  const me = state.you.participant_id;
  const waiting = Boolean(state.you.queue_entry);
  if (ev.type === "turn.started" && ev.data.participant_id === me) {
    removedNote = false;
    announceMyTurn(ev.data);
  }
  if (ev.type === "turn.ended" && ev.data.participant_id === me) {
    announce(t("turn.your_end", { reason: t(`turn.reason.${ev.data.reason}`) }));
    document.title = t("room.doc_title");
    // Her words outlive her turn: the card asks what to do with them.
    if ($("#statement-text").value.trim()) {
      draftOpen = true;
      focusDraft = true;
    }
  }
  // The poll is announced by its banner (a polite live region), not here.
  if (ev.type === "session.ended") announce(t("room.status.ended"));
  if (ev.type === "agenda.changed") lastAgendaAt = ev.at;
  // Her hand went down without her lowering it, her turn starting, or the
  // agenda moving on (all of which come with the same log entry's time):
  // the moderator took it down.
  if (ev.type === "queue.changed" && wasWaiting && !waiting && !lowering
      && state.room.status === "live" && lastAgendaAt !== ev.at
      && !(state.turn && state.turn.participant_id === me && state.turn.started_at >= ev.at)) {
    removedNote = true;
    announce(t("place.removed"));
  }
  if (waiting) removedNote = false;
  if (ev.type === "queue.changed" && !waiting) lowering = false;
  wasWaiting = waiting;
}

let lastAgendaAt = null;

/** Polite, always: "it's your turn", the one assertive announcement, is watchRoom's. */
function announce(text) {
  announcer.say(text);
}

function announceMyTurn(turn) {
  if (announcedTurn === turn.turn_id) return;
  announcedTurn = turn.turn_id;
  // Said once, assertively, by announce.js; the turn banner render() puts up is the same words, seen.
  document.title = `【${t("turn.yours")}】${t("room.doc_title")}`;
  if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
  // After the render that shows her panel and its microphone (renderRoom's end).
  goToTurn = true;
  render();
}

let goToTurn = false;

/**
 * Scroll `el` to just below the pinned strip (whatever it holds now), so nothing
 * pinned covers it; a plain scrollIntoView puts it under the strip.
 */
function revealBelowStrip(el) {
  const strip = $("#strip");
  const pinned = strip && !strip.hidden ? strip.getBoundingClientRect().height : 0;
  window.scrollTo({ top: Math.max(0, el.getBoundingClientRect().top + window.scrollY - pinned - 8) });
}

/** Her panel, its countdown and 开麦说话 in view; focus on the microphone (or the
 * heading), never the text box, whose keyboard would cover the rest on a phone. */
function goToMyTurn() {
  const panel = $("#your-turn");
  if (panel.hidden) return;
  revealBelowStrip(panel);
  const mic = $("#mic-btn");
  (mic.hidden ? $("#your-turn-title") : mic).focus({ preventScroll: true });
}

/** 我讲完了 ends her turn for good: ask first, next to the button, with the way back. */
function wireYield() {
  const yieldBtn = $("#yield-btn");
  const box = $("#yield-confirm");
  const close = () => {
    show(box, false);
    show(yieldBtn, true);
  };
  yieldBtn.addEventListener("click", () => {
    show(box, true);
    show(yieldBtn, false);
    $("#yield-confirm-no").focus();
  });
  $("#yield-confirm-no").addEventListener("click", () => {
    close();
    yieldBtn.focus();
  });
  const yes = $("#yield-confirm-yes");
  yes.addEventListener("click", () => {
    close();
    act(yieldBtn, t("turn.yield"), () => client.send("turn.yield"));
  });
}

function tick() {
  if (!client || !client.state || !client.state.turn) return;
  const turn = client.state.turn;
  tickTimer($(".floor-timer"), turn, client);
  const banner = $("#banner-turn .banner-text");
  if (banner && turn.participant_id === client.state.you.participant_id) {
    setText(banner, t("banner.turn", { time: clock(turn.ends_at - client.now()) }));
  }
  if (!$("#your-turn").hidden) {
    tickTimer($("#your-timer"), turn, client);
    warnTime(turn);
  }
}

/** At each of the room's time cues: a line in her panel, a polite word, and the chime. */
function warnTime(turn) {
  const crossed = cueWatch.check(turn, client.now(), client.state);
  if (!crossed) return;
  const typed = Boolean($("#statement-text").value.trim());
  const text = t(typed ? "turn.warn_draft" : "turn.warn", { s: crossed.seconds });
  const line = $("#time-warning");
  setText(line, text);
  show(line, true);
  announce(text);
  chime.play(crossed.stage);
}

function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    if (client && client.state) renderRoom(client.state);
  });
}

function renderRoom(state) {
  const you = state.you;
  const me = you.participant_id;
  const live = state.room.status === "live";
  const role = you.role || "participant";

  renderConnection($("#conn"), client.status);
  renderOffline();
  setText($("#room-title"), state.room.title || "");
  setText($("#room-topic"), state.room.topic || "");
  const status = $("#room-status");
  setText(status, statusLabel(state.room.status));
  status.className = `pill pill-${state.room.status || "pending"}`;
  setText($("#agenda-line"), agendaLine(state));
  setText($("#me-line"), you.name ? t("room.me", { name: you.name }) : "");
  const modeLine = $("#invite-mode");
  setText(modeLine, inviteModeText(state.room.settings.invite_mode || "open"));
  show(modeLine, true);
  show($("#minutes-link"), Boolean(state.room.minutes_published));
  show($("#record-line"), recordsAudio(state.room));
  $("#minutes-a").href = `/r/${encodeURIComponent(roomId)}/minutes`;

  // The floor, and the prompt when it is ours.
  renderFloor($("#floor"), state, client);
  const mine = Boolean(state.turn && state.turn.participant_id === me);
  show($("#your-turn"), mine);
  document.body.classList.toggle("my-turn", mine);
  if (mine) {
    tickTimer($("#your-timer"), state.turn, client);
    announceMyTurn(state.turn);
    // A kept draft comes back into the box when her next turn starts.
    const box = $("#statement-text");
    if (!box.value.trim() && draft.text) box.value = draft.text;
    draftOpen = false;
  } else {
    show($("#time-warning"), false);
  }
  renderDraft(mine);
  renderTurnBanner(state, mine);

  // Asking to speak.
  const canSpeak = role === "participant";
  show($("#raise"), canSpeak);
  const entry = you.queue_entry || null;
  const muted = you.muted_until && you.muted_until > client.now();
  let hint = "";
  if (!live) hint = state.room.status === "ended" ? t("raise.ended") : t("raise.not_started");
  else if (mine) hint = t("raise.holding");
  else if (!entry) hint = t("raise.hint");
  setText($("#raise-hint"), hint);
  for (const btn of $$("#raise [data-stance]")) {
    btn.disabled = !live || mine;
    btn.setAttribute("aria-pressed", String(Boolean(entry && entry.stance === btn.dataset.stance)));
  }
  setText($("#my-queue"), entry ? t("raise.waiting", { stance: stanceLabel(entry.stance), n: entry.position || "" }) : "");
  show($("#lower-btn"), Boolean(entry));

  // Queue, balance, statements.
  renderQueue($("#queue"), state, { you: me });
  const next = predictedNext(state, client.now());
  setText($("#queue-next"), next && live ? t("queue.next", { name: queueName(next, t), stance: stanceLabel(next.stance) }) : "");
  renderBalance($("#balance"), state);
  renderStatements($("#statement-list"), state);
  collapseLong($("#statement-list"));
  renderPlace(state, entry, mine);

  // Polls.
  show($("#polls-empty"), !state.polls.length);
  renderPolls($("#poll-list"), state, (box, poll) => pollControls(box, poll, state));
  renderPollBanner(state);

  // Chat.
  renderChat($("#chat-list"), state.chat, { you: me });
  const chatMode = state.room.settings.chat_mode || "open";
  const chatOff = ["off", "closed", "disabled"].includes(chatMode) || role === "observer";
  const chatInput = $("#chat-text");
  chatInput.disabled = Boolean(muted) || chatOff;
  $("#chat-form button").disabled = Boolean(muted) || chatOff;
  let chatHint = t("chat.hint");
  if (muted) chatHint = t("chat.muted", { time: new Date(you.muted_until).toLocaleTimeString(lang() === "en" ? "en-GB" : "zh-CN", { hour: "2-digit", minute: "2-digit" }) });
  else if (chatOff) chatHint = t("chat.off");
  setText($("#chat-hint"), chatHint);

  renderOutcomes($("#decision-list"), $("#action-list"), state);
  voice.render(state);
  if (goToTurn && mine) goToMyTurn();
  goToTurn = false;
}

/** The vote form of one poll card, or the ballot already cast. */
function pollControls(box, poll, state) {
  const ballot = state.you.ballots[poll.poll_id];
  const voted = ballot !== undefined && ballot !== null;
  const canVote = (state.you.role || "participant") === "participant" && poll.status === "open";
  const revote = Boolean(state.room.settings.revote);
  const mode = canVote && (!voted || revote) ? "form" : voted ? "voted" : "none";
  const sig = `${mode}|${lang()}|${JSON.stringify(ballot ?? null)}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  if (mode === "none") return box.replaceChildren();
  const votedText = voted
    ? ballot === true
      ? t("poll.voted_secret")
      : t("poll.voted", { choice: ballotText(poll, ballot) })
    : "";
  const kind = h("p", { class: `ballot-kind ${poll.secret ? "ballot-secret" : "ballot-named"}` },
    poll.secret ? t("poll.ballot_secret") : t("poll.ballot_named"));
  if (mode === "voted") return box.replaceChildren(kind, h("p", { class: "voted" }, votedText));
  if (isOrdered(poll)) {
    // Ranked and score ballots (ballot.js): the same card, the same send.
    return box.replaceChildren(orderedBallot(poll, {
      initial: Array.isArray(ballot) ? ballot : null, header: [kind], voted,
      footer: voted ? [h("p", { class: "voted" }, votedText)] : [],
      send: (args, button) => act(button, t("poll.vote"), async () => {
        await client.send("poll.vote", { poll_id: poll.poll_id, ...args });
        client.state.you.ballots[poll.poll_id] = poll.secret ? true : args.choices || args.scores;
        client.flush();
        render();
      }),
    }));
  }
  const multi = poll.kind === "multi";
  const name = `poll-${poll.poll_id}`;
  const legendId = `${name}-legend`;
  const options = (poll.options || []).map((_, i) => {
    const id = `${name}-${i}`;
    const checked = Array.isArray(ballot) && ballot.includes(i);
    return h("div", { class: "choice" },
      h("input", { type: multi ? "checkbox" : "radio", name, id, value: String(i), checked }),
      h("label", { for: id }, optionLabel(poll, i)));
  });
  const err = h("p", { class: "error", role: "alert" });
  const submit = h("button", { class: "btn btn-primary", type: "submit" }, voted ? t("poll.revote") : t("poll.vote"));
  const form = h("form", { class: "vote-form" },
    h("fieldset", {},
      h("legend", { id: legendId, class: "sr-only" }, poll.question),
      kind,
      multi ? h("p", { class: "hint" }, t("poll.choose_up_to", { n: poll.max_choices || options.length })) : null,
      ...options),
    voted ? h("p", { class: "voted" }, votedText) : null,
    submit, err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const choices = $$("input:checked", form).map((i) => Number(i.value));
    if (!choices.length) return setText(err, t("poll.choose_one"));
    if (multi && poll.max_choices && choices.length > poll.max_choices) return setText(err, t("poll.too_many", { n: poll.max_choices }));
    setText(err, "");
    act(submit, t("poll.vote"), async () => {
      await client.send("poll.vote", { poll_id: poll.poll_id, choices });
      client.state.you.ballots[poll.poll_id] = poll.secret ? true : choices;
      client.flush();
      render();
    });
  });
  box.replaceChildren(form);
}

// ---- issue 14: what needs her now, where she stands, the network --------------

/** The connection's state; when it comes back, say so (and that queued taps went). */
function onStatus(status) {
  renderConnection($("#conn"), status);
  const wasDown = lastStatus === "reconnecting";
  lastStatus = status;
  if (status === "open" && wasDown) {
    const sent = $("#offline-note").textContent !== "";
    const text = t(sent ? "offline.back_sent" : "offline.back");
    notify(text, { kind: "ok" });
  }
  renderOffline();
}

const COMMAND_WORDS = {
  "hand.raise": (a) => t("raise.action", { stance: stanceLabel(a.stance) }),
  "hand.lower": () => t("raise.lower"),
  "statement.post": (a) => t("offline.statement", { text: shortened(a.text) }),
  "turn.yield": () => t("turn.yield"),
  "poll.vote": () => t("poll.vote"),
  "chat.send": (a) => t("offline.chat", { text: shortened(a.text) }),
};

/** Her own words, short enough for the notice, so she knows which message waits. */
function shortened(text, max = 12) {
  const chars = Array.from(String(text || "").trim());
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : chars.join("");
}

/** While the line is down, the taps waiting for it, in words: they go when it is back. */
function renderOffline() {
  const note = $("#offline-note");
  if (!client) return;
  const down = client.status === "reconnecting";
  const what = down ? client.waiting().map((c) => (COMMAND_WORDS[c.cmd] || (() => ""))(c.args)).filter(Boolean) : [];
  setText(note, what.length ? t("offline.queued", { what: what.join("、") }) : "");
}

function raise(btn) {
  return act(btn, t("raise.action", { stance: stanceLabel(btn.dataset.stance) }), async () => {
    // The position shows in #my-queue once queue.changed arrives (and announce.js says it).
    await client.send("hand.raise", { stance: btn.dataset.stance });
  });
}

/** Waiting on one side, she tapped the other: say what it costs, and let her keep her place. */
function askSwitch(btn, entry) {
  const box = $("#stance-confirm");
  const from = t(`side.${entry.stance}`);
  const to = t(`side.${btn.dataset.stance}`);
  const m = placeIfMoved(client.state, client.state.you.participant_id, btn.dataset.stance);
  setText($("#stance-confirm-text"), t("raise.switch_ask", { from, to, n: entry.position, m }));
  const yes = $("#stance-confirm-yes");
  const no = $("#stance-confirm-no");
  setText(yes, t("raise.switch_yes", { to }));
  setText(no, t("raise.switch_no", { from }));
  show(box, true);
  const close = () => {
    show(box, false);
    btn.focus();
  };
  yes.onclick = () => {
    close();
    raise(btn);
  };
  no.onclick = () => {
    close();
    notify(t("raise.switch_kept", { from, n: entry.position }), { kind: "ok" });
  };
  no.focus();
}

/** One line at the top: her place, "下一位就是您", or that the moderator took her hand down. */
function renderPlace(state, entry, mine) {
  const line = $("#my-place");
  const me = state.you.participant_id;
  let text = "";
  let soon = false;
  if (!mine && entry && state.room.status === "live") {
    const place = placeOf(state, me) || { side: entry.stance, position: entry.position };
    const side = t(`side.${place.side}`);
    const ahead = aheadOf(state, me, client.now());
    if (ahead === 0) {
      soon = true;
      text = state.turn
        ? t("place.next_after", { name: state.turn.name || "", side, n: place.position })
        : t("place.next", { side, n: place.position });
    } else {
      text = t("place.waiting", { side, n: place.position, ahead: ahead ?? "?" });
    }
  } else if (removedNote && !mine) {
    text = t("place.removed");
  }
  setText(line, text);
  line.title = text && entry ? t("place.estimate") : "";
  line.classList.toggle("my-place-next", soon);
  line.classList.toggle("my-place-removed", !entry && removedNote);
  show(line, Boolean(text));
  // "You are next" is worth a word to a screen reader, once per turn ahead of hers.
  const key = soon ? `${state.turn ? state.turn.turn_id : "idle"}` : "";
  if (soon && line.dataset.said !== key) announce(text);
  line.dataset.said = key;
}

/** Her turn, over the page wherever she scrolled to, with one tap to her panel. */
function renderTurnBanner(state, mine) {
  const turn = state.turn;
  setBanner($("#banner-turn"), mine ? {
    key: `${turn.turn_id}|${lang()}`,
    kind: "turn",
    text: t("banner.turn", { time: clock(turn.ends_at - client.now()) }),  // tick() counts down
    goLabel: t("banner.turn_go"),
    onGo: goToMyTurn,
  } : null);
}

/** The newest open poll she has not answered yet comes to her: words, and one tap to the ballot. */
function renderPollBanner(state) {
  const canVote = (state.you.role || "participant") === "participant";
  const poll = canVote ? state.polls.slice().reverse().find((p) => p.status === "open"
    && (state.you.ballots[p.poll_id] === undefined || state.you.ballots[p.poll_id] === null)
    && !dismissedPolls.has(p.poll_id)) : null;
  setBanner($("#banner-poll"), poll ? {
    key: `${poll.poll_id}|${lang()}`,
    kind: "poll",
    text: t("banner.poll", { q: poll.question }),
    detail: poll.secret ? t("poll.ballot_secret") : t("poll.ballot_named"),
    goLabel: t("banner.poll_go"),
    onGo: () => {
      const card = $(`#poll-list > li[data-key="${CSS.escape(poll.poll_id)}"]`);
      if (!card) return;
      revealBelowStrip(card);
      const first = $("input", card) || $("button", card);
      if (first) first.focus({ preventScroll: true });
    },
    onLater: () => {
      dismissedPolls.add(poll.poll_id);
      render();
    },
  } : null);
}

/** Long statements show a few lines, with a control for the rest. */
function collapseLong(list) {
  for (const li of $$("li.statement", list)) {
    const text = $(".st-text", li);
    const body = text.textContent || "";
    const long = body.length > LONG_CHARS || body.split("\n").length > LONG_LINES;
    let btn = $(".st-more", li);
    if (!long) {
      text.classList.remove("st-clamp");
      if (btn) btn.remove();
      continue;
    }
    if (!btn) {
      text.id = `st-${String(li.dataset.key).replace(/[^\w-]/g, "_")}`;
      btn = h("button", { class: "btn btn-ghost btn-small st-more", type: "button", "aria-controls": text.id, "aria-expanded": "false" });
      btn.addEventListener("click", () => {
        btn.setAttribute("aria-expanded", String(btn.getAttribute("aria-expanded") !== "true"));
        collapseLong(list);
      });
      li.append(btn);
    }
    const open = btn.getAttribute("aria-expanded") === "true";
    text.classList.toggle("st-clamp", !open);
    setText(btn, open ? t("statement.less") : t("statement.more"));
  }
}

function wireDraft() {
  const box = $("#statement-text");
  if (draft.text && !box.value) box.value = draft.text;
  // A draft left from before a reload, not yet kept: ask again what to do with it.
  if (draft.text && !draft.kept) draftOpen = true;
  const chatBtn = $("#draft-chat");
  chatBtn.addEventListener("click", () => act(chatBtn, t("draft.as_chat"), async () => {
    const text = box.value.trim();
    const r = await client.send("chat.send", { text });
    noteOwnChat(client.state, { ...r, text });
    box.value = "";
    draft.clear();
    draftOpen = false;
    notify(t("draft.sent"), { kind: "ok" });
    render();
  }));
  $("#draft-keep").addEventListener("click", () => {
    draft.write(box.value);
    draft.keep();
    draftOpen = false;
    notify(t("draft.kept"), { kind: "ok" });
    render();
  });
  $("#draft-drop").addEventListener("click", () => {
    box.value = "";
    draft.clear();
    draftOpen = false;
    render();
  });
}

function renderDraft(mine) {
  const text = $("#statement-text").value.trim();
  const open = draftOpen && !mine && Boolean(text);
  show($("#draft"), open);
  if (!open) return;
  const ended = client.state.room.status === "ended"; // no next turn to keep it for
  show($("#draft-keep"), !ended);
  setText($("#draft-text"), text);
  if (focusDraft) {
    focusDraft = false;
    $("#draft-title").focus();
  }
  const tooLong = text.length > 500;
  const chatBtn = $("#draft-chat");
  chatBtn.disabled = tooLong || chatBtn.getAttribute("aria-busy") === "true";
  setText($("#draft-hint"), tooLong ? t(ended ? "draft.too_long_ended" : "draft.too_long") : "");
}

applyStatic();

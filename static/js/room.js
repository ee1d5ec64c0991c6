// The resident page: join form, then the room (floor, hand-raise, queue,
// balance, statements, polls, chat). The token and the last state are kept
// per room in localStorage, so a reload rejoins the same person and resumes
// with `since` instead of starting over.

import { RoomClient, savedRoom, saveRoom } from "./client.js";
import { $, $$, h, setText, show } from "./dom.js";
import { applyStatic, initI18n, lang, onLangChange, roomDefault, t } from "./i18n.js";
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

initI18n();
onLangChange(() => render());
main();

function main() {
  const saved = savedRoom(storeKey);
  if (saved && saved.token) return enterRoom(saved);
  if (saved && saved.removed) return gone("removed");
  showJoin();
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
    // After the session: the published minutes and the actions' progress, no token needed.
    $("#join-minutes-a").href = `/r/${encodeURIComponent(roomId)}/minutes`;
    show($("#join-minutes"), Boolean(summary.minutes_published));
    show($("#join-record"), recordsAudio(summary));
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

/** This browser's device secret: made once, kept in localStorage. A personal invite
 * code binds to the first device that claims it; the server keeps only a keyed hash. */
function deviceSecret() {
  const KEY = "yishi.device";
  let secret = null;
  try { secret = localStorage.getItem(KEY); } catch (_) { /* private mode: one per page */ }
  if (!secret || secret.length < 16) {
    const bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    secret = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    try { localStorage.setItem(KEY, secret); } catch (_) { /* kept for this page only */ }
  }
  return secret;
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
  });
  client.addEventListener("status", (e) => renderConnection($("#conn"), e.detail));
  client.addEventListener("change", render);
  client.addEventListener("welcome", () => roomDefault(client.state.room.settings.lang));
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
  client.start();
  setInterval(tick, 250);
  if (client.state) render();
}

function wireControls() {
  for (const btn of $$("#raise [data-stance]")) {
    btn.addEventListener("click", () =>
      act(btn, t("raise.action", { stance: stanceLabel(btn.dataset.stance) }), async () => {
        // The position shows in #my-queue (a status region) once queue.changed arrives.
        await client.send("hand.raise", { stance: btn.dataset.stance });
      }));
  }
  const lower = $("#lower-btn");
  lower.addEventListener("click", () => act(lower, t("raise.lower"), () => client.send("hand.lower")));
  $("#statement-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const box = $("#statement-text");
    const text = box.value.trim();
    if (!text) return box.focus();
    act(ev.submitter || null, t("turn.post"), async () => {
      await client.send("statement.post", { text });
      box.value = "";
      notify(t("turn.posted"), { kind: "ok" });
    });
  });
  const yieldBtn = $("#yield-btn");
  yieldBtn.addEventListener("click", () => act(yieldBtn, t("turn.yield"), () => client.send("turn.yield")));
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
  const me = client.state.you.participant_id;
  if (ev.type === "turn.started" && ev.data.participant_id === me) announceMyTurn(ev.data);
  if (ev.type === "turn.ended" && ev.data.participant_id === me) {
    announce(t("turn.your_end", { reason: t(`turn.reason.${ev.data.reason}`) }));
    document.title = t("room.doc_title");
  }
  if (ev.type === "poll.opened") announce(t("polls.opened", { q: ev.data.question }));
  if (ev.type === "session.ended") announce(t("room.status.ended"));
}

function announce(text) {
  const el = $("#announcer");
  el.textContent = "";
  // A fresh node in the next frame makes screen readers read it even if the same text repeats.
  requestAnimationFrame(() => (el.textContent = text));
}

function announceMyTurn(turn) {
  if (announcedTurn === turn.turn_id) return;
  announcedTurn = turn.turn_id;
  announce(t("turn.yours_long", { time: clock(turn.ends_at - turn.started_at) }));
  document.title = `【${t("turn.yours")}】${t("room.doc_title")}`;
  if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
  requestAnimationFrame(() => {
    const panel = $("#your-turn");
    panel.scrollIntoView({ block: "start", behavior: "smooth" });
    $("#your-turn-title").focus({ preventScroll: true });
  });
}

function tick() {
  if (!client || !client.state || !client.state.turn) return;
  tickTimer($(".floor-timer"), client.state.turn, client);
  if (!$("#your-turn").hidden) tickTimer($("#your-timer"), client.state.turn, client);
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
  setText($("#room-title"), state.room.title || "");
  setText($("#room-topic"), state.room.topic || "");
  const status = $("#room-status");
  setText(status, statusLabel(state.room.status));
  status.className = `pill pill-${state.room.status || "pending"}`;
  setText($("#agenda-line"), agendaLine(state));
  setText($("#me-line"), you.name ? t("room.me", { name: you.name }) : "");
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
  }

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
  const next = state.queue.next;
  setText($("#queue-next"), next && live ? t("queue.next", { name: next.name, stance: stanceLabel(next.stance) }) : "");
  renderBalance($("#balance"), state);
  renderStatements($("#statement-list"), state);

  // Polls.
  show($("#polls-empty"), !state.polls.length);
  renderPolls($("#poll-list"), state, (box, poll) => pollControls(box, poll, state));

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
      : t("poll.voted", { choice: (Array.isArray(ballot) ? ballot : []).map((i) => optionLabel(poll, i)).join("、") })
    : "";
  if (mode === "voted") return box.replaceChildren(h("p", { class: "voted" }, votedText));
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

applyStatic();

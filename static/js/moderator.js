// The moderator console (also used by clerks and offices with their own
// tokens: sections carry data-roles and show only to those roles). The token
// comes from the URL fragment (#token=...), which never reaches a server log.

import { ballotText, isOrdered, orderedBallot, presenceText } from "./ballot.js";
import { Announcer, watchRoom } from "./announce.js";
import { RoomClient, savedRoom, saveRoom } from "./client.js";
import { $, $$, h, reconcile, setText, show } from "./dom.js";
import { applyStatic, initI18n, lang, onLangChange, roomDefault, shownName, t } from "./i18n.js";
import {
  act, agendaLine, notify, optionLabel, renderBalance, renderChat, renderConnection, renderFloor,
  renderOutcomes, renderPolls, renderStatements, stanceLabel, statusLabel, tickTimer,
} from "./ui.js";
import { api, clock, roomIdFromPath, roomQrDataUrl, STANCES, timeOfDay, takeToken } from "./util.js";
import { saveResponse } from "./download.js";
import { balanceWithRunningTurn, isAway, predictNextBothWays, queueName } from "./queue_view.js";
import { mountVoice } from "./voice.js";
import { mountApproval } from "./approval.js";

const roomId = roomIdFromPath();
const token = takeToken();
const params = new URLSearchParams(location.search);
const storeKey = `yishi.mod.${roomId}`;
let client = null;
let voice = null;
let approval = null; // the minutes' approval card (approval.js)
let renderQueued = false;
let inviteUrl = "";
// The QR code: null follows the session (shown before it starts, behind a
// button once it runs, where it would only push the cockpit down); a press
// of the button decides from then on.
let qrShown = null;
const KEYS_KEY = "yishi.mod.keys";
let staffMemory = []; // the staff links shown (see keepStaff)
let dupIds = new Set(); // participants who share their name with another
let queueFocus = null; // the participant whose row holds the queue's one tab stop
let roleShown = ""; // the role the page's title and brand were set for
let record = null; // the draft minutes' statements and attendance (staff who joined late)
const proxyBallots = new Map(); // poll_id -> names this console cast a ballot for
const ballotBy = new Map(); // poll_id -> {participant_id: who cast it for them} (poll.ballot's `by`)
// Issue 16: what a screen reader hears (announce.js), in the console's one polite region.
const announcer = new Announcer({ polite: $("#announcer") });

initI18n();
onLangChange(() => render());
main();

function main() {
  if (!token) return gone("no_token");
  show($("#loading"), false);
  show($("#console"), true);
  const saved = savedRoom(storeKey);
  // The saved copy names its token by a fingerprint: the key itself stays in the URL only.
  const mark = fingerprint(token);
  const resume = saved && saved.mark === mark && saved.state ? { seq: saved.seq, state: saved.state } : null;
  client = new RoomClient({
    roomId,
    token,
    saved: resume,
    prefer: params.get("proto") === "json" ? "json" : "msgpack",
    persist: (seq, state) => saveRoom(storeKey, { mark, seq, state }),
  });
  client.addEventListener("status", (e) => renderConnection($("#conn"), e.detail));
  client.addEventListener("change", render);
  client.addEventListener("welcome", () => {
    roomDefault(client.state.room.settings.lang);
    loadRecord();
  });
  client.addEventListener("event", (e) => onEvent(e.detail));
  client.addEventListener("fatal", (e) => {
    saveRoom(storeKey, {});
    gone({ 4001: "unauthorized", 4003: "removed", 4004: "no_room" }[e.detail.code]);
  });
  window.addEventListener("pagehide", () => client.flush());
  window.yishiClient = client; // for the console and the browser tests
  wire();
  voice = mountVoice(client, { mode: "console" });
  approval = mountApproval({ client, token, roomId, send: (cmd, args) => client.send(cmd, args) });
  watchRoom(client, announcer);
  wireHall();
  client.start();
  setInterval(tick, 250);
  loadQr();
  renderStaff();
}

/** FNV-1a of the token: enough to tell whose saved copy this is, useless as a key. */
function fingerprint(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

function gone(reason) {
  if (client) client.stop();
  show($("#loading"), false);
  show($("#console"), false);
  show($("#gone-view"), true);
  setText($("#gone-title"), t(`mod.gone.${reason}.title`));
  setText($("#gone-text"), t(`mod.gone.${reason}.text`));
}

/** The invite QR code (util.js roomQrDataUrl: it needs the moderator's token). */
async function loadQr() {
  try {
    const url = await roomQrDataUrl(roomId, token);
    if (!url) return;
    $("#qr-img").src = url;
    $("#qr-full-img").src = url;
  } catch {
    /* offline: the invite link still shows as text */
  }
}

/**
 * The room's invite link. The public summary never carries the code (anyone may
 * read it); the moderator's own snapshot does (room.invite_code), so the link
 * is built from that: the same link the QR code shows.
 */
function inviteLink(state) {
  const code = state && state.room && state.room.invite_code;
  return code ? `${location.origin}/r/${encodeURIComponent(roomId)}?invite=${encodeURIComponent(code)}` : "";
}

/**
 * Staff links made from this console, kept in sessionStorage under the room and
 * the moderator token's fingerprint: a reload (or a crash of the tab) keeps
 * them, like the moderator's own token (util.js takeToken); closing the tab
 * forgets them. Not localStorage: a hall's shared computer would hand the next
 * user keys to the room, and the moderator's link makes new ones at any time.
 */
const staffKey = () => `yishi.staff:${roomId}:${fingerprint(token)}`;

function savedStaff() {
  try {
    const list = JSON.parse(sessionStorage.getItem(staffKey()) || "[]");
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function keepStaff(entry) {
  const list = savedStaff();
  list.push(entry);
  try {
    sessionStorage.setItem(staffKey(), JSON.stringify(list));
  } catch {
    /* private mode: the link shows until the page closes */
  }
  return list;
}

function renderStaff(list = null) {
  if (list) staffMemory = list;
  else if (!staffMemory.length) staffMemory = savedStaff();
  reconcile($("#staff-list"), staffMemory, (s) => s.link,
    (s) => {
      const copyBtn = h("button", { class: "btn btn-small btn-secondary", type: "button" }, t("common.copy"));
      copyBtn.addEventListener("click", () => copy(s.link, copyBtn));
      return h("li", {}, h("p", {}, h("strong", { class: "staff-name" }), h("span", { class: "staff-role" })),
        h("p", { class: "link-out" }, s.link), copyBtn);
    },
    (li, s) => {
      setText($(".staff-name", li), s.name);
      setText($(".staff-role", li), ` (${t(`role.${s.role}`)})`);
      const b = $("button", li);
      if (b.textContent !== t("common.copied")) b.textContent = t("common.copy");
      named(b, `${s.name} (${t(`role.${s.role}`)})`);
    });
}

const send = (cmd, args) => client.send(cmd, args);

/**
 * Say which row a repeated button acts on. The accessible name starts with the
 * visible text (WCAG 2.5.3, label in name), so voice control still finds it.
 */
function named(button, detail) {
  button.setAttribute("aria-label", `${button.textContent}${lang() === "zh" ? "：" : ": "}${detail}`);
}

/** A button that runs one command, reported as done or failed. */
function cmdButton(label, cmd, args, { cls = "btn btn-small btn-secondary", confirm = null } = {}) {
  const b = h("button", { class: cls, type: "button" }, label);
  b.addEventListener("click", () => {
    if (confirm && !window.confirm(confirm)) return;
    act(b, label, () => send(cmd, typeof args === "function" ? args() : args));
  });
  return b;
}

/** Today as YYYY-MM-DD in this computer's calendar (what a date input holds). */
function localDate() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function onSubmit(form, label, fn) {
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(ev.submitter || $("button[type=submit]", form), label(), () => fn(form));
  });
}

function wire() {
  const start = $("#start-btn");
  start.addEventListener("click", () => act(start, t("mod.start"), () => send("session.start")));
  const end = $("#end-btn");
  end.addEventListener("click", () => {
    if (!window.confirm(t("mod.end_confirm"))) return;
    act(end, t("mod.end"), () => send("session.end"));
  });
  for (const b of $$("[data-extend]")) {
    b.addEventListener("click", () => act(b, b.textContent, () =>
      send("turn.extend", { seconds: Number(b.dataset.extend), turn_id: client.state.turn && client.state.turn.turn_id })));
  }
  const endTurn = $("#turn-end-btn");
  endTurn.addEventListener("click", () => act(endTurn, t("mod.turn_end"), () =>
    send("turn.end", client.state.turn ? { turn_id: client.state.turn.turn_id } : {})));
  const next = $("#next-btn");
  next.addEventListener("click", () => {
    // The floor given to someone whose phone is closed runs for nobody: ask first,
    // and point to 跳过 (skip) when the chair would rather call the next one.
    const n = client.state.queue.next;
    if (n && isAway(n)
        && !window.confirm(t("mod.next_away_confirm", { name: n.name }))) {
      $("#skip-btn").focus();
      return;
    }
    act(next, t("mod.next_go"), () => send("turn.next"));
  });
  const skip = $("#skip-btn");
  skip.addEventListener("click", () => {
    const n = client.state.queue.next;
    if (!n) return;
    // Undoing is impossible (a hand raised again goes to the end of its side): ask.
    if (!window.confirm(t("con.queue_remove_confirm", { name: n.name }))) return;
    act(skip, t("mod.skip"), () => send("queue.remove", { participant_id: n.participant_id }));
  });

  onSubmit($("#behalf-statement"), () => t("mod.behalf_statement"), async () => {
    const text = $("#behalf-text").value.trim();
    const turn = client.state.turn;
    if (!text || !turn) return;
    await send("statement.post", { text, on_behalf_of: turn.participant_id });
    $("#behalf-text").value = "";
  });

  onSubmit($("#agenda-form"), () => t("mod.agenda_edit"), async () => {
    const items = $("#agenda-items").value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (!items.length) throw { code: "bad_command" };
    await send("agenda.set", { items });
    notify(t("common.done", { action: t("mod.agenda_edit") }), { kind: "ok" });
  });
  $("#agenda-items").dataset.dirty = "";
  $("#agenda-items").addEventListener("input", (e) => (e.target.dataset.dirty = "1"));

  onSubmit($("#offline-form"), () => t("mod.offline_add"), async () => {
    const name = $("#offline-name").value.trim();
    if (!name) return $("#offline-name").focus();
    await send("offline.add", { name });
    $("#offline-name").value = "";
  });

  // Invite and QR code.
  $("#qr-full-btn").addEventListener("click", openQr);
  $("#qr-full-close").addEventListener("click", closeQr);
  $("#qr-full").addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeQr();
    if (e.key === "Tab") {
      e.preventDefault(); // one control inside the dialog: keep focus on it
      $("#qr-full-close").focus();
    }
  });
  $("#invite-copy").addEventListener("click", () => copy(inviteUrl, $("#invite-copy")));
  $("#qr-toggle").addEventListener("click", () => {
    qrShown = $("#qr-box").hidden;
    render();
  });

  onSubmit($("#codes-form"), () => t("mod.codes_make"), async () => {
    const count = Math.max(1, Math.min(200, Number($("#codes-count").value) || 1));
    const r = await api(`/api/rooms/${encodeURIComponent(roomId)}/invites`, { method: "POST", token, body: { count } });
    const urls = r.urls || (r.codes || []).map((c) => `${location.origin}/r/${roomId}?invite=${c}`);
    $("#codes-list").append(...(r.codes || []).map((c, i) => h("li", {}, h("strong", {}, c), " ", h("span", { class: "link-out" }, urls[i] || ""))));
  });

  onSubmit($("#staff-form"), () => t("mod.staff_make"), async () => {
    const role = $("#staff-role").value;
    const name = $("#staff-name").value.trim();
    if (!name) return $("#staff-name").focus();
    const r = await api(`/api/rooms/${encodeURIComponent(roomId)}/staff`, { method: "POST", token, body: { role, name } });
    const link = `${location.origin}/m/${roomId}#token=${r.token}`;
    renderStaff(keepStaff({ name, role, link }));
    $("#staff-name").value = "";
  });

  // Polls.
  const kind = $("#poll-kind");
  const syncKind = () => {
    show($("#poll-options-row"), kind.value !== "yes_no_abstain");
    show($("#poll-max-row"), kind.value === "multi");
  };
  kind.addEventListener("change", syncKind);
  kind.addEventListener("change", syncRules);
  $("#poll-threshold").addEventListener("change", syncRules);
  syncKind();
  syncRules();
  // A named poll publishes who chose what: say so where the choice is made.
  const syncSecret = () => show($("#poll-named-note"), !$("#poll-secret").checked);
  $("#poll-secret").addEventListener("change", syncSecret);
  syncSecret();
  onSubmit($("#poll-form"), () => t("mod.poll_open"), async () => {
    const question = $("#poll-question").value.trim();
    if (!question) {
      $("#poll-question").focus();
      throw { code: "bad_command" };
    }
    const args = { question, kind: kind.value, live_results: $("#poll-live").checked, secret: $("#poll-secret").checked };
    if (kind.value === "yes_no_abstain") args.options = ["赞成", "反对", "弃权"];
    else {
      args.options = $("#poll-options").value.split("\n").map((s) => s.trim()).filter(Boolean);
      if (args.options.length < 2) {
        $("#poll-options").focus();
        throw { code: "bad_command" };
      }
    }
    if (kind.value === "multi") args.max_choices = Math.max(1, Number($("#poll-max").value) || 1);
    Object.assign(args, pollRuleArgs(kind.value));
    await send("poll.open", args);
    $("#poll-question").value = "";
    $("#poll-options").value = "";
    notify(t("common.done", { action: t("mod.poll_open") }), { kind: "ok" });
  });

  onSubmit($("#chat-form"), () => t("chat.send"), async () => {
    const text = $("#chat-text").value.trim();
    if (!text) return;
    await send("chat.send", { text });
    $("#chat-text").value = "";
  });

  onSubmit($("#decision-form"), () => t("mod.decision_record"), async () => {
    const text = $("#decision-text").value.trim();
    if (!text) return $("#decision-text").focus();
    const area = $("#decision-text");
    const args = { text };
    if (area.dataset.pollId) args.poll_id = area.dataset.pollId;
    await send("decision.record", args);
    area.value = "";
    delete area.dataset.pollId;
  });

  onSubmit($("#action-form"), () => t("mod.action_add"), async () => {
    const title = $("#action-title").value.trim();
    const owner = $("#action-owner").value.trim();
    const due = $("#action-due").value;
    if (!title || !owner || !due) {
      (!title ? $("#action-title") : !owner ? $("#action-owner") : $("#action-due")).focus();
      throw { code: "bad_command" };
    }
    // A date already past is most often a slip (a wrong year): asked, not taken silently.
    if (due < localDate() && !window.confirm(t("mod.due_past_confirm", { due }))) return $("#action-due").focus();
    await send("action.add", { title, owner, due });
    for (const id of ["#action-title", "#action-owner", "#action-due"]) $(id).value = "";
  });

  onSubmit($("#note-form"), () => t("mod.note_add"), async () => {
    const text = $("#note-text").value.trim();
    if (!text) return $("#note-text").focus();
    await send("minutes.note", { text });
    $("#note-text").value = "";
  });

  for (const b of $$("[data-export]")) b.addEventListener("click", () => act(b, t("mod.export", { fmt: b.textContent }), () => exportMinutes(b.dataset.export)));
  const publish = $("#publish-btn");
  publish.addEventListener("click", () => {
    if (!window.confirm(t("mod.publish_confirm"))) return;
    act(publish, t("mod.publish"), async () => {
      const r = await send("minutes.publish");
      if (r.minutes_url) client.state.room.minutes_url = r.minutes_url;
      notify(t("common.done", { action: t("mod.publish") }), { kind: "ok" });
      render();
    });
  });
  $("#draft-link").href = `/r/${encodeURIComponent(roomId)}/minutes#token=${encodeURIComponent(token)}`;
  $("#after-draft").setAttribute("href", $("#draft-link").getAttribute("href"));
  const word = $("#after-word-btn");
  word.addEventListener("click", () => act(word, t("staff.step_word_go"), () => exportMinutes("docx")));
  $("#after-publish-btn").addEventListener("click", () => publish.click());
  const refresh = $("#att-refresh");
  refresh.addEventListener("click", () => act(refresh, t("staff.att_refresh"), () => loadRecord({ strict: true })));

  onSubmit($("#settings-form"), () => t("mod.settings"), async () => {
    const s = client.state.room.settings;
    const patch = {};
    const turn = Number($("#set-turn").value);
    if (turn && turn !== s.turn_seconds) patch.turn_seconds = Math.max(1, Math.min(3600, Math.round(turn)));
    for (const [id, key] of [["#set-policy", "policy"], ["#set-chat", "chat_mode"], ["#set-invite", "invite_mode"], ["#set-lang", "lang"]]) {
      if ($(id).value !== s[key]) patch[key] = $(id).value;
    }
    if ($("#set-revote").checked !== Boolean(s.revote)) patch.revote = $("#set-revote").checked;
    const cues = cuePatch(s);
    if (cues) patch.cue_seconds = cues;
    if (!Object.keys(patch).length) return;
    await send("settings.update", patch);
    $("#settings-form").dataset.dirty = "";
    notify(t("common.done", { action: t("mod.settings") }), { kind: "ok" });
  });
  $("#settings-form").addEventListener("input", () => ($("#settings-form").dataset.dirty = "1"));

  const keysOn = $("#keys-on");
  try {
    keysOn.checked = localStorage.getItem(KEYS_KEY) !== "off";
  } catch {
    /* storage blocked: on */
  }
  keysOn.addEventListener("change", () => {
    try {
      localStorage.setItem(KEYS_KEY, keysOn.checked ? "on" : "off");
    } catch {
      /* kept for this page only */
    }
    show($("#keys-legend"), keysOn.checked);
  });
  show($("#keys-legend"), keysOn.checked);
  document.addEventListener("keydown", onShortcut);
  wireQueueKeys();
}

/**
 * Single-key shortcuts for the moderator's four frequent actions. Ignored while
 * typing (a field, a select, an IME composition), with a modifier held, when a
 * dialog is open, or when switched off (WCAG 2.1.4: character keys may be
 * turned off). Each acts through its button, so a disabled button is a no-op
 * and success and failure show as they do for a click.
 */
function onShortcut(e) {
  if (e.defaultPrevented || e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (!$("#keys-on").checked || !client || !client.state) return;
  if ((client.state.you.role || "moderator") !== "moderator") return;
  const el = e.target;
  if (el && el.closest && el.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])")) return;
  if (!$("#qr-full").hidden) return;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  let button = null;
  if (key === "n") button = $("#next-btn");
  else if (key === "e") button = $("#turn-end-btn");
  else if (key === "+" || key === "=") button = $('[data-extend="30"]');
  else if (key === "p") {
    e.preventDefault(); // the "p" must not land in the question field
    const details = $("#poll-create");
    details.open = true;
    $("#poll-question").focus();
    details.scrollIntoView({ block: "nearest" });
    return;
  } else return;
  e.preventDefault();
  if (button && !button.disabled && button.offsetParent !== null) button.click();
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    const old = button.textContent;
    button.textContent = t("common.copied");
    setTimeout(() => (button.textContent = old), 1500);
  } catch {
    notify(t("common.copy_failed"));
  }
}

let qrOpener = null;
function openQr() {
  qrOpener = document.activeElement;
  setText($("#qr-full-title"), t("mod.qr_title", { title: client.state ? client.state.room.title : "" }));
  setText($("#qr-full-link"), inviteUrl);
  show($("#qr-full-link"), Boolean(inviteUrl));
  show($("#qr-full"), true);
  $("#qr-full-close").focus();
  if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
}

function closeQr() {
  show($("#qr-full"), false);
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  if (qrOpener) qrOpener.focus();
}

async function exportMinutes(fmt) {
  let res;
  try {
    res = await fetch(`/api/rooms/${encodeURIComponent(roomId)}/minutes?format=${fmt}`, { headers: { Authorization: `Bearer ${token}` } });
  } catch {
    throw { code: "offline" };
  }
  if (!res.ok) {
    let err = {};
    try {
      err = (await res.json()).error || {};
    } catch {
      /* not JSON */
    }
    throw { code: err.code || "unavailable" };
  }
  // Saved under the server's name: the room's title and the session's date.
  await saveResponse(res, `minutes-${roomId}.${fmt}`);
}

function onEvent(ev) {
  const say = (text) => announcer.say(text);
  if (ev.type === "chat.held") say(t("mod.held_arrived", { name: ev.data.name || "" }));
  if (ev.type === "turn.ended" && ev.data.reason === "expired") say(t("mod.turn_expired"));
  if (ev.type === "session.ended") {
    say(t("staff.after_title"));
    loadRecord();
  }
  if (ev.type === "poll.ballot" && ev.data.by) {
    if (!ballotBy.has(ev.data.poll_id)) ballotBy.set(ev.data.poll_id, {});
    ballotBy.get(ev.data.poll_id)[ev.data.participant_id] = ev.data.by;
  }
  if (ev.type === "participant.joined") scheduleRecord();
}

function tick() {
  if (client && client.state && client.state.turn) {
    tickTimer($(".floor-timer"), client.state.turn, client);
    // The prediction moves with the speaker's time: keep it current.
    renderNext(client.state);
  }
}

function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    if (client && client.state) renderConsole(client.state);
  });
}

/**
 * Why the policy picks `next` (the server, or the prediction, says who; this
 * says why, in words). `b` is the balance the pick was made with.
 */
function whyNext(state, next, b = state.balance || {}) {
  if (!next) return "";
  const side = next.stance;
  const policy = state.room.settings.policy || "balanced";
  const ms = (s) => (b[s] && b[s].ms) || 0;
  const turns = (s) => (b[s] && b[s].turns) || 0;
  const waiting = STANCES.filter((s) => (state.queue[s] || []).length);
  const others = waiting.filter((s) => s !== side);
  let why;
  if (policy === "alternate") why = t("why.alternate");
  else if (!others.length) why = t("why.only_side", { stance: stanceLabel(side) });
  else if (others.every((o) => ms(o) > ms(side))) {
    why = t("why.least_time", { stance: stanceLabel(side), time: clock(ms(side)), others: others.map((o) => `${stanceLabel(o)} ${clock(ms(o))}`).join(lang() === "zh" ? "，" : ", ") });
  } else if (others.every((o) => ms(o) > ms(side) || (ms(o) === ms(side) && turns(o) > turns(side)))) {
    why = t("why.fewer_turns", { stance: stanceLabel(side), n: turns(side) });
  } else why = t("why.tie", { stance: stanceLabel(side) });
  return `${why} ${t("why.within")}`;
}

function renderConsole(state) {
  const you = state.you;
  const role = you.role || "moderator";
  const me = you.participant_id;
  const live = state.room.status === "live";
  const ended = state.room.status === "ended";
  for (const el of $$("[data-roles]")) show(el, el.dataset.roles.split(" ").includes(role));
  // Once the session has ended, what would only answer `conflict` is not offered.
  if (ended) for (const el of $$("[data-until-ended]")) show(el, false);
  pageFor(role);
  renderAfter(state, role);

  renderConnection($("#conn"), client.status);
  setText($("#room-title"), state.room.title || "");
  setText($("#room-topic"), state.room.topic || "");
  const status = $("#room-status");
  setText(status, statusLabel(state.room.status));
  status.className = `pill pill-${state.room.status || "pending"}`;
  setText($("#agenda-line"), agendaLine(state));
  const roleName = t(`role.${role}`);
  setText($("#me-line"), !you.name || you.name === roleName ? roleName : t("mod.me", { name: you.name, role: roleName }));
  show($("#start-btn"), state.room.status === "pending" && role === "moderator");
  show($("#end-btn"), live && role === "moderator");

  // Floor and next speaker.
  renderFloor($("#floor"), state, client);
  const inHallSpeaker = state.turn && (state.participants.find((p) => p.participant_id === state.turn.participant_id) || {}).in_hall;
  // A clerk records for the floor holder only while they have no socket (in the hall).
  show($("#behalf-statement"), role === "clerk" && Boolean(inHallSpeaker) && !(state.participants.find((p) => p.participant_id === state.turn.participant_id) || {}).online);
  renderNext(state);
  const next = state.queue.next;
  $("#next-btn").disabled = !next || Boolean(state.turn) || !live;
  $("#skip-btn").disabled = !next;
  setText($("#next-busy"), state.turn ? t("mod.next_busy") : !live ? t("raise.not_started") : "");

  renderConsoleQueue(state, role);
  renderBalance($("#balance"), state);
  renderStatements($("#statement-list"), withRecord(state));
  setText($("#statements-source"), record && record.statements.length ? t("staff.statements_full") : "");
  show($("#statements-source"), Boolean(record && record.statements.length));
  renderAttendance(state, role);
  renderAgenda(state, role);
  renderDuplicates(state);
  renderPeople(state, role, me);

  // Invite: the link to copy, the mode, the QR code (behind a button once the session runs).
  inviteUrl = inviteLink(state);
  setText($("#invite-link"), inviteUrl);
  show($("#invite-link-line"), Boolean(inviteUrl));
  const mode = state.room.settings.invite_mode === "personal" ? "personal" : "open";
  setText($("#invite-mode"), t("con.invite_mode", { mode: t(`invitemode.${mode}`) }));
  $("#invite-mode").className = `pill pill-mode pill-mode-${mode}`;
  setText($("#invite-mode-line"), t(`con.invite_mode_${mode}`));
  const qrVisible = qrShown ?? state.room.status === "pending";
  show($("#qr-box"), qrVisible);
  show($("#qr-toggle"), state.room.status !== "pending" || qrShown !== null);
  $("#qr-toggle").setAttribute("aria-expanded", String(qrVisible));
  setText($("#qr-toggle"), qrVisible ? t("con.qr_hide") : t("con.qr_show"));
  // Before a poll in open-link mode: one person may hold two ballots.
  show($("#poll-mode-warning"), mode === "open");
  renderStaff();

  // Polls.
  show($("#polls-empty"), !state.polls.length);
  if (role === "moderator") setText($("#poll-presence"), presenceText(state));
  renderPolls($("#poll-list"), state, (box, poll) => pollControls(box, poll, role));

  // Review queue and chat.
  const held = state.held || [];
  setText($("#review-count"), held.length ? `(${held.length})` : "");
  show($("#review-empty"), !held.length);
  renderChat($("#held-list"), held, {
    extra: (box, m) => messageControls(box, m, true, ended),
  });
  for (const li of $$("#held-list > li")) {
    const m = held.find((x) => String(x.message_id) === li.dataset.key);
    let r = $(".reasons", li);
    if (!r) li.insertBefore((r = h("p", { class: "reasons" })), $(".msg-actions", li));
    setText(r, m ? t("mod.reasons", { reasons: reasonWords(m.reasons) }) : "");
    // The evidence (list entries, the scorer's features and weights): so the
    // moderator can trust the decision, or see why it was wrong.
    let w = $(".why", li);
    if (!w) li.insertBefore((w = h("p", { class: "why hint" })), $(".msg-actions", li));
    const why = m && Array.isArray(m.why) ? m.why : [];
    setText(w, why.length ? t("mod.why", { why: why.join("；") }) : "");
    show(w, why.length > 0);
  }
  renderChat($("#chat-list"), state.chat, { you: me, extra: role === "moderator" ? (box, m) => messageControls(box, m, false, ended) : null });

  renderOutcomes($("#decision-list"), $("#action-list"), state, {
    actionExtra: role === "moderator" || role === "office" ? (box, a) => actionControls(box, a) : (box, a) => lastUpdate(box, a),
  });
  reconcile($("#note-list"), state.notes, (n) => n.note_id, () => h("li", {}), (li, n) => setText(li, `${timeOfDay(n.at, lang())} ${n.text}`));

  // Minutes.
  const published = Boolean(state.room.minutes_published);
  show($("#published-line"), published);
  const murl = state.room.minutes_url || `/r/${roomId}/minutes`;
  $("#published-link").href = murl;
  setText($("#published-link"), murl.startsWith("/") ? location.origin + murl : murl);
  setText($("#publish-btn"), published ? t("mod.republish") : t("mod.publish"));

  renderSettings(state);
  voice.render(state);
  approval.render(state);
}

/** "Next": the server's pick, or while someone speaks, the prediction with their turn counted. */
function renderNext(state) {
  const { ifNow, atLimit, same } = predictNextBothWays(state, client.now());
  const counted = Boolean(ifNow && ifNow.counted);
  show($("#next-predicted"), counted);
  const label = (p) => `${queueName(p.entry, t)}（${stanceLabel(p.entry.stance)}）`;
  setText($("#next-who"), ifNow ? label(ifNow) : t("mod.next_none"));
  let when = "";
  if (counted) {
    when = t("con.next_if_now");
    if (!same && atLimit) when += ` ${t("con.next_if_limit", { name: atLimit.entry.name, stance: stanceLabel(atLimit.entry.stance) })}`;
    if (!ifNow.certain) when += ` ${t("con.next_uncertain")}`;
  }
  setText($("#next-when"), when);
  show($("#next-when"), Boolean(when));
  // Explain with the balance the prediction used (the running turn counted as ending now).
  const balance = counted ? balanceWithRunningTurn(state, client.now()) : state.balance || {};
  setText($("#next-why"), whyNext(state, ifNow ? ifNow.entry : null, balance));
}

/** Names that appear more than once among the people who may vote (case and spaces ignored). */
function duplicateNames(state) {
  const groups = new Map();
  for (const p of state.participants) {
    if (p.removed || (p.role && p.role !== "participant")) continue;
    const key = (p.name || "").normalize("NFKC").replace(/\s+/g, "").toLowerCase();
    if (!key) continue;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(p);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

function renderDuplicates(state) {
  const dups = duplicateNames(state);
  const names = dups.map((g) => t("con.dup_name", { name: g[0].name, n: g.length })).join(lang() === "zh" ? "、" : ", ");
  setText($("#dup-names"), dups.length ? t("con.dup_names", { names }) : "");
  show($("#dup-names"), dups.length > 0 && (state.you.role || "moderator") === "moderator");
  dupIds = new Set(dups.flat().map((p) => p.participant_id));
}

/**
 * The queue as compact rows: number, name, in-hall mark, note, and one menu
 * button whose menu holds the row's actions. The rows are one tab stop
 * (roving tabindex: arrow keys move between them), so thirty waiting people
 * no longer stand between the first controls and the rest of the page.
 */
function renderConsoleQueue(state, role) {
  const people = new Map(state.participants.map((p) => [p.participant_id, p]));
  for (const side of STANCES) {
    const list = $(`[data-queue="${side}"]`);
    const entries = state.queue[side] || [];
    reconcile(list, entries.length ? entries : [{ participant_id: "__empty", empty: true }], (e) => e.participant_id,
      (e) => (e.empty ? h("li", { class: "empty" })
        : h("li", { class: "qrow" },
          h("span", { class: "qwho" }, h("span", { class: "qname" }), h("span", { class: "tag tag-hall" }), h("span", { class: "tag tag-away" })),
          role === "moderator" && state.room.status !== "ended" ? h("span", { class: "qextra qmenu-box" }) : null,
          h("span", { class: "qnote" }))),
      (li, e) => {
        if (e.empty) return setText(li, t("queue.empty"));
        const p = people.get(e.participant_id) || {};
        setText($(".qname", li), e.name);
        const hall = $(".tag-hall", li);
        setText(hall, t("mod.in_hall"));
        show(hall, Boolean(p.in_hall));
        const away = $(".tag-away", li);
        setText(away, t("mod.offline"));
        show(away, isAway(e));
        setText($(".qnote", li), e.note ? `· ${e.note}` : "");
        show($(".qnote", li), Boolean(e.note));
        li.title = e.note || "";
        const box = $(".qextra", li);
        if (box) queueMenu(box, e, state);
      });
    setText($(`[data-queue-count="${side}"]`), t("queue.count", { n: entries.length }));
  }
  rovingTabs();
}

function menuId(pid) {
  return `qm-${String(pid).replace(/[^\w-]/g, "_")}`;
}

function queueMenu(box, e, state) {
  const sig = `${e.participant_id}|${lang()}`;
  if (box.dataset.sig !== sig) {
    box.dataset.sig = sig;
    const id = menuId(e.participant_id);
    // A narrow "⋯" keeps thirty rows to one line each; its name says whose actions.
    const opener = h("button", { class: "btn btn-small btn-ghost qmenu-btn", type: "button", "aria-expanded": "false", "aria-controls": id, tabindex: "-1" }, "⋯");
    opener.setAttribute("aria-label", t("con.row_menu_of", { name: e.name }));
    const grant = cmdButton(t("con.grant"), "turn.grant", { participant_id: e.participant_id, stance: e.stance }, { cls: "btn btn-small btn-primary" });
    grant.dataset.grant = "1";
    named(grant, e.name);
    const remove = h("button", { class: "btn btn-small btn-danger", type: "button" }, t("con.queue_remove"));
    named(remove, e.name);
    remove.addEventListener("click", () => {
      if (!window.confirm(t("con.queue_remove_confirm", { name: e.name }))) return;
      act(remove, t("con.queue_remove"), () => send("queue.remove", { participant_id: e.participant_id }));
    });
    const menu = h("div", { class: "qmenu", id, hidden: true }, grant, remove);
    opener.addEventListener("click", () => toggleMenu(opener, menu, menu.hidden));
    menu.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.stopPropagation();
        toggleMenu(opener, menu, false);
        opener.focus();
      }
    });
    box.replaceChildren(opener, menu);
  }
  // The floor is given only when nobody holds it (turn.grant answers conflict otherwise).
  for (const b of $$("[data-grant]", box)) b.disabled = Boolean(state.turn);
}

function toggleMenu(opener, menu, open) {
  if (open) for (const other of $$("#queue .qmenu:not([hidden])")) if (other !== menu) toggleMenu(other.previousElementSibling, other, false);
  show(menu, open);
  opener.setAttribute("aria-expanded", String(open));
  if (open) {
    const first = $("button:not(:disabled)", menu);
    if (first) first.focus();
  }
}


function rovingTabs() {
  const buttons = $$("#queue .qmenu-btn");
  if (!buttons.length) return;
  let active = buttons.find((b) => b.closest("li").dataset.key === queueFocus) || buttons[0];
  for (const b of buttons) b.tabIndex = b === active ? 0 : -1;
}

function wireQueueKeys() {
  const root = $("#queue-sides");
  root.addEventListener("focusin", (e) => {
    if (e.target.classList.contains("qmenu-btn")) {
      queueFocus = e.target.closest("li").dataset.key;
      rovingTabs();
    }
  });
  root.addEventListener("keydown", (e) => {
    if (!e.target.classList.contains("qmenu-btn")) return;
    const buttons = $$("#queue .qmenu-btn");
    const i = buttons.indexOf(e.target);
    const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: buttons.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const b = buttons[Math.max(0, Math.min(buttons.length - 1, to))];
    if (b) b.focus();
  });
  // A click elsewhere closes an open row menu.
  document.addEventListener("click", (e) => {
    for (const menu of $$("#queue .qmenu:not([hidden])")) {
      const opener = menu.previousElementSibling;
      if (!menu.contains(e.target) && e.target !== opener) toggleMenu(opener, menu, false);
    }
  });
}

function renderAgenda(state, role) {
  const { items, current } = state.room.agenda;
  reconcile($("#agenda-list"), items.map((it, i) => ({ ...it, i })), (it) => `${it.item_id || it.title}`,
    () => h("li", {}, h("span", { class: "title" }), h("span", { class: "go" })),
    (li, it) => {
      setText($(".title", li), `${it.i + 1}. ${it.title}`);
      li.classList.toggle("current", it.i === current);
      const go = $(".go", li);
      const sig = `${it.i}|${it.i === current}|${lang()}|${role}|${state.room.status}`;
      if (go.dataset.sig === sig) return;
      go.dataset.sig = sig;
      if (it.i === current) go.replaceChildren(h("span", { class: "tag tag-support" }, t("mod.agenda_current")));
      else if (role === "moderator" && state.room.status !== "ended") {
        const b = cmdButton(t("mod.agenda_goto"), "agenda.goto", { index: it.i });
        named(b, it.title);
        go.replaceChildren(b);
      } else go.replaceChildren();
    });
  const area = $("#agenda-items");
  if (!area.dataset.dirty && document.activeElement !== area) area.value = items.map((it) => it.title).join("\n");
}

function renderPeople(state, role, me) {
  const people = state.participants.filter((p) => !p.removed && p.participant_id !== me);
  if (role === "clerk") {
    // A clerk's snapshot names only the people everyone hears of: the residents the
    // record knows are added, so 参会人员 counts the people 出席核对 lists.
    const listed = new Set(people.map((p) => p.participant_id));
    for (const a of attendanceOf(state)) {
      if (!listed.has(a.participant_id)) people.push({ ...a, role: "participant", online: a.mode === "online", in_hall: a.mode === "hall" });
    }
  }
  const online = people.filter((p) => p.online).length;
  const inHall = people.filter((p) => p.in_hall).length;
  setText($("#people-count"), t("mod.people_count", { n: people.length, online, hall: inHall }));
  reconcile($("#people-list"), people, (p) => p.participant_id,
    () => h("li", {}, h("span", { class: "who" }), h("span", { class: "ctl qextra" })),
    (li, p) => {
      const bits = [shownName(p.name)];
      // Her role after her name, unless it is her name ("主持人", the default), said once.
      if (p.role && p.role !== "participant" && shownName(p.name) !== t(`role.${p.role}`)) bits.push(`· ${t(`role.${p.role}`)}`);
      const where = p.in_hall ? t("mod.in_hall") : p.online ? t("mod.online") : t("mod.offline");
      const muted = p.muted_until && p.muted_until > client.now() ? ` · ${t("mod.muted_until", { time: timeOfDay(p.muted_until, lang()) })}` : "";
      const dup = dupIds.has(p.participant_id) ? ` · ⚠ ${t("con.dup_tag")}` : "";
      setText($(".who", li), `${bits.join(" ")} · ${where}${muted}${dup}`);
      li.classList.toggle("dup", dupIds.has(p.participant_id));
      const ctl = $(".ctl", li);
      const waiting = STANCES.some((s) => state.queue[s].some((e) => e.participant_id === p.participant_id));
      const ended = state.room.status === "ended";
      const sig = `${lang()}|${role}|${p.in_hall}|${waiting}|${p.role}|${Boolean(muted)}|${ended}`;
      if (ctl.dataset.sig === sig) return;
      ctl.dataset.sig = sig;
      const controls = [];
      if (ended) return ctl.replaceChildren();
      if (p.in_hall && p.role === "participant") {
        for (const s of STANCES) {
          const b = cmdButton(stanceLabel(s), "hand.raise", { stance: s, on_behalf_of: p.participant_id });
          named(b, p.name);
          controls.push(b);
        }
        if (waiting) {
          const b = cmdButton(t("mod.lower_for_short"), "hand.lower", { on_behalf_of: p.participant_id });
          named(b, p.name);
          controls.push(b);
        }
      }
      if (role === "moderator" && p.role === "participant") {
        const mute = muted
          ? cmdButton(t("mod.unmute"), "participant.mute", { participant_id: p.participant_id, seconds: 0 })
          : cmdButton(t("mod.mute"), "participant.mute", { participant_id: p.participant_id, seconds: 600 });
        named(mute, p.name);
        const remove = cmdButton(t("mod.remove"), "participant.remove", { participant_id: p.participant_id },
          { cls: "btn btn-small btn-danger", confirm: t("common.confirm_remove", { name: p.name }) });
        named(remove, p.name);
        controls.push(mute, remove);
      }
      ctl.replaceChildren(...controls);
    });
}

function pollControls(box, poll, role) {
  const ballots = poll.ballots && !poll.secret ? Object.entries(poll.ballots) : [];
  const by = ballotBy.get(poll.poll_id) || {};
  if (role === "clerk") return proxyBallot(box, poll);
  const sig = `${poll.status}|${lang()}|${role}|${JSON.stringify(ballots)}|${JSON.stringify(by)}|${client.state.room.status}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const open = box.querySelector("details[open]") !== null;
  const nameOf = (pid) => (client.state.participants.find((p) => p.participant_id === pid) || {}).name || pid;
  const roll = ballots.length
    ? h("details", { open }, h("summary", {}, t("mod.poll_roll", { n: ballots.length })),
      h("ul", { class: "plain" }, ...ballots.map(([pid, choices]) => {
        // A ballot cast for an attendee in the hall says who cast it (poll.ballot's `by`).
        const cast = by[pid] ? t("staff.cast_by", { name: nameOf(by[pid]) }) : "";
        return h("li", {}, `${nameOf(pid)}：${ballotText(poll, choices)}${cast}`);
      })))
    : null;
  if (role !== "moderator") return box.replaceChildren();
  if (client.state.room.status === "ended") return box.replaceChildren(roll || "");
  if (poll.status === "open") {
    const close = cmdButton(t("mod.poll_close"), "poll.close", { poll_id: poll.poll_id }, { cls: "btn btn-secondary" });
    named(close, poll.question);
    return box.replaceChildren(close, roll || "");
  }
  const record = h("button", { class: "btn btn-secondary", type: "button" }, t("mod.poll_to_decision"));
  record.addEventListener("click", () => {
    const counts = poll.counts || [];
    const summary = (poll.options || []).map((o, i) => `${o} ${counts[i] ?? 0}`).join(lang() === "zh" ? "，" : ", ");
    const area = $("#decision-text");
    area.value = t("mod.poll_decision_text", { q: poll.question, summary });
    area.dataset.pollId = poll.poll_id;
    area.focus();
  });
  box.replaceChildren(record, roll || "");
}

/**
 * A message's actions. A held message can be approved or removed, not pinned
 * (only a visible message can be: chat.pin answers conflict); once the session
 * has ended nothing can be done to chat at all.
 */
function messageControls(box, m, held, ended) {
  const sig = `${held}|${ended}|${lang()}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const controls = [];
  if (ended) return box.replaceChildren();
  if (held) controls.push(cmdButton(t("mod.approve"), "chat.approve", { message_id: m.message_id }, { cls: "btn btn-small btn-primary" }));
  else controls.push(cmdButton(t("mod.pin"), "chat.pin", { message_id: m.message_id }));
  controls.push(cmdButton(t("mod.remove_msg"), "chat.remove", { message_id: m.message_id }, { cls: "btn btn-small btn-danger" }));
  for (const c of controls) named(c, `${m.name} “${(m.text || "").slice(0, 30)}”`);
  box.replaceChildren(...controls);
}

/**
 * An action's status and progress note (action.update {status, note}), with the
 * latest update shown: what an office reports back, and when.
 */
function actionControls(box, a) {
  const updates = a.updates || [];
  const sig = `${a.status}|${lang()}|${updates.length}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const id = `act-${a.action_id}`;
  const select = h("select", { id }, ...["open", "in_progress", "done", "dropped"].map((s) => h("option", { value: s, selected: s === a.status }, t(`action.status.${s}`))));
  const note = h("textarea", { id: `${id}-note`, rows: "2", maxlength: "2000" });
  const form = h("form", { class: "act-form" },
    h("label", { for: id }, t("mod.action_status_of", { title: a.title })), select,
    h("label", { for: `${id}-note` }, t("staff.action_note")), note,
    h("button", { class: "btn btn-small btn-secondary", type: "submit" }, t("mod.action_update")));
  onSubmit(form, () => t("mod.action_update"), async () => {
    const args = { action_id: a.action_id, status: select.value };
    if (note.value.trim()) args.note = note.value.trim();
    await send("action.update", args);
    notify(t("common.done", { action: t("mod.action_update") }), { kind: "ok" });
  });
  box.replaceChildren(updateLine(a) || "", form);
}

/** The latest progress note of an action, with who wrote it and when, or null. */
function updateLine(a) {
  const last = (a.updates || []).slice().reverse().find((u) => u.note);
  return last ? h("p", { class: "act-update hint" }, t("staff.action_last", { note: last.note, by: last.by || "", time: timeOfDay(last.at, lang()) })) : null;
}

function lastUpdate(box, a) {
  const sig = `${(a.updates || []).length}|${lang()}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  box.replaceChildren(updateLine(a) || "");
}

/** Held-message reasons (the moderation pipeline's codes) in words; none: the room holds every message. */
function reasonWords(reasons) {
  const list = (reasons || []).map((r) => {
    const words = t(`staff.reason.${r}`);
    return words === `staff.reason.${r}` ? t("staff.reason.other") : words;
  });
  return list.length ? list.join(lang() === "zh" ? "；" : "; ") : t("staff.reason.premoderated");
}

/** The page is the role's own: its title and brand say whose desk it is. */
function pageFor(role) {
  if (role === roleShown) return;
  roleShown = role;
  const key = role === "clerk" ? "staff.title_clerk" : role === "office" ? "staff.title_office" : "mod.brand";
  document.body.dataset.titleKey = role === "moderator" ? "mod.doc_title" : key;
  $(".topbar .brand").dataset.i18n = key;
  document.body.classList.toggle(`role-${role}`, true);
  // An office follows up the actions: they come first.
  if (role === "office") {
    $(".col-b").prepend($("#outcomes"));
    $("#jump").prepend($('#jump a[href="#outcomes"]'));
  }
  applyStatic();
}

/** After session.end: what is left to do, in order, each a click away. */
function renderAfter(state, role) {
  const ended = state.room.status === "ended";
  show($("#after"), ended && (role === "moderator" || role === "clerk"));
  if (!ended) return;
  const published = Boolean(state.room.minutes_published);
  $("#after-publish").classList.toggle("done", published);
  show($("#after-publish-btn"), !published);
  const link = $("#after-published-link");
  show(link, published);
  const murl = state.room.minutes_url || `/r/${roomId}/minutes`;
  link.href = murl;
  setText(link, t("staff.published_at", { url: murl.startsWith("/") ? location.origin + murl : murl }));
  setText($("#after-text"), t(role === "clerk" ? "staff.after_text_clerk" : "staff.after_text"));
}

/**
 * The record so far from the draft minutes (moderators and clerks may read it):
 * the welcome snapshot carries no statements, so a clerk who joined late (or a
 * second device) would see only those posted since. Also the attendance a
 * clerk checks: the snapshot lists only the people a clerk hears of.
 */
let recordTimer = 0;
async function loadRecord({ strict = false } = {}) {
  const role = client && client.state ? client.state.you.role || "moderator" : "";
  if (role !== "moderator" && role !== "clerk") return;
  try {
    const m = await api(`/api/rooms/${encodeURIComponent(roomId)}/minutes?format=json&copy=moderator`, { token });
    const statements = [];
    for (const item of m.agenda || []) {
      for (const turn of item.turns || []) {
        for (const st of turn.statements || []) {
          statements.push({ statement_id: st.statement_id, text: st.text, at: st.at, name: turn.speaker, stance: turn.stance, participant_id: turn.participant_id });
        }
      }
    }
    record = { statements, attendance: m.attendance || [], at: Date.now() };
    render();
  } catch (err) {
    if (strict) throw err;
    /* the live record still shows what arrives from now on */
  }
}

function scheduleRecord() {
  clearTimeout(recordTimer);
  recordTimer = setTimeout(() => loadRecord(), 1500);
}

/** The state with the draft's statements merged in (by id, in time order). */
function withRecord(state) {
  if (!record || !record.statements.length) return state;
  const seen = new Set(state.statements.map((x) => x.statement_id));
  const merged = [...record.statements.filter((x) => !seen.has(x.statement_id)), ...state.statements];
  merged.sort((a, b) => (a.at || 0) - (b.at || 0));
  return { ...state, statements: merged };
}

/**
 * A clerk's attendance check: every resident by name, marked in the hall,
 * online, or not (yet) come. From the draft minutes (the whole room), with the
 * live in-hall marks of the snapshot on top.
 */
function renderAttendance(state, role) {
  if (role !== "clerk") return;
  const list = attendanceOf(state);
  const count = (m) => list.filter((p) => p.mode === m).length;
  setText($("#att-count"), t("staff.att_count", { n: list.length, hall: count("hall"), online: count("online"), absent: count("absent") }));
  reconcile($("#att-list"), list, (p) => p.participant_id,
    () => h("li", {}, h("span", { class: "att-name" }), " ", h("span", { class: "tag" })),
    (li, p) => {
      setText($(".att-name", li), p.name);
      const tag = $(".tag", li);
      tag.className = `tag tag-att-${p.mode}`;
      setText(tag, t(`staff.att_${p.mode}`));
    });
}

/** Every resident of the room, from the record and the snapshot: in the hall, online or absent. */
function attendanceOf(state) {
  const people = new Map();
  for (const p of (record && record.attendance) || []) {
    if (p.role === "participant" && !p.removed) people.set(p.participant_id, { participant_id: p.participant_id, name: p.name, mode: p.mode });
  }
  for (const p of state.participants) {
    if ((p.role || "participant") !== "participant" || p.removed) continue;
    const had = people.get(p.participant_id);
    const mode = p.in_hall ? "hall" : p.online ? "online" : had ? had.mode : "absent";
    people.set(p.participant_id, { participant_id: p.participant_id, name: p.name, mode });
  }
  return [...people.values()].sort((a, b) => ["hall", "online", "absent"].indexOf(a.mode) - ["hall", "online", "absent"].indexOf(b.mode));
}

/**
 * A clerk casts a ballot for an attendee seated in the hall (poll.vote with
 * on_behalf_of; the server refuses anyone else). A named poll's ballot says
 * who cast it (poll.ballot's `by`); a secret poll's is sealed like any other
 * and names nobody. The clerk does not see who has voted (ballots go to
 * moderators only), so the console remembers whom it voted for.
 */
function proxyBallot(box, poll) {
  const state = client.state;
  const seated = state.participants.filter((p) => p.in_hall && !p.removed && (p.role || "participant") === "participant");
  const done = proxyBallots.get(poll.poll_id) || new Map();
  const revote = Boolean(state.room.settings.revote);
  const choosable = seated.filter((p) => revote || !done.has(p.participant_id));
  const open = poll.status === "open" && state.room.status === "live";
  const sig = `${poll.status}|${state.room.status}|${lang()}|${choosable.map((p) => p.participant_id + p.name).join(",")}|${[...done.values()].join(",")}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const doneLine = done.size ? h("p", { class: "hint proxy-done" }, t("staff.proxy_done", { names: [...done.values()].join("、") })) : null;
  if (!open || !choosable.length) {
    const why = open ? (seated.length ? "" : t("staff.proxy_none")) : "";
    return box.replaceChildren(...[doneLine, why ? h("p", { class: "hint" }, why) : null].filter(Boolean));
  }
  const id = `proxy-${poll.poll_id}`;
  const who = h("select", { id: `${id}-who` }, ...choosable.map((p) => h("option", { value: p.participant_id }, p.name)));
  if (isOrdered(poll)) return box.replaceChildren(proxyOrdered(poll, who, seated), doneLine || "");
  const multi = poll.kind === "multi";
  const options = (poll.options || []).map((_, i) => h("label", { class: "check" },
    h("input", { type: multi ? "checkbox" : "radio", name: `${id}-choice`, value: String(i) }), ` ${optionLabel(poll, i)}`));
  const submit = h("button", { class: "btn btn-primary", type: "submit" }, t("staff.proxy_vote"));
  const form = h("form", { class: "proxy" },
    h("fieldset", {}, h("legend", {}, t("staff.proxy_title")),
      h("label", { for: `${id}-who` }, t("staff.proxy_who")), who,
      h("fieldset", { class: "choices" }, h("legend", {}, t("staff.proxy_choice")), ...options),
      h("p", { class: "hint" }, poll.secret ? t("staff.proxy_secret") : t("staff.proxy_named")),
      submit));
  onSubmit(form, () => t("staff.proxy_vote"), async () => {
    const choices = $$("input:checked", form).map((x) => Number(x.value));
    if (!choices.length) throw { code: "bad_command" };
    const pid = who.value;
    const name = (seated.find((p) => p.participant_id === pid) || {}).name || "";
    await send("poll.vote", { poll_id: poll.poll_id, choices, on_behalf_of: pid });
    if (!proxyBallots.has(poll.poll_id)) proxyBallots.set(poll.poll_id, new Map());
    proxyBallots.get(poll.poll_id).set(pid, name);
    notify(t("staff.proxy_ok", { name }), { kind: "ok" });
    render();
  });
  box.replaceChildren(form, doneLine || "");
}


function renderSettings(state) {
  const form = $("#settings-form");
  if (form.dataset.dirty || form.contains(document.activeElement)) return;
  const s = state.room.settings;
  $("#set-turn").value = s.turn_seconds ?? 120;
  $("#set-policy").value = s.policy || "balanced";
  $("#set-chat").value = s.chat_mode || "open";
  $("#set-invite").value = s.invite_mode || "open";
  $("#set-lang").value = s.lang || "zh";
  $("#set-revote").checked = Boolean(s.revote);
  renderCueSetting(s);
}

// ---- issue 16: the hall screen's link and the time cues' setting --------------

/**
 * The hall screen's link (POST /api/rooms/{id}/screen: an observer's token, never
 * the moderator's), made once and kept for this tab like the staff links.
 */
const screenKey = () => `yishi.screen:${roomId}:${fingerprint(token)}`;

async function screenLink() {
  try {
    const kept = sessionStorage.getItem(screenKey());
    if (kept) return kept;
  } catch {
    /* storage blocked: a new link each time */
  }
  const r = await api(`/api/rooms/${encodeURIComponent(roomId)}/screen`, { method: "POST", token, body: {} });
  try {
    sessionStorage.setItem(screenKey(), r.url);
  } catch {
    /* kept for this page only */
  }
  return r.url;
}

function wireHall() {
  const open = $("#screen-open");
  open.addEventListener("click", () => {
    // Opened inside the click (popup blockers), pointed at the link once it is made.
    const win = window.open("", "_blank");
    act(open, t("hall.open"), async () => {
      try {
        const url = await screenLink();
        if (win) {
          win.opener = null;
          win.location.href = url;
        } else {
          location.assign(url);
        }
      } catch (err) {
        if (win) win.close();
        throw err;
      }
    });
  });
  const copyBtn = $("#screen-copy");
  copyBtn.addEventListener("click", () => act(copyBtn, t("hall.copy"), async () => copy(await screenLink(), copyBtn)));
}

/** The cues as the form shows them: "30, 10"; hidden in rooms whose rules predate them. */
function renderCueSetting(s) {
  const has = Array.isArray(s.cue_seconds);
  show($("#set-cues-row"), has);
  if (has) $("#set-cues").value = s.cue_seconds.join(lang() === "zh" ? "，" : ", ");
}

/** The form's cues if they changed (at most 3 whole seconds, 1..600): a list, or null. */
function cuePatch(s) {
  if (!Array.isArray(s.cue_seconds)) return null;
  const raw = $("#set-cues").value.trim();
  const parts = raw ? raw.split(/[\s,，、;；]+/).filter(Boolean) : [];
  const seconds = parts.map(Number);
  if (seconds.length > 3 || seconds.some((n) => !Number.isInteger(n) || n < 1 || n > 600) || new Set(seconds).size !== seconds.length) {
    $("#set-cues").focus();
    throw { code: "bad_command" };
  }
  seconds.sort((a, b) => b - a);
  return seconds.join(",") === s.cue_seconds.join(",") ? null : seconds;
}

// ---- issue 16, part 3: ranked and score polls, quorum and thresholds (ballot.js) ----

/** The form's rows for the kind: a score poll's top score; no threshold for multi or score. */
function syncRules() {
  const k = $("#poll-kind").value;
  show($("#poll-score-row"), k === "score");
  const noThreshold = k === "multi" || k === "score";
  $("#poll-threshold").disabled = noThreshold;
  if (noThreshold) $("#poll-threshold").value = "";
  show($("#poll-threshold-note"), noThreshold);
  $("#poll-threshold-base").disabled = noThreshold || !$("#poll-threshold").value;
}

/** poll.open's rules 6 arguments from the form (only those set). */
function pollRuleArgs(k) {
  const args = {};
  if (k === "score") args.max_score = Math.min(10, Math.max(1, Number($("#poll-max-score").value) || 5));
  const quorum = Number($("#poll-quorum").value);
  if (Number.isInteger(quorum) && quorum >= 1) args.quorum = quorum;
  const threshold = $("#poll-threshold").value;
  if (threshold && k !== "multi" && k !== "score") {
    args.threshold = threshold;
    args.threshold_base = $("#poll-threshold-base").value;
  }
  return args;
}

/** A clerk's ranked or score ballot for an attendee in the hall (the resident's form). */
function proxyOrdered(poll, who, seated) {
  return orderedBallot(poll, {
    header: [h("label", { for: who.id }, t("staff.proxy_who")), who,
      h("p", { class: "hint" }, poll.secret ? t("staff.proxy_secret") : t("staff.proxy_named"))],
    send: (args, button) => act(button, t("staff.proxy_vote"), async () => {
      const pid = who.value;
      const name = (seated.find((p) => p.participant_id === pid) || {}).name || "";
      await send("poll.vote", { poll_id: poll.poll_id, ...args, on_behalf_of: pid });
      if (!proxyBallots.has(poll.poll_id)) proxyBallots.set(poll.poll_id, new Map());
      proxyBallots.get(poll.poll_id).set(pid, name);
      notify(t("staff.proxy_ok", { name }), { kind: "ok" });
      render();
    }),
  });
}

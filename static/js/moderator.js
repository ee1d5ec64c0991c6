// The moderator console (also used by clerks and offices with their own
// tokens: sections carry data-roles and show only to those roles). The token
// comes from the URL fragment (#token=...), which never reaches a server log.

import { RoomClient, savedRoom, saveRoom } from "./client.js";
import { $, $$, h, reconcile, setText, show } from "./dom.js";
import { initI18n, lang, onLangChange, roomDefault, t } from "./i18n.js";
import {
  act, agendaLine, notify, optionLabel, renderBalance, renderChat, renderConnection, renderFloor,
  renderOutcomes, renderPolls, renderQueue, renderStatements, stanceLabel, statusLabel, tickTimer,
} from "./ui.js";
import { api, clock, roomIdFromPath, STANCES, timeOfDay, takeToken } from "./util.js";
import { mountVoice } from "./voice.js";

const roomId = roomIdFromPath();
const token = takeToken();
const params = new URLSearchParams(location.search);
const storeKey = `yishi.mod.${roomId}`;
let client = null;
let voice = null;
let renderQueued = false;
let inviteUrl = "";

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
  client.addEventListener("welcome", () => roomDefault(client.state.room.settings.lang));
  client.addEventListener("event", (e) => onEvent(e.detail));
  client.addEventListener("fatal", (e) => {
    saveRoom(storeKey, {});
    gone({ 4001: "unauthorized", 4003: "removed", 4004: "no_room" }[e.detail.code]);
  });
  window.addEventListener("pagehide", () => client.flush());
  window.yishiClient = client; // for the console and the browser tests
  wire();
  voice = mountVoice(client, { mode: "console" });
  client.start();
  setInterval(tick, 250);
  loadSummary();
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

/**
 * The invite QR code needs the moderator's token (it lets anyone in), so it cannot
 * be a plain <img src>: fetch it with the token and show it as a data: URL (the page's
 * policy allows data: images; an SVG shown as an image runs no script).
 */
async function loadQr() {
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(roomId)}/qr.svg`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!res.ok || !(res.headers.get("content-type") || "").startsWith("image/svg+xml")) return;
    const blob = await res.blob();
    const url = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(new Blob([blob], { type: "image/svg+xml" }));
    });
    $("#qr-img").src = url;
    $("#qr-full-img").src = url;
  } catch {
    /* offline: the invite link still shows as text */
  }
}

async function loadSummary() {
  loadQr();
  try {
    const s = await api(`/api/rooms/${encodeURIComponent(roomId)}`);
    // The summary may name the invite link; the QR code carries it either way.
    inviteUrl = s.invite_url || (s.invite_code ? `${location.origin}/r/${roomId}?invite=${s.invite_code}` : "");
    render();
  } catch {
    /* the QR code still works */
  }
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
  next.addEventListener("click", () => act(next, t("mod.next_go"), () => send("turn.next")));
  const skip = $("#skip-btn");
  skip.addEventListener("click", () => {
    const n = client.state.queue.next;
    if (!n) return;
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
    const copyBtn = h("button", { class: "btn btn-small btn-secondary", type: "button" }, t("common.copy"));
    copyBtn.addEventListener("click", () => copy(link, copyBtn));
    $("#staff-list").append(h("li", {}, h("p", {}, h("strong", {}, name), ` (${t(`role.${role}`)})`), h("p", { class: "link-out" }, link), copyBtn));
    $("#staff-name").value = "";
  });

  // Polls.
  const kind = $("#poll-kind");
  const syncKind = () => {
    show($("#poll-options-row"), kind.value !== "yes_no_abstain");
    show($("#poll-max-row"), kind.value === "multi");
  };
  kind.addEventListener("change", syncKind);
  syncKind();
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

  onSubmit($("#settings-form"), () => t("mod.settings"), async () => {
    const s = client.state.room.settings;
    const patch = {};
    const turn = Number($("#set-turn").value);
    if (turn && turn !== s.turn_seconds) patch.turn_seconds = Math.max(1, Math.min(3600, Math.round(turn)));
    for (const [id, key] of [["#set-policy", "policy"], ["#set-chat", "chat_mode"], ["#set-invite", "invite_mode"], ["#set-lang", "lang"]]) {
      if ($(id).value !== s[key]) patch[key] = $(id).value;
    }
    if ($("#set-revote").checked !== Boolean(s.revote)) patch.revote = $("#set-revote").checked;
    if (!Object.keys(patch).length) return;
    await send("settings.update", patch);
    $("#settings-form").dataset.dirty = "";
    notify(t("common.done", { action: t("mod.settings") }), { kind: "ok" });
  });
  $("#settings-form").addEventListener("input", () => ($("#settings-form").dataset.dirty = "1"));
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
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: `minutes-${roomId}.${fmt}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function onEvent(ev) {
  const el = $("#announcer");
  if (ev.type === "chat.held") el.textContent = t("mod.held_arrived", { name: ev.data.name || "" });
  if (ev.type === "turn.ended" && ev.data.reason === "expired") el.textContent = t("mod.turn_expired");
}

function tick() {
  if (client && client.state && client.state.turn) tickTimer($(".floor-timer"), client.state.turn, client);
}

function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    if (client && client.state) renderConsole(client.state);
  });
}

/** Why the policy picks `next` (the server says who; this says why, in words). */
function whyNext(state) {
  const next = state.queue.next;
  if (!next) return "";
  const side = next.stance;
  const policy = state.room.settings.policy || "balanced";
  const b = state.balance || {};
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
  for (const el of $$("[data-roles]")) show(el, el.dataset.roles.split(" ").includes(role));

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
  const next = state.queue.next;
  setText($("#next-who"), next ? `${next.name}（${stanceLabel(next.stance)}）` : t("mod.next_none"));
  setText($("#next-why"), whyNext(state));
  $("#next-btn").disabled = !next || Boolean(state.turn) || !live;
  $("#skip-btn").disabled = !next;
  setText($("#next-busy"), state.turn ? t("mod.next_busy") : !live ? t("raise.not_started") : "");

  renderQueue($("#queue"), state, {
    extra: role === "moderator" ? (box, e) => queueControls(box, e, state) : null,
  });
  renderBalance($("#balance"), state);
  renderStatements($("#statement-list"), state);
  renderAgenda(state, role);
  renderPeople(state, role, me);

  // Invite.
  setText($("#invite-link"), inviteUrl);
  show($("#invite-link-line"), Boolean(inviteUrl));

  // Polls.
  show($("#polls-empty"), !state.polls.length);
  renderPolls($("#poll-list"), state, (box, poll) => pollControls(box, poll, role));

  // Review queue and chat.
  const held = state.held || [];
  setText($("#review-count"), held.length ? `(${held.length})` : "");
  show($("#review-empty"), !held.length);
  renderChat($("#held-list"), held, {
    extra: (box, m) => messageControls(box, m, true),
  });
  for (const li of $$("#held-list > li")) {
    const m = held.find((x) => String(x.message_id) === li.dataset.key);
    let r = $(".reasons", li);
    if (!r) li.insertBefore((r = h("p", { class: "reasons" })), $(".msg-actions", li));
    setText(r, m && m.reasons && m.reasons.length ? t("mod.reasons", { reasons: m.reasons.join(lang() === "zh" ? "、" : ", ") }) : "");
  }
  renderChat($("#chat-list"), state.chat, { you: me, extra: role === "moderator" ? (box, m) => messageControls(box, m, false) : null });

  renderOutcomes($("#decision-list"), $("#action-list"), state, {
    actionExtra: role === "moderator" || role === "office" ? (box, a) => actionControls(box, a) : null,
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
}

function queueControls(box, e, state) {
  if (box.dataset.sig === `${e.participant_id}|${lang()}`) {
    for (const b of $$("button", box)) if (b.dataset.grant) b.disabled = Boolean(state.turn);
    return;
  }
  box.dataset.sig = `${e.participant_id}|${lang()}`;
  const grant = cmdButton(t("mod.grant"), "turn.grant", { participant_id: e.participant_id, stance: e.stance });
  grant.dataset.grant = "1";
  grant.disabled = Boolean(state.turn);
  named(grant, e.name);
  const remove = cmdButton(t("mod.queue_remove"), "queue.remove", { participant_id: e.participant_id });
  named(remove, e.name);
  box.replaceChildren(grant, remove);
}

function renderAgenda(state, role) {
  const { items, current } = state.room.agenda;
  reconcile($("#agenda-list"), items.map((it, i) => ({ ...it, i })), (it) => `${it.item_id || it.title}`,
    () => h("li", {}, h("span", { class: "title" }), h("span", { class: "go" })),
    (li, it) => {
      setText($(".title", li), `${it.i + 1}. ${it.title}`);
      li.classList.toggle("current", it.i === current);
      const go = $(".go", li);
      const sig = `${it.i}|${it.i === current}|${lang()}|${role}`;
      if (go.dataset.sig === sig) return;
      go.dataset.sig = sig;
      if (it.i === current) go.replaceChildren(h("span", { class: "tag tag-support" }, t("mod.agenda_current")));
      else if (role === "moderator") {
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
  const online = people.filter((p) => p.online).length;
  const inHall = people.filter((p) => p.in_hall).length;
  setText($("#people-count"), t("mod.people_count", { n: people.length, online, hall: inHall }));
  reconcile($("#people-list"), people, (p) => p.participant_id,
    () => h("li", {}, h("span", { class: "who" }), h("span", { class: "ctl qextra" })),
    (li, p) => {
      const bits = [p.name];
      if (p.role && p.role !== "participant") bits.push(`· ${t(`role.${p.role}`)}`);
      const where = p.in_hall ? t("mod.in_hall") : p.online ? t("mod.online") : t("mod.offline");
      const muted = p.muted_until && p.muted_until > client.now() ? ` · ${t("mod.muted_until", { time: timeOfDay(p.muted_until, lang()) })}` : "";
      setText($(".who", li), `${bits.join(" ")} · ${where}${muted}`);
      const ctl = $(".ctl", li);
      const waiting = STANCES.some((s) => state.queue[s].some((e) => e.participant_id === p.participant_id));
      const sig = `${lang()}|${role}|${p.in_hall}|${waiting}|${p.role}|${Boolean(muted)}`;
      if (ctl.dataset.sig === sig) return;
      ctl.dataset.sig = sig;
      const controls = [];
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
  const sig = `${poll.status}|${lang()}|${role}|${JSON.stringify(ballots)}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const open = box.querySelector("details[open]") !== null;
  const roll = ballots.length
    ? h("details", { open }, h("summary", {}, t("mod.poll_roll", { n: ballots.length })),
      h("ul", { class: "plain" }, ...ballots.map(([pid, choices]) => {
        const name = (client.state.participants.find((p) => p.participant_id === pid) || {}).name || pid;
        return h("li", {}, `${name}：${(choices || []).map((i) => optionLabel(poll, i)).join("、")}`);
      })))
    : null;
  if (role !== "moderator") return box.replaceChildren();
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

function messageControls(box, m, held) {
  const sig = `${held}|${lang()}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const controls = [];
  if (held) controls.push(cmdButton(t("mod.approve"), "chat.approve", { message_id: m.message_id }, { cls: "btn btn-small btn-primary" }));
  controls.push(cmdButton(t("mod.pin"), "chat.pin", { message_id: m.message_id }));
  controls.push(cmdButton(t("mod.remove_msg"), "chat.remove", { message_id: m.message_id }, { cls: "btn btn-small btn-danger" }));
  for (const c of controls) named(c, `${m.name} “${(m.text || "").slice(0, 30)}”`);
  box.replaceChildren(...controls);
}

function actionControls(box, a) {
  const sig = `${a.status}|${lang()}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const id = `act-${a.action_id}`;
  const select = h("select", { id }, ...["open", "in_progress", "done", "dropped"].map((s) => h("option", { value: s, selected: s === a.status }, t(`action.status.${s}`))));
  const btn = h("button", { class: "btn btn-small btn-secondary", type: "button" }, t("mod.action_update"));
  btn.addEventListener("click", () => act(btn, t("mod.action_update"), () => send("action.update", { action_id: a.action_id, status: select.value })));
  box.replaceChildren(h("div", { class: "row" }, h("label", { for: id }, t("mod.action_status_of", { title: a.title })), select, btn));
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
}

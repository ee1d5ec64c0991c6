// The moderator console (also used by clerks and offices with their own
// tokens: sections carry data-roles and show only to those roles). The token
// comes from the URL fragment (#token=...), which never reaches a server log.
//
// This module starts the console and lays out its header; each panel is a
// module of its own (console_*.js), mounted once with `page`, the console's one
// store: the room, the token, the client, and each panel's renderer.

import { Announcer, watchRoom } from "./announce.js";
import { RoomClient, savedRoom, saveRoom } from "./client.js";
import { $, $$, setText, show } from "./dom.js";
import { applyStatic, initI18n, onLangChange, roomDefault, t } from "./i18n.js";
import { agendaLine, renderBalance, renderConnection, statusLabel, tickTimer } from "./ui.js";
import { roomIdFromPath, takeToken } from "./util.js";
import { mountVoice } from "./voice.js";
import { mountApproval } from "./approval.js";
import { fingerprint } from "./console_tools.js";
import { renderFloorPanel, renderNext, wireFloor, wireShortcuts } from "./console_floor.js";
import { mountQueue } from "./console_queue.js";
import { mountAgenda } from "./console_agenda.js";
import { mountPeople } from "./console_people.js";
import { mountInvite } from "./console_invite.js";
import { mountPolls } from "./console_polls.js";
import { mountChat } from "./console_chat.js";
import { mountRecord } from "./console_record.js";
import { mountMinutes } from "./console_minutes.js";
import { mountSettings } from "./console_settings.js";

const params = new URLSearchParams(location.search);
const page = {
  roomId: roomIdFromPath(),
  token: takeToken(),
  client: null,
  send: (cmd, args) => page.client.send(cmd, args),
  render,
  renderQueued: false,
  roleShown: "", // the role the page's title and brand were set for
  // Issue 16: what a screen reader hears (announce.js), in the console's one polite region.
  announcer: new Announcer({ polite: $("#announcer") }),
  panels: null, // set by mountPanels
  voice: null,
  approval: null, // the minutes' approval card (approval.js)
};
const storeKey = `yishi.mod.${page.roomId}`;

initI18n();
onLangChange(() => render());
main();

function main() {
  const { roomId, token } = page;
  if (!token) return gone("no_token");
  show($("#loading"), false);
  show($("#console"), true);
  const saved = savedRoom(storeKey);
  // The saved copy names its token by a fingerprint: the key itself stays in the URL only.
  const mark = fingerprint(token);
  const resume = saved && saved.mark === mark && saved.state ? { seq: saved.seq, state: saved.state } : null;
  const client = new RoomClient({
    roomId,
    token,
    saved: resume,
    prefer: params.get("proto") === "json" ? "json" : "msgpack",
    persist: (seq, state) => saveRoom(storeKey, { mark, seq, state }),
  });
  page.client = client;
  client.addEventListener("status", (e) => renderConnection($("#conn"), e.detail));
  client.addEventListener("change", render);
  client.addEventListener("welcome", () => {
    roomDefault(client.state.room.settings.lang);
    page.panels.record.load();
  });
  client.addEventListener("event", (e) => onEvent(e.detail));
  client.addEventListener("fatal", (e) => {
    saveRoom(storeKey, {});
    gone({ 4001: "unauthorized", 4003: "removed", 4004: "no_room" }[e.detail.code]);
  });
  window.addEventListener("pagehide", () => client.flush());
  window.yishiClient = client; // for the console and the browser tests
  page.panels = mountPanels();
  page.voice = mountVoice(client, { mode: "console" });
  page.approval = mountApproval({ client, token, roomId, send: page.send });
  watchRoom(client, page.announcer);
  page.panels.invite.wireHall();
  client.start();
  setInterval(tick, 250);
  page.panels.invite.loadQr();
  page.panels.invite.renderStaff();
}

/** Each panel wires its own controls, once, in the page's order. */
function mountPanels() {
  wireFloor(page);
  const agenda = mountAgenda(page);
  const record = mountRecord(page);
  const people = mountPeople(page, record);
  const invite = mountInvite(page);
  const polls = mountPolls(page);
  const chat = mountChat(page);
  const minutes = mountMinutes(page);
  const settings = mountSettings(page);
  wireShortcuts(page);
  const queue = mountQueue(page);
  return { agenda, record, people, invite, polls, chat, minutes, settings, queue };
}

function gone(reason) {
  if (page.client) page.client.stop();
  show($("#loading"), false);
  show($("#console"), false);
  show($("#gone-view"), true);
  setText($("#gone-title"), t(`mod.gone.${reason}.title`));
  setText($("#gone-text"), t(`mod.gone.${reason}.text`));
}

function onEvent(ev) {
  const say = (text) => page.announcer.say(text);
  if (ev.type === "chat.held") say(t("mod.held_arrived", { name: ev.data.name || "" }));
  if (ev.type === "turn.ended" && ev.data.reason === "expired") say(t("mod.turn_expired"));
  if (ev.type === "session.ended") {
    say(t("staff.after_title"));
    page.panels.record.load();
  }
  page.panels.polls.onEvent(ev);
  if (ev.type === "participant.joined") page.panels.record.schedule();
}

function tick() {
  const { client } = page;
  if (client && client.state && client.state.turn) {
    tickTimer($(".floor-timer"), client.state.turn, client);
    // The prediction moves with the speaker's time: keep it current.
    renderNext(client, client.state);
  }
}

function render() {
  if (page.renderQueued) return;
  page.renderQueued = true;
  requestAnimationFrame(() => {
    page.renderQueued = false;
    if (page.client && page.client.state) renderConsole(page.client.state);
  });
}

function renderConsole(state) {
  const { panels } = page;
  const you = state.you;
  const role = you.role || "moderator";
  const ended = state.room.status === "ended";
  for (const el of $$("[data-roles]")) show(el, el.dataset.roles.split(" ").includes(role));
  // Once the session has ended, what would only answer `conflict` is not offered.
  if (ended) for (const el of $$("[data-until-ended]")) show(el, false);
  pageFor(role);
  panels.minutes.renderAfter(state, role);

  renderConnection($("#conn"), page.client.status);
  setText($("#room-title"), state.room.title || "");
  setText($("#room-topic"), state.room.topic || "");
  const status = $("#room-status");
  setText(status, statusLabel(state.room.status));
  status.className = `pill pill-${state.room.status || "pending"}`;
  setText($("#agenda-line"), agendaLine(state));
  const roleName = t(`role.${role}`);
  setText($("#me-line"), !you.name || you.name === roleName ? roleName : t("mod.me", { name: you.name, role: roleName }));

  renderFloorPanel(page.client, state, role);
  panels.queue.render(state, role);
  renderBalance($("#balance"), state);
  panels.record.render(state, role);
  panels.agenda.render(state, role);
  panels.people.render(state, role, you.participant_id);
  panels.invite.render(state);
  panels.polls.render(state, role);
  panels.chat.render(state, role);
  panels.minutes.render(state, role);
  panels.settings.render(state);
  page.voice.render(state);
  page.approval.render(state);
}

/** The page is the role's own: its title and brand say whose desk it is. */
function pageFor(role) {
  if (role === page.roleShown) return;
  page.roleShown = role;
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

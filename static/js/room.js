// The resident page: join form, then the room (floor, hand-raise, queue,
// balance, statements, polls, chat). The token and the last state are kept
// per room in localStorage, so a reload rejoins the same person and resumes
// with `since` instead of starting over.
//
// This module starts the page and lays out the room's header; each panel is a
// module of its own (room_*.js), mounted with `page`, the page's one store:
// the room, the client, the draft, and each panel's renderer.

import { Announcer, watchRoom } from "./announce.js";
import { RoomClient, savedRoom, saveRoom } from "./client.js";
import { $, setText, show } from "./dom.js";
import { applyStatic, initI18n, onLangChange, roomDefault, t } from "./i18n.js";
import { Chime, wireChimeToggle } from "./cues.js";
import { Draft } from "./draft.js";
import { mountFollowUp } from "./myrooms.js";
import { agendaLine, renderBalance, renderOutcomes, statusLabel } from "./ui.js";
import { clock, roomIdFromPath } from "./util.js";
import { mountVoice } from "./voice.js";
import { inviteModeText, recordsAudio, showJoin } from "./room_join.js";
import { mountLine } from "./room_line.js";
import { mountHand } from "./room_hand.js";
import { mountDraft } from "./room_draft.js";
import { mountTurn } from "./room_turn.js";
import { mountPolls } from "./room_polls.js";
import { mountTalk } from "./room_talk.js";

// A resident's page checks its line often while she looks at it, so "connected"
// is never shown for long over a dead network (docs/protocol.md: ping).
// A dead line shows within about 8 s even when the browser does not notice (a Wi-Fi
// that stops carrying); the browser's "offline" and a socket error show at once.
const PING_EVERY_MS = 4000;
const PING_TIMEOUT_MS = 4000;

const roomId = roomIdFromPath();
const page = {
  roomId,
  params: new URLSearchParams(location.search),
  storeKey: `yishi.room.${roomId}`,
  client: null,
  voice: null,
  panels: null, // set by enterRoom
  renderQueued: false,
  draft: new Draft(roomId),
  // Issue 16: what a screen reader hears (announce.js: assertive only for "your
  // turn"), and the room's time cues before her time runs out (cues.js).
  announcer: new Announcer({ polite: $("#announcer-polite"), assertive: $("#announcer") }),
  chime: new Chime(),
  /** Polite, always: "it's your turn", the one assertive announcement, is watchRoom's. */
  announce: (text) => page.announcer.say(text),
  render,
  view,
  gone,
  enterRoom,
};

initI18n();
onLangChange(() => render());
main();

function main() {
  const saved = savedRoom(page.storeKey);
  if (saved && saved.token) return enterRoom(saved);
  if (saved && saved.removed) return gone("removed");
  showJoin(page);
}

function view(name) {
  show($("#loading"), false);
  for (const v of ["join-view", "room-view", "gone-view"]) show($(`#${v}`), v === name);
}

function gone(reason) {
  if (page.client) page.client.stop();
  view("gone-view");
  setText($("#gone-title"), t(`gone.${reason}.title`));
  setText($("#gone-text"), t(`gone.${reason}.text`));
  const rejoin = $("#gone-rejoin");
  show(rejoin, reason === "unauthorized");
  rejoin.onclick = () => showJoin(page);
  document.title = t(`gone.${reason}.title`);
}

// ---- the room ------------------------------------------------------------

function enterRoom(saved) {
  const { storeKey } = page;
  view("room-view");
  const client = new RoomClient({
    roomId,
    token: saved.token,
    saved: saved.state ? { seq: saved.seq, state: saved.state } : null,
    prefer: page.params.get("proto") === "json" ? "json" : "msgpack",
    persist: (seq, state) => saveRoom(storeKey, { ...saved, seq, state }),
    pingEveryMs: PING_EVERY_MS,
    pingTimeoutMs: PING_TIMEOUT_MS,
  });
  page.client = client;
  const line = mountLine(client);
  client.addEventListener("change", render);
  client.addEventListener("welcome", () => {
    roomDefault(client.state.room.settings.lang);
    page.panels.hand.welcome();
  });
  client.addEventListener("event", (e) => onEvent(e.detail));
  client.addEventListener("fatal", (e) => {
    const reason = { 4001: "unauthorized", 4003: "removed", 4004: "no_room" }[e.detail.code];
    if (reason !== "no_room") saveRoom(storeKey, reason === "unauthorized" ? {} : { removed: true });
    gone(reason);
  });
  window.addEventListener("pagehide", () => client.flush());
  window.yishiClient = client; // for the console and the browser tests
  const hand = mountHand(page);
  const draft = mountDraft(page);
  const turn = mountTurn(page, draft);
  const talk = mountTalk(page);
  page.panels = { line, hand, draft, turn, talk, polls: mountPolls(page) };
  page.voice = mountVoice(client, { mode: "room" });
  watchRoom(client, page.announcer, {
    place: true,
    yourTurn: (current) => t("turn.yours_long", { time: clock(current.ends_at - current.started_at) }),
  });
  wireChimeToggle(page.chime, $("#chime-on"));
  client.start();
  mountFollowUp(client, roomId); // "my rooms" (/my) remembers this room and what it saw
  setInterval(turn.tick, 250);
  if (client.state) render();
}

function onEvent(ev) {
  page.panels.turn.onEvent(ev);
  // The poll is announced by its banner (a polite live region), not here.
  if (ev.type === "session.ended") page.announce(t("room.status.ended"));
  page.panels.hand.onEvent(ev);
}

function render() {
  if (page.renderQueued) return;
  page.renderQueued = true;
  requestAnimationFrame(() => {
    page.renderQueued = false;
    if (page.client && page.client.state) renderRoom(page.client.state);
  });
}

function renderRoom(state) {
  const { panels } = page;
  const you = state.you;
  panels.line.render();
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

  const mine = panels.turn.render(state);
  panels.hand.render(state, mine);
  renderBalance($("#balance"), state);
  panels.talk.renderStatements(state);
  panels.hand.renderPlace(state, you.queue_entry || null, mine);
  panels.polls.render(state);
  panels.talk.renderChat(state);
  renderOutcomes($("#decision-list"), $("#action-list"), state);
  page.voice.render(state);
  panels.turn.after(mine);
}

applyStatic();

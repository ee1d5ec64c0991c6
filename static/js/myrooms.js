// "My rooms", kept in this browser only (no account): each room the device
// joined, and what it has seen of each room's actions, so /my can say what
// changed since it last looked. One localStorage key, "yishi.my":
//
//   { rooms: { [room_id]: { title, joined_at, looked_at } },
//     seen:  { [room_id]: { actions: { [action_id]: "status|updates" },
//                           overdue: [action_id], minutes: bool } } }
//
// The resident page calls mountFollowUp(client, roomId) once; /my reads and
// writes the rest (static/js/my.js).

import { h } from "./dom.js";
import { onLangChange, t } from "./i18n.js";

const KEY = "yishi.my";

export function loadMy() {
  try {
    const kept = JSON.parse(localStorage.getItem(KEY) || "null");
    if (kept && typeof kept === "object") {
      return { rooms: kept.rooms || {}, seen: kept.seen || {} };
    }
  } catch {
    /* unreadable or blocked: start empty */
  }
  return { rooms: {}, seen: {} };
}

export function saveMy(my) {
  try {
    localStorage.setItem(KEY, JSON.stringify(my));
  } catch {
    /* storage full or blocked: the page still shows what it fetched */
  }
}

/** What a device has seen of an action: its status and how many changes it had. */
export function fingerprint(action) {
  return `${action.status || "open"}|${(action.updates || []).length}`;
}

/** Remember a room (the first time: when), keeping its title current. */
export function rememberRoom(my, roomId, title, now = Date.now()) {
  const room = my.rooms[roomId] || { joined_at: now, looked_at: 0 };
  room.title = title || room.title || "";
  my.rooms[roomId] = room;
  return my;
}

export function followUrl(roomId) {
  return `/my?room=${encodeURIComponent(roomId)}`;
}

/**
 * The resident page's hook: record the room and the actions it shows as seen,
 * and, once the session has ended, offer the way to follow it up.
 */
export function mountFollowUp(client, roomId) {
  let written = "";
  const link = h("p", { id: "follow-link", class: "follow-link", hidden: true },
    h("a", { class: "btn btn-secondary btn-block", href: followUrl(roomId) }));
  const label = () => { link.firstChild.textContent = t("my.follow_this"); };
  label();
  onLangChange(label);
  const anchor = document.getElementById("minutes-link");
  if (anchor) anchor.after(link);

  const update = () => {
    const state = client.state;
    if (!state || !state.room) return;
    link.hidden = state.room.status !== "ended";
    const actions = {};
    for (const a of state.actions || []) actions[a.action_id] = fingerprint(a);
    const now = JSON.stringify([state.room.title, actions]);
    if (now === written) return; // most changes (chat, queue) are not ours: write nothing
    written = now;
    const my = rememberRoom(loadMy(), roomId, state.room.title);
    const seen = my.seen[roomId] || { actions: {}, overdue: [], minutes: false };
    seen.actions = { ...seen.actions, ...actions };
    my.seen[roomId] = seen;
    saveMy(my);
  };
  client.addEventListener("welcome", update);
  client.addEventListener("change", update);
  if (client.state) update();
}

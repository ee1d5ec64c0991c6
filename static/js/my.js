// "My rooms" (/my): the rooms this device joined (static/js/myrooms.js) with
// each one's follow-up from GET /api/rooms/{id}/followup: its actions with
// their status, overdue and latest update, the minutes once published, and the
// room's Atom feed. What changed since the device last looked is marked, then
// remembered as seen. /my?room=ID adds that room (the link the room page
// offers after the session, and every feed entry's link).
//
// Made for the elderly: one page, big type, no taps needed to read it all.

import { $, h, show } from "./dom.js";
import { initI18n, lang, onLangChange, t } from "./i18n.js";
import { errorText } from "./ui.js";
import { api, dateOf } from "./util.js";
import { fingerprint, loadMy, rememberRoom, saveMy } from "./myrooms.js";

const params = new URLSearchParams(location.search);
let shown = []; // [{ roomId, view, error, news }]

initI18n();
onLangChange(() => draw());
main();

async function main() {
  const my = loadMy();
  const asked = params.get("room") || "";
  const ids = Object.keys(my.rooms)
    .sort((a, b) => (my.rooms[b].joined_at || 0) - (my.rooms[a].joined_at || 0));
  if (asked) ids.splice(0, ids.length, asked, ...ids.filter((id) => id !== asked));
  shown = await Promise.all(ids.map(async (roomId) => {
    try {
      const view = await api(`/api/rooms/${encodeURIComponent(roomId)}/followup`);
      return { roomId, view, error: null, news: newsOf(view, my.seen[roomId]) };
    } catch (err) {
      return { roomId, view: null, error: err, news: null };
    }
  }));
  show($("#loading"), false);
  draw();
  remember(my);
}

/** What changed since `seen` (nothing on the first look at a room). */
function newsOf(view, seen) {
  const news = { actions: new Set(), overdue: new Set(), minutes: false };
  if (!seen) return news;
  for (const a of view.actions) {
    if (seen.actions[a.action_id] !== fingerprint(a)) news.actions.add(a.action_id);
    if (a.overdue && !(seen.overdue || []).includes(a.action_id)) news.overdue.add(a.action_id);
  }
  news.minutes = Boolean(view.minutes_published && !seen.minutes);
  return news;
}

/** Everything drawn is now seen (the marks stay on this page until it reloads). */
function remember(my) {
  const now = Date.now();
  for (const { roomId, view } of shown) {
    if (!view) continue;
    rememberRoom(my, roomId, view.title, now).looked_at = now;
    my.seen[roomId] = {
      actions: Object.fromEntries(view.actions.map((a) => [a.action_id, fingerprint(a)])),
      overdue: view.actions.filter((a) => a.overdue).map((a) => a.action_id),
      minutes: Boolean(view.minutes_published),
    };
  }
  saveMy(my);
}

function forget(roomId, title) {
  if (!window.confirm(t("my.forget_confirm", { title }))) return;
  const my = loadMy();
  delete my.rooms[roomId];
  delete my.seen[roomId];
  saveMy(my);
  shown = shown.filter((s) => s.roomId !== roomId);
  draw();
  $("#main").focus();
}

function draw() {
  show($("#my-empty"), !shown.length && $("#loading").hidden);
  $("#my-rooms").replaceChildren(...shown.map(roomCard));
}

function roomCard({ roomId, view, error, news }) {
  const titleId = `room-${roomId}`;
  const forgetBtn = h("button", { class: "btn btn-ghost btn-small", type: "button",
    onclick: () => forget(roomId, (view && view.title) || roomId) }, t("my.forget"));
  if (!view) {
    return h("section", { class: "card my-room", "aria-labelledby": titleId, dataset: { room: roomId } },
      h("h2", { id: titleId }, t("my.unknown_room")),
      h("p", {}, error && error.code === "not_found" ? t("my.gone") : errorText(error)),
      forgetBtn);
  }
  const changed = news.actions.size + news.overdue.size + (news.minutes ? 1 : 0);
  const actions = view.actions.length
    ? h("ul", { class: "plain my-actions" }, ...view.actions.map((a) => actionItem(a, news)))
    : h("p", {}, t("my.no_actions"));
  return h("section", { class: `card my-room${changed ? " has-news" : ""}`,
    "aria-labelledby": titleId, dataset: { room: roomId } },
    h("h2", { id: titleId, class: "my-room-title" }, view.title || roomId),
    h("p", { class: "hint" }, statusLine(view)),
    changed ? h("p", { class: "my-news", role: "status" }, t("my.news", { n: changed })) : null,
    h("h3", {}, t("my.actions")),
    actions,
    view.minutes_url
      ? h("p", {}, h("a", { class: `btn btn-primary btn-block${news.minutes ? " is-new" : ""}`,
        href: view.minutes_url }, news.minutes ? t("my.minutes_new") : t("my.minutes")))
      : h("p", { class: "hint" }, t("my.minutes_not_yet")),
    h("div", { class: "my-feed" },
      h("p", { class: "hint" }, t("my.feed_hint")),
      h("a", { class: "feed-link", href: view.feed_url, type: "application/atom+xml" },
        t("my.feed")),
      h("p", { class: "feed-url" }, view.feed_url)),
    forgetBtn);
}

function actionItem(a, news) {
  const isNew = news.actions.has(a.action_id) || news.overdue.has(a.action_id);
  const latest = a.latest;
  return h("li", { class: `my-action${isNew ? " is-new" : ""}${a.overdue ? " is-overdue" : ""}`,
    dataset: { action: a.action_id } },
    h("p", { class: "my-action-title" }, h("strong", {}, a.title)),
    h("p", { class: "my-action-tags" },
      h("span", { class: `tag tag-status-${a.status}` }, t(`action.status.${a.status}`)),
      a.overdue ? [" ", h("span", { class: "tag tag-overdue" }, t("my.overdue"))] : null,
      isNew ? [" ", h("span", { class: "tag tag-new" }, t("my.new"))] : null),
    h("p", { class: "hint" }, t("action.meta", { owner: a.owner || "", due: a.due || "" })),
    latest ? h("p", { class: "my-latest" }, t(latest.note ? "my.latest_note" : "my.latest", {
      status: t(`action.status.${latest.status}`), note: latest.note || "", by: latest.by,
      date: dateOf(latest.at, lang()),
    })) : null);
}

function statusLine(view) {
  if (view.status === "ended") return t("my.ended", { date: dateOf(view.ended_at, lang()) });
  return view.status === "live" ? t("my.live") : t("my.pending");
}

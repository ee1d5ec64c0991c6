// The resident page's join form: the room's summary (title, agenda, whether it
// has ended), and her name and invite code, sent once for her token.

import { deviceSecret } from "./device.js";
import { $, h, setText, show } from "./dom.js";
import { applyStatic, roomDefault, t } from "./i18n.js";
import { errorText } from "./ui.js";
import { api } from "./util.js";
import { saveRoom } from "./client.js";

export function inviteModeText(mode) {
  return mode === "personal" ? t("invite.personal") : mode === "open" ? t("invite.open") : "";
}

/** The room keeps its speeches as audio (the summary or the settings say so). */
export function recordsAudio(room) {
  return Boolean(room && (room.record_audio || (room.settings && room.settings.record_audio)));
}

/**
 * The join form; `page` is the resident page (roomId, params, storeKey, view,
 * gone, enterRoom).
 */
export async function showJoin(page, message = "") {
  const { roomId } = page;
  page.view("join-view");
  const invite = page.params.get("invite") || "";
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
    if (err.code === "not_found") return page.gone("no_room");
  }
  $("#join-form").onsubmit = (ev) => onJoin(page, ev);
}

async function onJoin(page, ev) {
  ev.preventDefault();
  const nameInput = $("#join-name");
  const name = nameInput.value.trim();
  const invite = (page.params.get("invite") || $("#join-invite").value || "").trim();
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
    const r = await api(`/api/rooms/${encodeURIComponent(page.roomId)}/join`, { method: "POST", body: { invite, name, device } });
    const saved = { token: r.token, participant_id: r.participant_id, name };
    saveRoom(page.storeKey, saved);
    page.enterRoom(saved);
  } catch (err) {
    const inUse = err.code === "forbidden" && /device/.test(err.message || "");
    const key = inUse ? "join.code_in_use" : { unauthorized: "join.bad_invite", forbidden: "join.bad_invite", not_found: "join.bad_invite", rejected: "join.bad_name", too_large: "join.bad_name" }[err.code];
    setText(error, key ? t(key) : errorText(err));
  } finally {
    btn.disabled = false;
  }
}

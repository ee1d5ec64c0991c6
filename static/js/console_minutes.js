// The console's minutes: decisions, actions (and an office's progress notes),
// notes, the exports, publishing, and what is left to do once the session ends.

import { $, $$, h, reconcile, setText, show } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act, notify, renderOutcomes } from "./ui.js";
import { timeOfDay } from "./util.js";
import { saveResponse } from "./download.js";
import { localDate, onSubmit } from "./console_tools.js";

/** Wire the minutes' forms and buttons; `page` is the console (roomId, token, client, send, render). */
export function mountMinutes(page) {
  wireOutcomes(page);
  wirePublishing(page);
  return {
    renderAfter: (state, role) => renderAfter(page.roomId, state, role),
    render: (state, role) => renderMinutes(page, state, role),
  };
}

function wireOutcomes(page) {
  const { send } = page;
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
}

function wirePublishing(page) {
  const { roomId, token } = page;
  for (const b of $$("[data-export]")) b.addEventListener("click", () => act(b, t("mod.export", { fmt: b.textContent }), () => exportMinutes(page, b.dataset.export)));
  const publish = $("#publish-btn");
  publish.addEventListener("click", () => {
    if (!window.confirm(t("mod.publish_confirm"))) return;
    act(publish, t("mod.publish"), async () => {
      const r = await page.send("minutes.publish");
      if (r.minutes_url) page.client.state.room.minutes_url = r.minutes_url;
      notify(t("common.done", { action: t("mod.publish") }), { kind: "ok" });
      page.render();
    });
  });
  $("#draft-link").href = `/r/${encodeURIComponent(roomId)}/minutes#token=${encodeURIComponent(token)}`;
  $("#after-draft").setAttribute("href", $("#draft-link").getAttribute("href"));
  const word = $("#after-word-btn");
  word.addEventListener("click", () => act(word, t("staff.step_word_go"), () => exportMinutes(page, "docx")));
  $("#after-publish-btn").addEventListener("click", () => publish.click());
}

async function exportMinutes(page, fmt) {
  const { roomId, token } = page;
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

/** Decisions, actions, notes, and whether (and where) the minutes are published. */
function renderMinutes(page, state, role) {
  renderOutcomes($("#decision-list"), $("#action-list"), state, {
    actionExtra: role === "moderator" || role === "office" ? (box, a) => actionControls(page.send, box, a) : (box, a) => lastUpdate(box, a),
  });
  reconcile($("#note-list"), state.notes, (n) => n.note_id, () => h("li", {}), (li, n) => setText(li, `${timeOfDay(n.at, lang())} ${n.text}`));

  const published = Boolean(state.room.minutes_published);
  show($("#published-line"), published);
  const murl = state.room.minutes_url || `/r/${page.roomId}/minutes`;
  $("#published-link").href = murl;
  setText($("#published-link"), murl.startsWith("/") ? location.origin + murl : murl);
  setText($("#publish-btn"), published ? t("mod.republish") : t("mod.publish"));
}

/**
 * An action's status and progress note (action.update {status, note}), with the
 * latest update shown: what an office reports back, and when.
 */
function actionControls(send, box, a) {
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

/** After session.end: what is left to do, in order, each a click away. */
function renderAfter(roomId, state, role) {
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

// The landing page: what Yishi is, and a form for an administrator to create
// a room (POST /api/rooms with the admin token, which stays in this page).

import { $, setText, show } from "./dom.js";
import { initI18n, t } from "./i18n.js";
import { errorText } from "./ui.js";
import { api } from "./util.js";

initI18n();

$("#create-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const token = $("#c-admin").value.trim();
  const title = $("#c-title").value.trim();
  const topic = $("#c-topic").value.trim();
  const agenda = $("#c-agenda").value.split("\n").map((s) => s.trim()).filter(Boolean);
  setText($("#c-error"), "");
  if (!token || !title) {
    setText($("#c-error"), t("idx.need"));
    (!token ? $("#c-admin") : $("#c-title")).focus();
    return;
  }
  const btn = ev.submitter;
  if (btn) btn.disabled = true;
  try {
    const r = await api("/api/rooms", { method: "POST", token, body: { title, topic, agenda } });
    for (const [id, url] of [["#mod-link", r.moderator_url], ["#invite-link", r.invite_url]]) {
      $(id).href = url;
      setText($(id), url);
    }
    show($("#created"), true);
    $("#mod-link").focus();
  } catch (err) {
    setText($("#c-error"), err.code === "unauthorized" ? t("idx.bad_admin") : errorText(err));
  } finally {
    if (btn) btn.disabled = false;
  }
});

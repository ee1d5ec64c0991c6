// The console's room settings: turn length, queue policy, chat and invite
// modes, language, revoting, and the time cues before a turn runs out.

import { $, show } from "./dom.js";
import { lang, t } from "./i18n.js";
import { notify } from "./ui.js";
import { onSubmit } from "./console_tools.js";

/** Wire the settings form; `page` is the console (client, send). Returns the form's renderer. */
export function mountSettings(page) {
  onSubmit($("#settings-form"), () => t("mod.settings"), async () => {
    const s = page.client.state.room.settings;
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
    await page.send("settings.update", patch);
    $("#settings-form").dataset.dirty = "";
    notify(t("common.done", { action: t("mod.settings") }), { kind: "ok" });
  });
  $("#settings-form").addEventListener("input", () => ($("#settings-form").dataset.dirty = "1"));
  return { render: renderSettings };
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

// ---- issue 16: the time cues' setting ------------------------------------------

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

// The console's chat: the moderator's own messages, the review queue of held
// ones (with the reasons and the evidence), and each message's actions.

import { $, $$, h, setText, show } from "./dom.js";
import { lang, t } from "./i18n.js";
import { renderChat } from "./ui.js";
import { cmdButton, named, onSubmit } from "./console_tools.js";

/** Wire the chat form; `page` is the console (send). Returns the chat's renderer. */
export function mountChat(page) {
  onSubmit($("#chat-form"), () => t("chat.send"), async () => {
    const text = $("#chat-text").value.trim();
    if (!text) return;
    await page.send("chat.send", { text });
    $("#chat-text").value = "";
  });
  return { render: (state, role) => renderConsoleChat(page.send, state, role) };
}

/** The review queue and the chat. */
function renderConsoleChat(send, state, role) {
  const me = state.you.participant_id;
  const ended = state.room.status === "ended";
  const held = state.held || [];
  setText($("#review-count"), held.length ? `(${held.length})` : "");
  show($("#review-empty"), !held.length);
  renderChat($("#held-list"), held, {
    extra: (box, m) => messageControls(send, box, m, true, ended),
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
  renderChat($("#chat-list"), state.chat, { you: me, extra: role === "moderator" ? (box, m) => messageControls(send, box, m, false, ended) : null });
}

/**
 * A message's actions. A held message can be approved or removed, not pinned
 * (only a visible message can be: chat.pin answers conflict); once the session
 * has ended nothing can be done to chat at all.
 */
function messageControls(send, box, m, held, ended) {
  const sig = `${held}|${ended}|${lang()}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const controls = [];
  if (ended) return box.replaceChildren();
  if (held) controls.push(cmdButton(send, t("mod.approve"), "chat.approve", { message_id: m.message_id }, { cls: "btn btn-small btn-primary" }));
  else controls.push(cmdButton(send, t("mod.pin"), "chat.pin", { message_id: m.message_id }));
  controls.push(cmdButton(send, t("mod.remove_msg"), "chat.remove", { message_id: m.message_id }, { cls: "btn btn-small btn-danger" }));
  for (const c of controls) named(c, `${m.name} “${(m.text || "").slice(0, 30)}”`);
  box.replaceChildren(...controls);
}

/** Held-message reasons (the moderation pipeline's codes) in words; none: the room holds every message. */
function reasonWords(reasons) {
  const list = (reasons || []).map((r) => {
    const words = t(`staff.reason.${r}`);
    return words === `staff.reason.${r}` ? t("staff.reason.other") : words;
  });
  return list.length ? list.join(lang() === "zh" ? "；" : "; ") : t("staff.reason.premoderated");
}

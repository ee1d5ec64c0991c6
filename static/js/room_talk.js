// What is said in the room, for the resident: the statements (long ones
// folded) and the chat, with her own messages and the room's chat mode.

import { $, $$, h, setText } from "./dom.js";
import { lang, t } from "./i18n.js";
import { noteOwnChat } from "./store.js";
import { notify, onTextSubmit, renderChat, renderStatements } from "./ui.js";

// Long statements show this much until she asks for the rest.
const LONG_CHARS = 140;
const LONG_LINES = 4;

/** Wire the chat form; `page` is the resident page (client, render). Returns the renderers. */
export function mountTalk(page) {
  const input = $("#chat-text");
  onTextSubmit($("#chat-form"), input, () => t("chat.send"), async (text) => {
    const r = await page.client.send("chat.send", { text });
    input.value = "";
    noteOwnChat(page.client.state, { ...r, text });
    if (r.status === "held") notify(t("chat.held_notice"), { kind: "ok" });
    page.render();
  });
  return {
    renderStatements: (state) => {
      renderStatements($("#statement-list"), state);
      collapseLong($("#statement-list"));
    },
    renderChat: (state) => renderTalkChat(page.client, state),
  };
}

/** The chat, and whether she may write in it (muted, or the room's chat off). */
function renderTalkChat(client, state) {
  const you = state.you;
  const role = you.role || "participant";
  const muted = you.muted_until && you.muted_until > client.now();
  renderChat($("#chat-list"), state.chat, { you: you.participant_id });
  const chatMode = state.room.settings.chat_mode || "open";
  const chatOff = ["off", "closed", "disabled"].includes(chatMode) || role === "observer";
  const chatInput = $("#chat-text");
  chatInput.disabled = Boolean(muted) || chatOff;
  $("#chat-form button").disabled = Boolean(muted) || chatOff;
  let chatHint = t("chat.hint");
  if (muted) chatHint = t("chat.muted", { time: new Date(you.muted_until).toLocaleTimeString(lang() === "en" ? "en-GB" : "zh-CN", { hour: "2-digit", minute: "2-digit" }) });
  else if (chatOff) chatHint = t("chat.off");
  setText($("#chat-hint"), chatHint);
}

/** Long statements show a few lines, with a control for the rest. */
function collapseLong(list) {
  for (const li of $$("li.statement", list)) {
    const text = $(".st-text", li);
    const body = text.textContent || "";
    const long = body.length > LONG_CHARS || body.split("\n").length > LONG_LINES;
    let btn = $(".st-more", li);
    if (!long) {
      text.classList.remove("st-clamp");
      if (btn) btn.remove();
      continue;
    }
    if (!btn) {
      text.id = `st-${String(li.dataset.key).replace(/[^\w-]/g, "_")}`;
      btn = h("button", { class: "btn btn-ghost btn-small st-more", type: "button", "aria-controls": text.id, "aria-expanded": "false" });
      btn.addEventListener("click", () => {
        btn.setAttribute("aria-expanded", String(btn.getAttribute("aria-expanded") !== "true"));
        collapseLong(list);
      });
      li.append(btn);
    }
    const open = btn.getAttribute("aria-expanded") === "true";
    text.classList.toggle("st-clamp", !open);
    setText(btn, open ? t("statement.less") : t("statement.more"));
  }
}

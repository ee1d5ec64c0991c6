// Her statement: the box she types it in (its words kept as a draft across a
// reload), its sending during her turn, and the card that asks what to do with
// words her turn outlived: send as chat, keep for her next turn, or drop.

import { $, setText, show } from "./dom.js";
import { t } from "./i18n.js";
import { noteOwnChat } from "./store.js";
import { act, notify, onTextSubmit } from "./ui.js";

/**
 * Wire the statement box and the draft card; `page` is the resident page
 * (client, draft, render). Returns what the page calls: turnEnded, myTurn, render.
 */
export function mountDraft(page) {
  const card = {
    page,
    open: false, // the "your statement is still here" card
    focus: false, // move her there once it shows (her panel, and its focus, just went)
  };
  const { draft } = page;
  $("#statement-text").addEventListener("input", (ev) => draft.write(ev.target.value.trim() ? ev.target.value : ""));
  wireDraft(card);
  const box = $("#statement-text");
  onTextSubmit($("#statement-form"), box, () => t("turn.post"), async (text) => {
    await page.client.send("statement.post", { text });
    box.value = "";
    draft.clear();
    notify(t("turn.posted"), { kind: "ok" });
  });
  return {
    // Her words outlive her turn: the card asks what to do with them.
    turnEnded: () => {
      if ($("#statement-text").value.trim()) {
        card.open = true;
        card.focus = true;
      }
    },
    // A kept draft comes back into the box when her next turn starts.
    myTurn: () => {
      const box = $("#statement-text");
      if (!box.value.trim() && draft.text) box.value = draft.text;
      card.open = false;
    },
    render: (mine) => renderDraft(card, mine),
  };
}

function wireDraft(card) {
  const { page } = card;
  const { draft } = page;
  const box = $("#statement-text");
  if (draft.text && !box.value) box.value = draft.text;
  // A draft left from before a reload, not yet kept: ask again what to do with it.
  if (draft.text && !draft.kept) card.open = true;
  const chatBtn = $("#draft-chat");
  chatBtn.addEventListener("click", () => act(chatBtn, t("draft.as_chat"), async () => {
    const text = box.value.trim();
    const r = await page.client.send("chat.send", { text });
    noteOwnChat(page.client.state, { ...r, text });
    box.value = "";
    draft.clear();
    card.open = false;
    notify(t("draft.sent"), { kind: "ok" });
    page.render();
  }));
  $("#draft-keep").addEventListener("click", () => {
    draft.write(box.value);
    draft.keep();
    card.open = false;
    notify(t("draft.kept"), { kind: "ok" });
    page.render();
  });
  $("#draft-drop").addEventListener("click", () => {
    box.value = "";
    draft.clear();
    card.open = false;
    page.render();
  });
}

function renderDraft(card, mine) {
  const text = $("#statement-text").value.trim();
  const open = card.open && !mine && Boolean(text);
  show($("#draft"), open);
  if (!open) return;
  const ended = card.page.client.state.room.status === "ended"; // no next turn to keep it for
  show($("#draft-keep"), !ended);
  setText($("#draft-text"), text);
  if (card.focus) {
    card.focus = false;
    $("#draft-title").focus();
  }
  const tooLong = text.length > 500;
  const chatBtn = $("#draft-chat");
  chatBtn.disabled = tooLong || chatBtn.getAttribute("aria-busy") === "true";
  setText($("#draft-hint"), tooLong ? t(ended ? "draft.too_long_ended" : "draft.too_long") : "");
}

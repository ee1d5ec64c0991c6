// The console's queue: compact rows, each with one menu of its actions, the
// rows one tab stop that the arrow keys move through.

import { $, $$, h, reconcile, setText, show } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act } from "./ui.js";
import { STANCES } from "./util.js";
import { isAway } from "./queue_view.js";
import { cmdButton, named } from "./console_tools.js";

/** Wire the queue's keys; `page` is the console (send). Returns the queue's renderer. */
export function mountQueue(page) {
  // `focus`: the participant whose row holds the queue's one tab stop.
  const queue = { send: page.send, focus: null };
  wireQueueKeys(queue);
  return { render: (state, role) => renderConsoleQueue(queue, state, role) };
}

/**
 * The queue as compact rows: number, name, in-hall mark, note, and one menu
 * button whose menu holds the row's actions. The rows are one tab stop
 * (roving tabindex: arrow keys move between them), so thirty waiting people
 * no longer stand between the first controls and the rest of the page.
 */
function renderConsoleQueue(queue, state, role) {
  const people = new Map(state.participants.map((p) => [p.participant_id, p]));
  for (const side of STANCES) {
    const list = $(`[data-queue="${side}"]`);
    const entries = state.queue[side] || [];
    reconcile(list, entries.length ? entries : [{ participant_id: "__empty", empty: true }], (e) => e.participant_id,
      (e) => (e.empty ? h("li", { class: "empty" })
        : h("li", { class: "qrow" },
          h("span", { class: "qwho" }, h("span", { class: "qname" }), h("span", { class: "tag tag-hall" }), h("span", { class: "tag tag-away" })),
          role === "moderator" && state.room.status !== "ended" ? h("span", { class: "qextra qmenu-box" }) : null,
          h("span", { class: "qnote" }))),
      (li, e) => {
        if (e.empty) return setText(li, t("queue.empty"));
        const p = people.get(e.participant_id) || {};
        setText($(".qname", li), e.name);
        const hall = $(".tag-hall", li);
        setText(hall, t("mod.in_hall"));
        show(hall, Boolean(p.in_hall));
        const away = $(".tag-away", li);
        setText(away, t("mod.offline"));
        show(away, isAway(e));
        setText($(".qnote", li), e.note ? `· ${e.note}` : "");
        show($(".qnote", li), Boolean(e.note));
        li.title = e.note || "";
        const box = $(".qextra", li);
        if (box) queueMenu(queue.send, box, e, state);
      });
    setText($(`[data-queue-count="${side}"]`), t("queue.count", { n: entries.length }));
  }
  rovingTabs(queue);
}

function menuId(pid) {
  return `qm-${String(pid).replace(/[^\w-]/g, "_")}`;
}

function queueMenu(send, box, e, state) {
  const sig = `${e.participant_id}|${lang()}`;
  if (box.dataset.sig !== sig) {
    box.dataset.sig = sig;
    const id = menuId(e.participant_id);
    // A narrow "⋯" keeps thirty rows to one line each; its name says whose actions.
    const opener = h("button", { class: "btn btn-small btn-ghost qmenu-btn", type: "button", "aria-expanded": "false", "aria-controls": id, tabindex: "-1" }, "⋯");
    opener.setAttribute("aria-label", t("con.row_menu_of", { name: e.name }));
    const grant = cmdButton(send, t("con.grant"), "turn.grant", { participant_id: e.participant_id, stance: e.stance }, { cls: "btn btn-small btn-primary" });
    grant.dataset.grant = "1";
    named(grant, e.name);
    const remove = h("button", { class: "btn btn-small btn-danger", type: "button" }, t("con.queue_remove"));
    named(remove, e.name);
    remove.addEventListener("click", () => {
      if (!window.confirm(t("con.queue_remove_confirm", { name: e.name }))) return;
      act(remove, t("con.queue_remove"), () => send("queue.remove", { participant_id: e.participant_id }));
    });
    const menu = h("div", { class: "qmenu", id, hidden: true }, grant, remove);
    opener.addEventListener("click", () => toggleMenu(opener, menu, menu.hidden));
    menu.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        ev.stopPropagation();
        toggleMenu(opener, menu, false);
        opener.focus();
      }
    });
    box.replaceChildren(opener, menu);
  }
  // The floor is given only when nobody holds it (turn.grant answers conflict otherwise).
  for (const b of $$("[data-grant]", box)) b.disabled = Boolean(state.turn);
}

function toggleMenu(opener, menu, open) {
  if (open) for (const other of $$("#queue .qmenu:not([hidden])")) if (other !== menu) toggleMenu(other.previousElementSibling, other, false);
  show(menu, open);
  opener.setAttribute("aria-expanded", String(open));
  if (open) {
    const first = $("button:not(:disabled)", menu);
    if (first) first.focus();
  }
}

function rovingTabs(queue) {
  const buttons = $$("#queue .qmenu-btn");
  if (!buttons.length) return;
  let active = buttons.find((b) => b.closest("li").dataset.key === queue.focus) || buttons[0];
  for (const b of buttons) b.tabIndex = b === active ? 0 : -1;
}

function wireQueueKeys(queue) {
  const root = $("#queue-sides");
  root.addEventListener("focusin", (e) => {
    if (e.target.classList.contains("qmenu-btn")) {
      queue.focus = e.target.closest("li").dataset.key;
      rovingTabs(queue);
    }
  });
  root.addEventListener("keydown", (e) => {
    if (!e.target.classList.contains("qmenu-btn")) return;
    const buttons = $$("#queue .qmenu-btn");
    const i = buttons.indexOf(e.target);
    const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: buttons.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const b = buttons[Math.max(0, Math.min(buttons.length - 1, to))];
    if (b) b.focus();
  });
  // A click elsewhere closes an open row menu.
  document.addEventListener("click", (e) => {
    for (const menu of $$("#queue .qmenu:not([hidden])")) {
      const opener = menu.previousElementSibling;
      if (!menu.contains(e.target) && e.target !== opener) toggleMenu(opener, menu, false);
    }
  });
}

// The console's agenda: the list with the current item (the moderator moves
// to another), and the form that sets the items.

import { $, h, reconcile, setText } from "./dom.js";
import { lang, t } from "./i18n.js";
import { notify } from "./ui.js";
import { cmdButton, named, onSubmit } from "./console_tools.js";

/** Wire the agenda form; `page` is the console (send). Returns the agenda's renderer. */
export function mountAgenda(page) {
  onSubmit($("#agenda-form"), () => t("mod.agenda_edit"), async () => {
    const items = $("#agenda-items").value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (!items.length) throw { code: "bad_command" };
    await page.send("agenda.set", { items });
    notify(t("common.done", { action: t("mod.agenda_edit") }), { kind: "ok" });
  });
  $("#agenda-items").dataset.dirty = "";
  $("#agenda-items").addEventListener("input", (e) => (e.target.dataset.dirty = "1"));
  return { render: (state, role) => renderAgenda(page.send, state, role) };
}

function renderAgenda(send, state, role) {
  const { items, current } = state.room.agenda;
  reconcile($("#agenda-list"), items.map((it, i) => ({ ...it, i })), (it) => `${it.item_id || it.title}`,
    () => h("li", {}, h("span", { class: "title" }), h("span", { class: "go" })),
    (li, it) => {
      setText($(".title", li), `${it.i + 1}. ${it.title}`);
      li.classList.toggle("current", it.i === current);
      const go = $(".go", li);
      const sig = `${it.i}|${it.i === current}|${lang()}|${role}|${state.room.status}`;
      if (go.dataset.sig === sig) return;
      go.dataset.sig = sig;
      if (it.i === current) go.replaceChildren(h("span", { class: "tag tag-support" }, t("mod.agenda_current")));
      else if (role === "moderator" && state.room.status !== "ended") {
        const b = cmdButton(send, t("mod.agenda_goto"), "agenda.goto", { index: it.i });
        named(b, it.title);
        go.replaceChildren(b);
      } else go.replaceChildren();
    });
  const area = $("#agenda-items");
  if (!area.dataset.dirty && document.activeElement !== area) area.value = items.map((it) => it.title).join("\n");
}

// What the console's panels share: buttons that run one command, forms that
// report like them, the copy button, and the rows' accessible names.

import { $, h } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act, notify } from "./ui.js";

/** FNV-1a of the token: enough to tell whose saved copy this is, useless as a key. */
export function fingerprint(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

/**
 * Say which row a repeated button acts on. The accessible name starts with the
 * visible text (WCAG 2.5.3, label in name), so voice control still finds it.
 */
export function named(button, detail) {
  button.setAttribute("aria-label", `${button.textContent}${lang() === "zh" ? "：" : ": "}${detail}`);
}

/** A button that runs one command through `send`, reported as done or failed. */
export function cmdButton(send, label, cmd, args, { cls = "btn btn-small btn-secondary", confirm = null } = {}) {
  const b = h("button", { class: cls, type: "button" }, label);
  b.addEventListener("click", () => {
    if (confirm && !window.confirm(confirm)) return;
    act(b, label, () => send(cmd, typeof args === "function" ? args() : args));
  });
  return b;
}

/** Today as YYYY-MM-DD in this computer's calendar (what a date input holds). */
export function localDate() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function onSubmit(form, label, fn) {
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(ev.submitter || $("button[type=submit]", form), label(), () => fn(form));
  });
}

export async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    const old = button.textContent;
    button.textContent = t("common.copied");
    setTimeout(() => (button.textContent = old), 1500);
  } catch {
    notify(t("common.copy_failed"));
  }
}

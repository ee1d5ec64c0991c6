// Strings come from one catalogue per language (static/i18n/*.js); Chinese by
// default. The person's choice is remembered; a room's `lang` setting only
// changes the default for people who never chose.

import zh from "../i18n/zh.js";
import en from "../i18n/en.js";

const CATALOGUES = { zh, en };
const STORE_KEY = "yishi.lang";
let current = "zh";
const listeners = [];

function chosen() {
  try {
    return localStorage.getItem(STORE_KEY);
  } catch {
    return null;
  }
}

export function lang() {
  return current;
}

/** t("queue.position", {n: 2}) -> the string with {n} filled in. */
export function t(key, params = {}) {
  const s = CATALOGUES[current][key] ?? CATALOGUES.zh[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? "") + "");
}

export function setLang(code, { remember = false } = {}) {
  if (!CATALOGUES[code]) return;
  if (remember) {
    try {
      localStorage.setItem(STORE_KEY, code);
    } catch {
      /* not remembered: fine */
    }
  }
  if (code === current && document.documentElement.dataset.i18nDone) return;
  current = code;
  applyStatic();
  for (const fn of listeners) fn(code);
}

/** The room's default language, unless the person already chose one. */
export function roomDefault(code) {
  if (!chosen() && code && code !== current) setLang(code);
}

export function onLangChange(fn) {
  listeners.push(fn);
}

/**
 * Fill every [data-i18n] element's text and every [data-i18n-attr]
 * ("placeholder:key;aria-label:key") attribute.
 */
export function applyStatic(root = document) {
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  document.documentElement.dataset.i18nDone = "1";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":").map((x) => x.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  if (document.body && document.body.dataset.titleKey) document.title = t(document.body.dataset.titleKey);
}

/** Start: the remembered language (or Chinese), and wire the switch button. */
export function initI18n() {
  const c = chosen();
  current = c && CATALOGUES[c] ? c : "zh";
  applyStatic();
  const btn = document.getElementById("lang-switch");
  if (btn) {
    const label = () => {
      // The button names the other language, in that language.
      const other = current === "zh" ? "en" : "zh";
      btn.textContent = CATALOGUES[other]["lang.name"];
      btn.lang = other === "zh" ? "zh-CN" : "en";
      btn.setAttribute("aria-label", `${CATALOGUES[other]["lang.switch"]}`);
    };
    label();
    onLangChange(label);
    btn.addEventListener("click", () => setLang(current === "zh" ? "en" : "zh", { remember: true }));
  }
}

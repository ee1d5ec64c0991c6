// Strings come from one catalogue per language (static/i18n/*.js); Chinese by
// default and always loaded; English is fetched only when someone switches
// (it is a tenth of the resident page's weight). The person's choice is
// remembered; a room's `lang` setting only changes the default for people
// who never chose.

import zh from "../i18n/zh.js";

const CATALOGUES = { zh };
const LOADERS = { en: () => import("../i18n/en.js") };
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

async function load(code) {
  if (!CATALOGUES[code] && LOADERS[code]) CATALOGUES[code] = (await LOADERS[code]()).default;
  return Boolean(CATALOGUES[code]);
}

export function lang() {
  return current;
}

const PLURALS = {};

/** The plural category of `n` in the current language ("one", "other", ...). */
function plural(n) {
  PLURALS[current] ??= new Intl.PluralRules(current === "zh" ? "zh-CN" : current);
  return PLURALS[current].select(Number(n));
}

/**
 * t("poll.turnout", {voters: 2, eligible: 3}) -> the string with {...} filled in.
 * "{n:turn|turns}" picks the singular or the plural form by `n` through
 * Intl.PluralRules ("1 turn", "2 turns"); Chinese strings need none.
 */
export function t(key, params = {}) {
  const s = CATALOGUES[current][key] ?? CATALOGUES.zh[key] ?? key;
  return s.replace(/\{(\w+):([^{}|]*)\|([^{}]*)\}/g, (_, k, one, other) => (plural(params[k]) === "one" ? one : other))
    .replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? "") + "");
}

const DEFAULT_NAMES = ["default.moderator", "default.screen"];

/**
 * A person's name as shown: the names the server gives when none is typed
 * (主持人, 会场大屏) read in the page's language; any other name as typed.
 */
export function shownName(name) {
  const key = DEFAULT_NAMES.find((k) => CATALOGUES.zh[k] === name);
  return key ? t(key) : name;
}

export async function setLang(code, { remember = false } = {}) {
  if (remember) {
    try {
      localStorage.setItem(STORE_KEY, code);
    } catch {
      /* not remembered: fine */
    }
  }
  if (code === current || !(await load(code))) return;
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
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":").map((x) => x.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  if (document.body && document.body.dataset.titleKey) document.title = t(document.body.dataset.titleKey);
}

/**
 * Start in Chinese at once (no flash of untranslated page), then switch to a
 * remembered other language when its catalogue arrives; wire the switch button.
 */
export function initI18n() {
  applyStatic();
  const btn = document.getElementById("lang-switch");
  if (btn) {
    const label = () => {
      // The button names the other language, in that language.
      btn.textContent = t("lang.other");
      btn.lang = t("lang.other_code");
      btn.setAttribute("aria-label", t("lang.other_switch"));
    };
    label();
    onLangChange(label);
    btn.addEventListener("click", () => setLang(current === "zh" ? "en" : "zh", { remember: true }));
  }
  const c = chosen();
  if (c && c !== "zh") setLang(c);
}

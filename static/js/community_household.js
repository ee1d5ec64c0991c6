// This phone's household on the public community page: the household code
// field (#hh-form, entered once: the first phone binds the code), and what this
// phone or its household already co-signed and rated, as the server says
// (POST /mine). The server's word is the only one: nothing is kept in storage,
// so a reload, another browser or a freed code all show what really counts.

import { deviceSecret } from "./device.js";
import { $, setText, show } from "./dom.js";
import { t } from "./i18n.js";
import { errorText, notify } from "./ui.js";
import { api } from "./util.js";

/** What this phone gave: read by the topic cards, updated as it co-signs and rates. */
export const mine = { household: null, cosigned: new Set(), rated: {} };

const CLAIM_ERRORS = Object.freeze({
  unauthorized: "com.hh_wrong", bad_command: "com.hh_wrong", forbidden: "com.hh_taken",
  conflict: "com.hh_other", rate_limited: "com.hh_wait",
});

/**
 * Read what this phone gave; show the household field when the community has
 * household codes (`codes`), and call `onBound` once a code is bound (the cards
 * then count as the household's). Resolves once read, so the cards are drawn after.
 */
export async function initHousehold(base, { codes, onBound }) {
  show($("#hh-section"), codes);
  if (codes) $("#hh-form").addEventListener("submit", (ev) => claim(ev, base, onBound));
  await load(base);
}

async function load(base) {
  try {
    const r = await api(`${base}/mine`, { method: "POST", body: { device: deviceSecret() } });
    mine.household = r.household;
    mine.cosigned = new Set(r.cosigned);
    mine.rated = r.rated;
  } catch (err) {
    notify(errorText(err));
  }
  const bound = mine.household;
  setText($("#hh-bound"), bound ? t("com.hh_bound", { label: bound.label }) : "");
  show($("#hh-form"), !bound);
}

async function claim(ev, base, onBound) {
  ev.preventDefault();
  const input = $("#hh-code");
  const error = $("#hh-error");
  input.removeAttribute("aria-invalid");
  if (!input.value.trim()) {
    setText(error, t("com.hh_need"));
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  const btn = $("#hh-btn");
  btn.disabled = true;
  setText(error, "");
  try {
    await api(`${base}/households/claim`, { method: "POST", body: { code: input.value, device: deviceSecret() } });
    input.value = "";
    await load(base);
    onBound();
  } catch (err) {
    input.setAttribute("aria-invalid", "true");
    setText(error, CLAIM_ERRORS[err.code] ? t(CLAIM_ERRORS[err.code]) : errorText(err));
  } finally {
    btn.disabled = false;
  }
}

// Sheets over the resident page for what needs her now (a poll to answer, her
// turn to speak): the words and one button that takes her there. A screen
// reader hears of both from the page's announcer (announce.js: the poll
// politely, her turn assertively, once each); setting the same sheet again
// changes nothing.

import { h } from "./dom.js";
import { t } from "./i18n.js";

/**
 * Show `banner` in `slot`, or empty the slot for null. banner: {key (same key:
 * same sheet, left alone), kind, text, detail?, goLabel, onGo, onLater?}.
 */
export function setBanner(slot, banner) {
  const key = banner ? banner.key : "";
  if ((slot.dataset.key || "") === key) return;
  slot.dataset.key = key;
  if (!banner) {
    slot.replaceChildren();
    return;
  }
  const actions = [h("button", { class: "btn btn-primary", type: "button", onclick: banner.onGo }, banner.goLabel)];
  if (banner.onLater) {
    actions.push(h("button", { class: "btn btn-ghost", type: "button", onclick: banner.onLater }, t("banner.later")));
  }
  slot.replaceChildren(
    h("div", { class: `banner banner-${banner.kind}` },
      h("p", { class: "banner-text" }, banner.text),
      banner.detail ? h("p", { class: "banner-detail" }, banner.detail) : null,
      h("div", { class: "banner-actions" }, ...actions)));
}

// Household codes on the staff page: a moderator issues a batch (one printed
// slip per door, its code shown only now: the server keeps a keyed hash),
// prints it, and frees a code for a household's new phone; a clerk enters a
// co-sign or a rating for a household in person (marked as the clerk's, and
// counted once per household with the household's own).

import { $, h, setText, show } from "./dom.js";
import { t } from "./i18n.js";
import { RATINGS, fillSelect, topicIdOf } from "./community_view.js";
import { errorText } from "./ui.js";
import { api } from "./util.js";

const MAX_BATCH = 200; // the server's limit per batch

/** Wire the households section for `role` (moderator or clerk; others see none). */
export function initHouseholds({ base, token, role, publicUrl }) {
  if (role !== "moderator" && role !== "clerk") return;
  const ctx = { base, token, role, publicUrl };
  $("#hs-issue-form").addEventListener("submit", (ev) => issue(ev, ctx));
  $("#hs-print").addEventListener("click", printSlips);
  $("#hc-form").addEventListener("submit", (ev) => clerkEntry(ev, ctx));
  fillSelect($("#hc-what"), t("cst.hh_what_cosign"), RATINGS.map((r) => [r, t("cst.hh_what_rate", { rating: t(`com.rate.${r}`) })]));
  loadList(ctx);
}

/** Print the slips alone (app.css, `print-slips`), to cut and hand out door by door. */
function printSlips() {
  document.body.classList.add("print-slips");
  window.addEventListener("afterprint", () => document.body.classList.remove("print-slips"), { once: true });
  window.print();
}

async function loadList(ctx) {
  let r;
  try {
    r = await api(`${ctx.base}/households`, { token: ctx.token });
  } catch (err) {
    setText($("#hs-list-note"), errorText(err));
    return;
  }
  const households = r.households || [];
  setText($("#hs-list-note"), households.length ? "" : t("cst.hh_none"));
  $("#hs-list").replaceChildren(...households.map((hh) => householdItem(hh, ctx)));
  fillSelect($("#hc-household"), t("cst.hh_pick_one"), households.map((hh) => [hh.household_id, hh.label]));
}

function householdItem(hh, ctx) {
  const state = hh.bound ? t("cst.hh_bound") : t("cst.hh_unbound");
  const item = h("li", { dataset: { household: hh.household_id } },
    h("span", { class: "hh-label" }, hh.label), " · ", state,
    hh.resets ? ` · ${t("cst.hh_resets", { n: hh.resets })}` : "");
  if (ctx.role === "moderator" && hh.bound) {
    const btn = h("button", { class: "btn btn-ghost", type: "button" }, t("cst.hh_reset"));
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      try {
        await api(`${ctx.base}/households/${encodeURIComponent(hh.household_id)}/reset`, { method: "POST", token: ctx.token, body: {} });
        loadList(ctx);
      } catch (err) {
        btn.disabled = false;
        setText($("#hs-list-note"), errorText(err));
      }
    });
    item.append(" ", btn);
  }
  return item;
}

async function issue(ev, ctx) {
  ev.preventDefault();
  const out = $("#hs-issue-result");
  const labels = $("#hs-labels").value.split("\n").map((line) => line.trim()).filter(Boolean);
  if (!labels.length || labels.length > MAX_BATCH) {
    out.className = "error";
    setText(out, t("cst.hh_need_labels", { n: MAX_BATCH }));
    $("#hs-labels").focus();
    return;
  }
  try {
    const r = await api(`${ctx.base}/households`, { method: "POST", token: ctx.token, body: { labels } });
    $("#hs-labels").value = "";
    out.className = "ok";
    setText(out, t("cst.hh_issued", { n: r.households.length }));
    $("#hs-slip-list").replaceChildren(...r.households.map((hh) => h("li", { class: "hh-slip" },
      h("span", { class: "slip-label" }, hh.label),
      h("strong", { class: "slip-code" }, hh.code),
      h("span", { class: "slip-how" }, t("cst.hh_slip_how", { url: ctx.publicUrl })))));
    show($("#hs-slips"), true);
    loadList(ctx);
  } catch (err) {
    out.className = "error";
    setText(out, errorText(err));
  }
}

async function clerkEntry(ev, ctx) {
  ev.preventDefault();
  const out = $("#hc-result");
  const household = $("#hc-household").value;
  const topicId = $("#hc-topic").value.trim() && topicIdOf($("#hc-topic").value);
  if (!household || !topicId) {
    out.className = "error";
    setText(out, t("cst.need_field", { field: t(household ? "cst.hh_topic" : "cst.hh_pick") }));
    (household ? $("#hc-topic") : $("#hc-household")).focus();
    return;
  }
  const rating = $("#hc-what").value;
  const path = `${ctx.base}/topics/${encodeURIComponent(topicId)}/${rating ? "rate" : "cosign"}`;
  try {
    await api(path, { method: "POST", token: ctx.token, body: rating ? { household, rating } : { household } });
    out.className = "ok";
    setText(out, t(rating ? "cst.hh_rated" : "cst.hh_cosigned"));
  } catch (err) {
    out.className = "error";
    setText(out, err.code === "conflict" && /already/.test(err.message || "") ? t("cst.hh_already") : errorText(err));
  }
}

// The public community page /c/{id}: the figures and charts, topics by state
// with filters and each topic's timeline, co-sign and rating buttons, export
// and feed links; with ?submit=1 (the notice board's QR code) it opens on the
// submission form, made for a phone held by an elderly resident: big text,
// four fields, one clear answer.
//
// A co-sign and a rating bind to this browser's device secret (device.js,
// the same one the room page uses). They count once per household when this
// phone holds its household's code (entered once, in #hh-form); without one
// they are anonymous support, which the page shows apart and never counts. What
// this phone (or its household) already gave is the server's word (POST /mine),
// read before the topics, so that after a reload the buttons say so.

import { initHousehold, mine } from "./community_household.js";
import { deviceSecret } from "./device.js";
import { $, h, setText, show } from "./dom.js";
import { initI18n, lang, onLangChange, t } from "./i18n.js";
import {
  RATINGS, STATES, apiBase, communityIdFromPath, fillSelect, percent, renderTimeline, stateLabel,
  stateTag, topicMeta,
} from "./community_view.js";
import { errorText, notify } from "./ui.js";
import { api } from "./util.js";

const id = communityIdFromPath();
const base = apiBase(id);
const params = new URLSearchParams(location.search);
const PAGE = 20;
let community = null;
let stats = null;
let next = null;

initI18n();
onLangChange(() => { if (community) { renderStatic(); renderFigures(); loadTopics(); } });
main();

async function main() {
  try {
    community = await api(base);
  } catch (err) {
    show($("#loading"), false);
    show($("#gone-view"), true);
    if (err.code !== "not_found") setText($("#gone-text"), errorText(err));
    return;
  }
  show($("#loading"), false);
  show($("#com-view"), true);
  renderStatic();
  const submitting = params.get("submit") === "1";
  show($("#submit-view"), submitting);
  show($("#public-view"), !submitting);
  show($("#submit-open-row"), !submitting);
  $("#submit-form").addEventListener("submit", onSubmit);
  $("#sub-again").addEventListener("click", () => {
    setText($("#sub-done-text"), "");
    show($("#sub-done"), false);
    show($("#submit-form"), true);
    $("#sub-title").focus();
  });
  if (submitting) return;
  $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadTopics(); });
  for (const sel of ["#flt-state", "#flt-cat"]) $(sel).addEventListener("change", () => loadTopics());
  $("#topic-more").addEventListener("click", () => loadTopics({ more: true }));
  const mineRead = initHousehold(base, { codes: Boolean(community.household_codes), onBound: () => loadTopics() });
  await Promise.all([loadStats(), mineRead.then(() => loadTopics())]);
}

function renderStatic() {
  setText($("#com-name"), community.name || "");
  setText($("#com-desc"), community.description || "");
  document.title = `${community.name || ""} · ${t("com.doc_title")}`;
  const here = `/c/${encodeURIComponent(id)}`;
  $("#sub-list-link").href = here;
  $("#export-csv").href = `${base}/export.csv`;
  $("#export-json").href = `${base}/export.json`;
  $("#feed-link").href = `${base}/feed.atom`;
  const qr = $("#com-qr");
  qr.src = `${base}/qr.svg`;
  qr.alt = t("com.qr_alt", { name: community.name || "" });
  const link = $("#submit-link");
  link.href = `${here}?submit=1`;
  setText(link, `${location.origin}${here}?submit=1`);
  renderCategories();
  renderFilterOptions();
}

// ---- submission ---------------------------------------------------------------

function renderCategories() {
  const box = $("#sub-cats");
  const current = box.querySelector("input:checked");
  const chosen = current ? current.value : "";
  box.replaceChildren(...(community.categories || []).map((cat, i) => {
    const input = h("input", { type: "radio", name: "category", id: `sub-cat-${i}`, value: cat });
    input.checked = cat === chosen;
    return h("div", { class: "cat-choice" }, input, h("label", { for: `sub-cat-${i}` }, cat));
  }));
}

async function onSubmit(ev) {
  ev.preventDefault();
  const title = $("#sub-title");
  const desc = $("#sub-desc");
  const error = $("#sub-error");
  for (const [input, key] of [[title, "com.need_title"], [desc, "com.need_desc"]]) {
    input.removeAttribute("aria-invalid");
    if (!input.value.trim()) {
      setText(error, t(key));
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
  }
  const picked = $("#sub-cats input:checked");
  const body = {
    title: title.value.trim(), description: desc.value.trim(), device: deviceSecret(),
  };
  if (picked) body.category = picked.value;
  if ($("#sub-place").value.trim()) body.place = $("#sub-place").value.trim();
  const btn = $("#sub-btn");
  btn.disabled = true;
  setText(error, "");
  try {
    const r = await api(`${base}/topics`, { method: "POST", body });
    $("#submit-form").reset();
    show($("#submit-form"), false);
    show($("#sub-done"), true);
    const receipt = r.state === "held" ? t("com.sent_held") : t("com.sent_ok", { n: r.number });
    setText($("#sub-done-text"), [receipt, ...privateNotes(r.private)].join(" "));
    $("#sub-done").focus();
  } catch (err) {
    setText(error, err.code === "rejected" ? t("com.sent_rejected") : errorText(err));
  } finally {
    btn.disabled = false;
  }
}

/** What the public page shows of the numbers she left, said to her (staff see them whole). */
function privateNotes(masked) {
  return (masked || []).map((m) => t("com.private_shown", { what: t(`com.private.${m.kind}`), shown: m.shown }));
}

// ---- figures and charts -----------------------------------------------------------

async function loadStats() {
  try {
    stats = await api(`${base}/stats`);
  } catch (err) {
    notify(errorText(err));
    return;
  }
  renderFigures();
}

function figure(key, value, detail = "") {
  return h("div", { class: "figure", dataset: { figure: key } },
    h("dt", {}, t(`com.fig.${key}`)), h("dd", {}, h("span", { class: "fig-value" }, value),
      detail ? h("span", { class: "fig-detail" }, detail) : null));
}

function renderFigures() {
  if (!stats) return;
  const s = stats;
  const sat = s.satisfaction || {};
  const rated = (sat.satisfied || 0) + (sat.partly || 0) + (sat.not || 0);
  const days = typeof s.median_days_to_solve === "number"
    ? String(Math.round(s.median_days_to_solve * 10) / 10) : "—";
  $("#figure-list").replaceChildren(
    figure("submitted", String(s.submitted ?? 0)),
    figure("sessions", String(s.sessions ?? 0)),
    figure("adoption_rate", percent(s.adoption_rate)),
    figure("solved", String(s.solved ?? 0)),
    figure("solved_rate", percent(s.solved_rate)),
    figure("median_days", days),
    figure("satisfaction", percent(sat.rate), t("com.fig.rated", { n: rated })),
  );
  setText($("#fig-note"), s.overdue_actions ? t("com.fig.overdue", { n: s.overdue_actions }) : "");
  // The charts change with the figures: a new address, so no stale copy is shown.
  const version = [s.submitted, s.accepted, s.deliberated, s.solved, s.sessions, rated].join("-");
  for (const name of ["by_month", "by_category", "funnel"]) {
    const img = $(`#chart-${name}`);
    img.alt = t(`com.chart_${name}_alt`);
    img.src = `${base}/charts/${name}.svg?lang=${lang()}&v=${version}`;
    $(`#chart-${name}-table`).replaceChildren(chartTable(name, s));
  }
}

/** The numbers a chart draws, as a table beside it: read aloud, zoomed, copied. */
function chartTable(name, s) {
  const count = (entry, key) => String((entry && entry[key]) || 0);
  const pairs = (entries, head) => [[head, t("com.tbl.submitted"), t("com.tbl.solved")],
    ...entries.filter(([, e]) => (e.submitted || e.solved))
      .map(([label, e]) => [label, count(e, "submitted"), count(e, "solved")])];
  const rows = {
    by_month: () => pairs(Object.entries(s.by_month || {}), t("com.tbl.month")),
    by_category: () => pairs(Object.entries(s.by_category || {}), t("com.tbl.category")),
    funnel: () => [[t("com.tbl.step"), t("com.tbl.count")],
      ...["submitted", "accepted", "deliberated", "solved"].map((k) => [t(`com.tbl.${k}`), count(s, k)])],
  }[name]();
  if (rows.length < 2) return h("p", { class: "hint" }, t("com.tbl.none"));
  const [head, ...body] = rows;
  return h("table", { class: "chart-table" },
    h("caption", {}, t(`com.chart_${name}`)),
    h("thead", {}, h("tr", {}, ...head.map((cell) => h("th", { scope: "col" }, cell)))),
    h("tbody", {}, ...body.map(([label, ...cells]) =>
      h("tr", {}, h("th", { scope: "row" }, label), ...cells.map((cell) => h("td", {}, cell))))));
}

// ---- topics -------------------------------------------------------------------------

function renderFilterOptions() {
  fillSelect($("#flt-state"), t("com.flt_all"), STATES.map((s) => [s, stateLabel(s)]));
  fillSelect($("#flt-cat"), t("com.flt_all"), (community.categories || []).map((c) => [c, c]));
}

async function loadTopics({ more = false } = {}) {
  const q = new URLSearchParams();
  for (const [key, sel] of [["state", "#flt-state"], ["category", "#flt-cat"], ["month", "#flt-month"], ["q", "#flt-q"]]) {
    const v = $(sel).value.trim();
    if (v) q.set(key, v);
  }
  q.set("limit", String(PAGE));
  if (more && next) q.set("after", next);
  let r;
  try {
    r = await api(`${base}/topics?${q}`);
  } catch (err) {
    notify(errorText(err));
    return;
  }
  next = r.next || null;
  const list = $("#topic-list");
  const cards = (r.topics || []).map(topicCard);
  if (more) list.append(...cards);
  else list.replaceChildren(...cards);
  show($("#topic-more"), Boolean(next));
  setText($("#topic-count"), list.children.length ? t("com.count", { n: list.children.length }) : t("com.none"));
}

function topicCard(topic) {
  const card = h("li", { class: "topic-card", dataset: { topic: topic.topic_id } });
  fillCard(card, topic);
  return card;
}

function fillCard(card, topic) {
  const cosignMsg = h("p", { class: "cosign-msg", role: "status" });
  const given = mine.cosigned.has(topic.topic_id);
  const cosignBtn = h("button", { class: "btn btn-secondary cosign-btn", type: "button" }, t(given ? "com.cosigned" : "com.cosign"));
  cosignBtn.disabled = given;
  cosignBtn.addEventListener("click", () => cosign(card, topic, cosignBtn, cosignMsg));
  const timelineBox = h("div", { class: "tl-box" });
  const details = h("details", { class: "tl-details" }, h("summary", {}, t("com.timeline")), timelineBox);
  details.addEventListener("toggle", () => { if (details.open) loadTimeline(topic, timelineBox); });
  const canCosign = !["declined", "merged", "solved", "not_solved"].includes(topic.state);
  card.replaceChildren(...[
    h("h3", { class: "topic-title" }, topic.title || ""),
    h("p", { class: "topic-meta" }, stateTag(topic.state), " ", topicMeta(topic)),
    topic.description ? h("p", { class: "topic-desc" }, topic.description) : null,
    h("div", { class: "cosign-row" },
      h("span", { class: "cosign-count" }, cosignText(topic)),
      canCosign ? cosignBtn : null),
    h("p", { class: "cosign-anon hint" }, anonymousText(topic)),
    cosignMsg,
    ["solved", "not_solved"].includes(topic.state) ? rateBox(card, topic) : null,
    details,
  ].filter(Boolean));
}

/** The public count (households), and how many of them a clerk entered in person. */
function cosignText(topic) {
  const key = community.household_codes ? "com.cosigns_households" : "com.cosigns";
  const text = t(key, { n: topic.cosigns || 0 });
  return topic.clerk_cosigns ? `${text}${t("com.clerk_cosigns", { n: topic.clerk_cosigns })}` : text;
}

/** Anonymous support, said to be unverified and uncounted (empty when there is none). */
function anonymousText(topic) {
  const cosigns = topic.anonymous_cosigns || 0;
  const r = topic.anonymous_ratings || {};
  const ratings = (r.satisfied || 0) + (r.partly || 0) + (r.not || 0);
  return [cosigns ? t("com.anon_cosigns", { n: cosigns }) : "", ratings ? t("com.anon_ratings", { n: ratings }) : ""]
    .filter(Boolean).join(" ");
}

/** Why the server refused a co-sign or a rating, in words (`what`: cosign or rate). */
function supportError(err, what) {
  if (err.code === "forbidden") return t("com.cosign_own");
  if (err.code === "conflict" && mine.household) return t(`com.${what}_household_again`);
  if (err.code === "conflict") return t(`com.${what}_again`);
  return errorText(err);
}

async function cosign(card, topic, btn, msg) {
  btn.disabled = true;
  try {
    const r = await api(`${base}/topics/${encodeURIComponent(topic.topic_id)}/cosign`, { method: "POST", body: { device: deviceSecret() } });
    topic.cosigns = r.cosigns;
    topic.anonymous_cosigns = r.anonymous_cosigns;
    mine.cosigned.add(topic.topic_id);
    setText(card.querySelector(".cosign-count"), cosignText(topic));
    setText(card.querySelector(".cosign-anon"), anonymousText(topic));
    setText(btn, t("com.cosigned"));
    setText(msg, t(r.counted === false ? "com.cosign_anon_ok" : "com.cosign_ok"));
    msg.className = "cosign-msg ok";
  } catch (err) {
    btn.disabled = err.code === "conflict";
    if (err.code === "conflict") setText(btn, t("com.cosigned"));
    setText(msg, supportError(err, "cosign"));
    msg.className = "cosign-msg error";
  }
}

function ratingsLine(ratings) {
  const r = ratings || {};
  return t("com.ratings", { satisfied: r.satisfied || 0, partly: r.partly || 0, not: r.not || 0 });
}

function rateBox(card, topic) {
  const line = h("p", { class: "rate-line" }, ratingsLine(topic.ratings));
  const before = mine.rated[topic.topic_id];
  const msg = h("p", { class: "rate-msg", role: "status" }, before ? t("com.rated_before", { rating: t(`com.rate.${before}`) }) : "");
  const buttons = RATINGS.map((rating) => {
    const btn = h("button", { class: "btn btn-secondary rate-btn", type: "button", "aria-pressed": String(rating === before) }, t(`com.rate.${rating}`));
    btn.disabled = Boolean(before);
    btn.addEventListener("click", async () => {
      for (const b of buttons) b.disabled = true;
      try {
        const r = await api(`${base}/topics/${encodeURIComponent(topic.topic_id)}/rate`, { method: "POST", body: { device: deviceSecret(), rating } });
        topic.anonymous_ratings = r.anonymous_ratings;
        mine.rated[topic.topic_id] = rating;
        setText(line, ratingsLine(r.ratings));
        setText(card.querySelector(".cosign-anon"), anonymousText(topic));
        btn.setAttribute("aria-pressed", "true");
        setText(msg, t(r.counted === false ? "com.rate_anon_ok" : "com.rate_ok"));
        msg.className = "rate-msg ok";
        loadStats();
      } catch (err) {
        for (const b of buttons) b.disabled = err.code === "conflict";
        setText(msg, supportError(err, "rate"));
        msg.className = "rate-msg error";
      }
    });
    return btn;
  });
  return h("div", { class: "rate-box" },
    h("p", { class: "rate-ask" }, t("com.rate_ask")),
    h("div", { class: "rate-buttons", role: "group", "aria-label": t("com.rate_ask") }, buttons),
    line, msg);
}

async function loadTimeline(topic, box) {
  box.replaceChildren(h("p", { class: "hint" }, t("common.loading")));
  try {
    const full = await api(`${base}/topics/${encodeURIComponent(topic.topic_id)}`);
    box.replaceChildren(renderTimeline(full));
  } catch (err) {
    box.replaceChildren(h("p", { class: "error" }, errorText(err)));
  }
}

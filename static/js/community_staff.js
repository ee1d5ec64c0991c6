// The staff triage page /c/{id}/staff#token: held topics to release or
// reject, each topic's next steps with their reasons, scheduling a room (its
// moderator link is shown at once), the clerk's entry form for a household
// without a phone, and new staff links.
//
// The page hides what the token's role may not do; the server still decides
// (a refused step answers 409 and the page shows why). The role is the one the
// server states for the token (GET /api/communities/{id} with it: `staff`), so
// the page knows nothing of the token's format, and a revoked link is told so.

import { $, $$, h, setText, show } from "./dom.js";
import { initI18n, onLangChange, t } from "./i18n.js";
import {
  STATES, apiBase, communityIdFromPath, fillSelect, renderTimeline, stateLabel, stateTag,
  topicIdOf, topicMeta,
} from "./community_view.js";
import { initHouseholds } from "./community_staff_households.js";
import { errorText, notify } from "./ui.js";
import { api, takeToken } from "./util.js";

const id = communityIdFromPath();
const base = apiBase(id);
const token = takeStaffToken();

// The label of each field a step asks for (the steps and their fields come from the
// server: community.staff.moves, from the topic graph).
const LABELS = { reason: "cst.note", into: "cst.into", report: "cst.report", place: "cst.place" };
const roomLinks = new Map(); // topic id -> the moderator link of the room scheduled here

let community = null;
let role = ""; // the token's, as the server states it (main)
let seq = 0;
let listDrawn = ""; // what the topic cards were last drawn from (loadTopics)
let contacts = {}; // topic id → what its resident left to be reached by (GET /contacts, staff only)

initI18n();
onLangChange(() => { if (community) { renderStatic(); refresh(); } });
main();

/** The token from the address (`#TOKEN`, as the server's staff_url has it, or
 * `#token=TOKEN` like the room pages), then out of the address bar (util.takeToken). */
function takeStaffToken() {
  const raw = location.hash.replace(/^#/, "");
  if (raw && !raw.includes("=")) history.replaceState(null, "", `${location.pathname}${location.search}#token=${raw}`);
  return takeToken();
}

/** A moderation reason in words (the room console's strings), or as it came. */
function reasonText(code) {
  const key = `staff.reason.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

/** The steps this staff member may take from a topic in ``state``, as the server sent. */
function stepsFrom(state) {
  return ((community.staff && community.staff.moves) || {})[state] || [];
}

/** The inputs a step's field asks for: ``when`` is a date and a time on the page. */
function fieldsOf(step) {
  return step.fields.flatMap(({ name, required }) => name === "when"
    ? [["date", "cst.date", required], ["time", "cst.time", required]]
    : [[name, name === "reason" && step.to === "declined" ? "cst.reason_public" : LABELS[name], required]]);
}

function gone(textKey) {
  show($("#loading"), false);
  show($("#staff-view"), false);
  show($("#gone-view"), true);
  if (textKey) setText($("#gone-text"), t(textKey));
}

async function main() {
  if (!token) return gone("cst.no_token");
  try {
    community = await api(base, { token });
  } catch (err) {
    if (err.code === "unauthorized") return gone("cst.bad_token");
    return gone(err.code === "not_found" ? "com.gone_text" : "");
  }
  role = (community.staff && community.staff.role) || "";
  show($("#loading"), false);
  show($("#staff-view"), true);
  for (const el of $$("[data-roles]")) show(el, !role || el.dataset.roles.split(" ").includes(role));
  renderStatic();
  $("#st-state").addEventListener("change", () => loadTopics());
  $("#st-refresh").addEventListener("click", () => refresh());
  $("#clerk-form").addEventListener("submit", onClerk);
  $("#people-form").addEventListener("submit", onPeople);
  show($("#households-section"), Boolean(community.household_codes) && ["moderator", "clerk"].includes(role));
  if (community.household_codes) initHouseholds({ base, token, role, publicUrl: `${location.origin}/c/${encodeURIComponent(id)}` });
  await refresh();
}

function renderStatic() {
  setText($("#com-name"), community.name || "");
  document.title = `${community.name || ""} · ${t("cst.doc_title")}`;
  setText($("#whoami"), role ? t("cst.you_are", { role: t(`crole.${role}`) }) : "");
  $("#public-link").href = `/c/${encodeURIComponent(id)}`;
  fillSelect($("#st-state"), t("com.flt_all"), STATES.map((s) => [s, stateLabel(s)]));
  fillSelect($("#ck-cat"), t("cst.no_category"), (community.categories || []).map((c) => [c, c]));
}

async function refresh() {
  await Promise.all([loadHeld(), loadTopics()]);
}

// ---- held topics ------------------------------------------------------------------

async function loadHeld() {
  if (role && role !== "moderator") return;
  let r;
  try {
    r = await api(`${base}/held`, { token });
  } catch (err) {
    if (err.code === "unauthorized") return gone("cst.bad_token");
    if (err.code === "forbidden") { show($("#held-section"), false); return; }
    notify(errorText(err));
    return;
  }
  const topics = r.topics || [];
  $("#held-list").replaceChildren(...(topics.length ? topics.map(heldCard)
    : [h("li", { class: "hint" }, t("cst.held_none"))]));
}

function heldCard(topic) {
  const n = ++seq;
  const reason = h("input", { id: `held-reason-${n}`, maxlength: "200", autocomplete: "off" });
  const result = h("p", { class: "error", role: "alert" });
  const step = (to) => async () => {
    try {
      await api(`${base}/topics/${encodeURIComponent(topic.topic_id)}/transition`, {
        method: "POST", token, body: reason.value.trim() ? { to, reason: reason.value.trim() } : { to } });
      notify(t(to === "release" ? "cst.released" : "cst.rejected", { title: topic.title }), { kind: "ok" });
      refresh();
    } catch (err) {
      setText(result, errorText(err));
    }
  };
  return h("li", { class: "staff-card", dataset: { topic: topic.topic_id } },
    h("h3", {}, topic.title || ""),
    h("p", { class: "hint" }, topicMeta(topic)),
    topic.description ? h("p", {}, topic.description) : null,
    (topic.reasons || []).length ? h("p", { class: "msg-note" }, t("cst.held_why", { reasons: [...new Set(topic.reasons.map(reasonText))].join("、") })) : null,
    topic.household ? h("p", { class: "hint" }, t("cst.household_is", { name: topic.household })) : null,
    h("label", { for: `held-reason-${n}` }, t("cst.note")), reason,
    h("div", { class: "row" },
      h("button", { class: "btn btn-primary", type: "button", onclick: step("release") }, t("cst.release")),
      h("button", { class: "btn btn-danger", type: "button", onclick: step("reject") }, t("cst.reject"))),
    result);
}

// ---- topics and their next steps ----------------------------------------------------

async function loadTopics() {
  const q = new URLSearchParams({ limit: "100" });
  if ($("#st-state").value) q.set("state", $("#st-state").value);
  let r;
  try {
    // With what residents left to be reached by (staff only: the public list masks it).
    [r, contacts] = await Promise.all([api(`${base}/topics?${q}`),
      api(`${base}/contacts`, { token }).then((c) => c.contacts)]);
  } catch (err) {
    notify(errorText(err));
    return;
  }
  const topics = r.topics || [];
  // Drawn again only when something on the cards changed: a refresh for another reason
  // (a held topic decided, another card's step) must not reset a step being chosen here.
  const drawn = JSON.stringify([topics, contacts, [...roomLinks], document.documentElement.lang]);
  if (drawn === listDrawn) return;
  listDrawn = drawn;
  $("#st-list").replaceChildren(...(topics.length ? topics.map(staffCard)
    : [h("li", { class: "hint" }, t("com.none"))]));
}

function staffCard(topic) {
  const steps = stepsFrom(topic.state);
  const card = h("li", { class: "staff-card", dataset: { topic: topic.topic_id } },
    h("h3", { tabindex: "-1" }, topic.title || ""),
    h("p", { class: "topic-meta" }, stateTag(topic.state), " ", topicMeta(topic), " · ",
      t(community.household_codes ? "com.cosigns_households" : "com.cosigns", { n: topic.cosigns || 0 })),
    topic.description ? h("p", { class: "topic-desc" }, topic.description) : null,
    contacts[topic.topic_id] ? h("p", { class: "topic-contact" }, t("cst.contact", { contact: contacts[topic.topic_id] })) : null);
  const link = roomLinks.get(topic.topic_id);
  if (link) card.append(roomLink(link));
  if (steps.length) card.append(stepForm(topic, steps));
  const box = h("div", { class: "tl-box" });
  const details = h("details", { class: "tl-details" }, h("summary", {}, t("com.timeline")), box);
  details.addEventListener("toggle", async () => {
    if (!details.open) return;
    try {
      box.replaceChildren(renderTimeline(await api(`${base}/topics/${encodeURIComponent(topic.topic_id)}`)));
    } catch (err) {
      box.replaceChildren(h("p", { class: "error" }, errorText(err)));
    }
  });
  card.append(details);
  return card;
}

function roomLink(url) {
  return h("p", { class: "room-link" }, h("a", { href: url, target: "_blank", rel: "noopener" }, t("cst.room_link")));
}

function stepForm(topic, steps) {
  const n = ++seq;
  const select = h("select", { id: `step-${n}` }, steps.map((s) => h("option", { value: s.to }, t(`cstep.${s.to}`))));
  const chosen = () => steps.find((s) => s.to === select.value);
  const fieldsBox = h("div", { class: "step-fields" });
  const result = h("p", { class: "error", role: "alert" });
  const inputs = {};
  const drawFields = () => {
    for (const key of Object.keys(inputs)) delete inputs[key];
    fieldsBox.replaceChildren(...fieldsOf(chosen()).map(([key, label, need]) => {
      const fid = `step-${n}-${key}`;
      const attrs = { id: fid, autocomplete: "off", required: need || undefined };
      const input = key === "report" || (key === "reason" && select.value === "declined")
        ? h("textarea", { ...attrs, rows: "3", maxlength: "1000" })
        : h("input", { ...attrs, type: key === "date" ? "date" : key === "time" ? "time" : "text", maxlength: "200" });
      inputs[key] = input;
      return h("div", { class: "step-field" }, h("label", { for: fid }, t(label)), input);
    }));
  };
  select.addEventListener("change", drawFields);
  drawFields();
  const form = h("form", { class: "step-form", novalidate: true },
    h("label", { for: `step-${n}` }, t("cst.next_step")), select, fieldsBox,
    h("div", { class: "row" }, h("button", { class: "btn btn-primary", type: "submit" }, t("cst.do_step"))),
    result);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const to = select.value;
    const body = { to };
    for (const [key, label, need] of fieldsOf(chosen())) {
      const v = inputs[key].value.trim();
      inputs[key].removeAttribute("aria-invalid");
      if (need && !v) {
        setText(result, t("cst.need_field", { field: t(label) }));
        inputs[key].setAttribute("aria-invalid", "true");
        inputs[key].focus();
        return;
      }
      if (v) body[key] = key === "into" ? topicIdOf(v) : v;
    }
    if (body.date) {
      body.when = `${body.date}T${body.time || "00:00"}`;
      delete body.date;
      delete body.time;
    }
    const btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    try {
      const r = await api(`${base}/topics/${encodeURIComponent(topic.topic_id)}/transition`, { method: "POST", token, body });
      if (r.moderator_url) roomLinks.set(topic.topic_id, r.moderator_url);
      notify(t("cst.step_done", { title: topic.title, state: t(`cstate.${r.state || to}`) }), { kind: "ok" });
      await loadTopics();
      // The list was redrawn: keep her place, on the topic she just moved.
      const fresh = $(`#st-list [data-topic="${CSS.escape(topic.topic_id)}"] h3`);
      if (fresh) fresh.focus();
    } catch (err) {
      btn.disabled = false;
      setText(result, stepError(err, to));
    }
  });
  return form;
}

/** Why a step was refused, in words: a meeting not yet held is said plainly. */
function stepError(err, to) {
  const notHeld = err.code === "conflict" && to === "deliberated" && /not taken place/.test(err.message || "");
  if (notHeld) return t("cst.not_held_yet");
  return err.message && err.code === "conflict" ? `${errorText(err)} ${err.message}` : errorText(err);
}

// ---- clerk entry and new staff --------------------------------------------------------

async function onClerk(ev) {
  ev.preventDefault();
  const out = $("#ck-result");
  const body = {};
  for (const [key, sel, label] of [["household", "#ck-household", "cst.household"], ["title", "#ck-title", "com.f_title"], ["description", "#ck-desc", "com.f_desc"]]) {
    body[key] = $(sel).value.trim();
    if (!body[key]) {
      out.className = "error";
      setText(out, t("cst.need_field", { field: t(label) }));
      $(sel).focus();
      return;
    }
  }
  if ($("#ck-cat").value) body.category = $("#ck-cat").value;
  if ($("#ck-place").value.trim()) body.place = $("#ck-place").value.trim();
  try {
    const r = await api(`${base}/topics`, { method: "POST", token, body });
    $("#clerk-form").reset();
    out.className = "ok";
    setText(out, r.state === "held" ? t("com.sent_held") : t("com.sent_ok", { id: r.topic_id }));
    refresh();
  } catch (err) {
    out.className = "error";
    setText(out, errorText(err));
  }
}

async function onPeople(ev) {
  ev.preventDefault();
  const out = $("#pp-result");
  const name = $("#pp-name").value.trim();
  if (!name) {
    setText(out, t("cst.need_field", { field: t("cst.people_name") }));
    $("#pp-name").focus();
    return;
  }
  try {
    const r = await api(`${base}/staff`, { method: "POST", token, body: { role: $("#pp-role").value, name } });
    const url = `${location.origin}/c/${encodeURIComponent(id)}/staff#${r.token}`;
    out.replaceChildren(t("cst.people_link", { name }), " ", h("a", { href: url, class: "staff-link" }, url));
    $("#pp-name").value = "";
  } catch (err) {
    setText(out, errorText(err));
  }
}

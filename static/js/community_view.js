// What the public community page and the staff triage page both show: a
// topic's state, its card's facts and its timeline (who, when, why), built
// with text nodes only (every text here comes from residents or staff).

import { h } from "./dom.js";
import { lang, t } from "./i18n.js";
import { dateOf } from "./util.js";

export const STATES = Object.freeze([
  "submitted", "accepted", "merged", "declined", "scheduled", "deliberated", "in_progress",
  "solved", "not_solved",
]);
export const RATINGS = Object.freeze(["satisfied", "partly", "not"]);

/** The community id from /c/{id} or /c/{id}/staff. */
export function communityIdFromPath(path = location.pathname) {
  const m = path.match(/^\/c\/([^/]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export function apiBase(id) {
  return `/api/communities/${encodeURIComponent(id)}`;
}

/**
 * Fill a <select> with an empty first choice and `choices` ([value, label] pairs),
 * keeping what was chosen (it is redrawn on a language change and on a refresh).
 */
export function fillSelect(select, firstLabel, choices) {
  const keep = select.value;
  select.replaceChildren(h("option", { value: "" }, firstLabel),
    ...choices.map(([value, label]) => h("option", { value }, label)));
  select.value = keep;
}

export function stateLabel(state) {
  return t(`cstate.${state}`);
}

export function stateTag(state) {
  return h("span", { class: `tag tag-state tag-state-${state}` }, stateLabel(state));
}

/** 0.542 -> "54%"; null (nothing to divide by) -> "—". */
export function percent(rate) {
  return typeof rate === "number" ? `${Math.round(rate * 100)}%` : "—";
}

export function when(value) {
  return dateOf(value, lang());
}

function dateTime(value) {
  if (!value) return "";
  const d = typeof value === "number" ? new Date(value) : new Date(String(value));
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(lang() === "en" ? "en-GB" : "zh-CN", {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

/** The line under a topic's title: category, date, place, co-signs, clerk mark. */
// A topic's id is "t" and its number (server/core/community/state.py): residents and
// staff see and type the number alone ("第 3 号"), the API takes the id.

/** The number residents see of a topic id ("t3" → "3"). */
export function numberOf(topicId) {
  return String(topicId).replace(/^t/, "");
}

/** The topic id of what staff typed: "3", "第 3 号" or "t3" → "t3". */
export function topicIdOf(typed) {
  const digits = String(typed).replace(/\D/g, "");
  return digits ? `t${digits}` : String(typed).trim();
}

export function topicMeta(topic) {
  const bits = [t("com.number", { n: topic.number })]; // staff merge by it; residents quote it
  if (topic.category) bits.push(topic.category);
  const at = topic.submitted_at || topic.created_at || topic.at;
  if (at) bits.push(when(at));
  if (topic.place) bits.push(t("com.place", { place: topic.place }));
  if (topic.by_clerk) bits.push(t("com.by_clerk"));
  return bits.join(" · ");
}

function actorText(actor) {
  if (!actor) return "";
  const role = actor.role ? t(`crole.${actor.role}`) : "";
  return [role, actor.name].filter(Boolean).join(" ");
}

/** The topic's timeline and its rooms (decisions, actions with overdue flags). */
export function renderTimeline(topic) {
  const steps = (topic.timeline || []).map((step) => h("li", { class: "tl-step" },
    h("p", { class: "tl-head" },
      h("time", { datetime: typeof step.at === "number" ? new Date(step.at).toISOString() : String(step.at || "") },
        dateTime(step.at)),
      " ", stateTag(step.state), " ", h("span", { class: "tl-actor" }, actorText(step.actor))),
    step.reason ? h("p", { class: "tl-reason" }, t("com.tl_reason", { text: step.reason })) : null,
    step.report ? h("p", { class: "tl-report" }, t("com.tl_report", { text: step.report })) : null,
    step.into ? h("p", {}, t("com.tl_merged_into", { n: numberOf(step.into) })) : null,
  ));
  const rooms = (topic.rooms || []).map((room, i) => h("li", { class: "tl-room" },
    h("h4", {}, t("com.tl_room", { n: i + 1, title: room.title || "" })),
    h("p", { class: "hint" }, [room.when ? dateTime(room.when) : "", room.place || ""].filter(Boolean).join(" · ")),
    h("p", {}, h("a", { href: `/r/${encodeURIComponent(room.room_id)}/minutes` }, t("com.tl_minutes"))),
    (room.decisions || []).length ? h("div", {},
      h("h5", {}, t("com.tl_decisions")),
      h("ul", { class: "tl-decisions" }, (room.decisions || []).map((d) => h("li", {}, typeof d === "string" ? d : d.text || "")))) : null,
    (room.actions || []).length ? h("div", {},
      h("h5", {}, t("com.tl_actions")),
      h("ul", { class: "tl-actions" }, (room.actions || []).map((a) => h("li", { class: a.overdue ? "is-overdue" : "" },
        h("span", {}, a.title || ""), " ",
        h("span", { class: "hint" }, t("action.meta", { owner: a.owner || "", due: a.due || "" })), " ",
        h("span", { class: `tag tag-status-${a.status || "open"}` }, t(`action.status.${a.status || "open"}`)),
        a.overdue ? h("span", { class: "tag tag-overdue" }, t("com.overdue")) : null)))) : null,
  ));
  const merged = (topic.merged || []).length
    ? h("p", {}, t("com.tl_merged", { ns: topic.merged.map(numberOf).join(t("com.list_sep")) })) : null;
  return h("div", { class: "timeline" },
    h("ol", { class: "plain tl-steps" }, steps),
    rooms.length ? h("ul", { class: "plain tl-rooms" }, rooms) : null,
    merged,
    topic.merged_into ? h("p", {}, t("com.tl_merged_into", { n: numberOf(topic.merged_into) })) : null);
}

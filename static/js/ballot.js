// Ranked and score polls, quorum and thresholds (rules 6; docs/protocol.md,
// "Ranked and score polls, quorum and thresholds"), on every page that shows
// polls:
//
// * orderedBallot(): the resident's ballot of a ranked poll (tap the options in
//   order of preference, see the order, undo or clear, then vote) or of a score
//   poll (a row of big buttons 0..max_score per option). Made for an elderly
//   thumb on a 360 px phone: every target at least 48 px, one column.
// * renderDecision(): what a closed poll decided: carried / not carried / no
//   quorum with the numbers, a ranked poll's winner and rounds, a score poll's
//   means.
// * ballotText(), countLabel(), rulesMeta(), turnoutText(): the words for a
//   ballot, a count, the rules a poll set and how many have voted.
// * presenceText(): for the chair, the eligible participants present now
//   (residents online or seated in the hall, not removed), against each open
//   poll's quorum; the reducer counts the same at the close.

import { $, h, setText } from "./dom.js";
import { t } from "./i18n.js";
import { optionLabel } from "./ui.js";

export const ORDERED_KINDS = ["ranked", "score"];

export function isOrdered(poll) {
  return ORDERED_KINDS.includes(poll.kind);
}

/** A ballot as words: a ranking in order, scores per option, else the choices. */
export function ballotText(poll, ballot) {
  const list = Array.isArray(ballot) ? ballot : [];
  if (poll.kind === "ranked") return list.map((i, n) => t("ballot.rank_item", { n: n + 1, option: optionLabel(poll, i) })).join(t("ballot.sep"));
  if (poll.kind === "score") return list.map((s, i) => t("ballot.score_item", { option: optionLabel(poll, i), n: s })).join(t("ballot.sep"));
  return list.map((i) => optionLabel(poll, i)).join("、");
}

/** One option's count under its bar: first preferences, a score total, or votes. */
export function countLabel(poll, n, pct) {
  if (poll.kind === "ranked") return t("ballot.first_prefs", { n, pct });
  if (poll.kind === "score") return t("ballot.total", { n });
  return t("poll.count", { n, pct });
}

function thresholdWords(poll) {
  return t(`ballot.threshold.${poll.threshold_base || "cast"}`, { threshold: t(`ballot.th.${poll.threshold}`) });
}

/**
 * How many have voted and how many may ({voters, eligible}, or null when unknown):
 * the fresher of the server's public turnout and the tally's numbers. A secret
 * poll's batched tally lags behind the turnout until its count catches up, and
 * the number of ballots only grows, so the larger one is the news.
 */
export function turnoutOf(poll) {
  const tallied = Number.isInteger(poll.voters) ? { voters: poll.voters, eligible: poll.eligible } : null;
  const live = poll.turnout ? { voters: poll.turnout.voters, eligible: poll.turnout.eligible } : null;
  if (!live || !tallied) return live || tallied;
  return live.voters >= tallied.voters ? live : tallied;
}

/** The turnout as words ("已投票 2 人 / 应投 3 人"), or "" when unknown. */
export function turnoutText(poll) {
  const n = turnoutOf(poll);
  return n ? t("poll.turnout", { voters: n.voters, eligible: n.eligible ?? "?" }) : "";
}

/** The rules a poll set, for its meta line ([] when none). */
export function rulesMeta(poll) {
  const parts = [];
  if (poll.threshold) parts.push(thresholdWords(poll));
  if (poll.quorum) parts.push(t("ballot.quorum_rule", { n: poll.quorum }));
  return parts;
}

/** The eligible participants present now (the count a quorum asks for at the close). */
export function presentNow(state) {
  return (state.participants || []).filter((p) => p.role === "participant" && !p.removed && (p.online || p.in_hall)).length;
}

/** The chair's line: present now, and for each open poll with a quorum, met or not. */
export function presenceText(state) {
  const present = presentNow(state);
  const lines = [t("ballot.present_now", { n: present })];
  for (const poll of state.polls || []) {
    if (poll.status !== "open" || !poll.quorum) continue;
    lines.push(t(present >= poll.quorum ? "ballot.quorum_met" : "ballot.quorum_short",
      { q: poll.question, quorum: poll.quorum, n: present }));
  }
  return lines.join(" ");
}

// ---- what a closed poll decided ---------------------------------------------------

function whyText(poll) {
  const why = poll.decided_by || {};
  const parts = [];
  if (why.votes !== undefined) {
    parts.push(t(`ballot.why.${why.threshold_base || "cast"}`, {
      votes: why.votes, base: why.base, needed: why.needed, threshold: t(`ballot.th.${why.threshold}`),
    }));
  }
  if (why.quorum !== undefined) parts.push(t("ballot.why.quorum", { quorum: why.quorum, present: why.present }));
  return parts.join(t("ballot.sep"));
}

function roundsTable(poll) {
  const rounds = poll.rounds || [];
  const head = h("tr", {}, h("th", { scope: "col" }, t("ballot.option")),
    ...rounds.map((r) => h("th", { scope: "col" }, t("ballot.round", { n: r.round }))));
  const rows = (poll.options || []).map((_, i) => h("tr", {}, h("th", { scope: "row" }, optionLabel(poll, i)),
    ...rounds.map((r) => h("td", {}, r.counts[i] === null ? "—" : String(r.counts[i])))));
  const exhausted = h("tr", {}, h("th", { scope: "row" }, t("ballot.exhausted")), ...rounds.map((r) => h("td", {}, String(r.exhausted))));
  const steps = rounds.filter((r) => r.eliminated !== null).map((r) => {
    const to = (r.transfers?.to || []).map((n, i) => (n ? t("ballot.score_item", { option: optionLabel(poll, i), n }) : null)).filter(Boolean);
    return h("li", {}, t("ballot.eliminated", {
      n: r.round, option: optionLabel(poll, r.eliminated), tie: r.tie_break ? t(`ballot.tie.${r.tie_break}`) : "",
      to: to.length ? to.join("、") : t("ballot.nobody"), exhausted: r.transfers?.exhausted ?? 0,
    }));
  });
  return h("details", { class: "rounds" }, h("summary", {}, t("ballot.rounds", { n: rounds.length })),
    h("div", { class: "rounds-scroll" }, h("table", { class: "rounds-table" }, h("thead", {}, head), h("tbody", {}, ...rows, exhausted))),
    h("ol", { class: "plain rounds-steps" }, ...steps));
}

/** Fill `box` with what a closed poll decided (empty for an open poll or one without). */
export function renderDecision(box, poll) {
  const closed = poll.status === "closed" && Array.isArray(poll.counts);
  const sig = closed ? JSON.stringify([poll.outcome, poll.decided_by, poll.winner, poll.rounds, poll.means, t("ballot.sep")]) : "";
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  box.replaceChildren();
  if (!closed) return;
  if (poll.kind === "ranked" && poll.rounds) {
    box.append(h("p", { class: "winner" }, poll.winner === null || poll.winner === undefined
      ? t("ballot.no_winner") : t("ballot.winner", { option: optionLabel(poll, poll.winner) })));
    box.append(roundsTable(poll));
  }
  if (poll.kind === "score" && Array.isArray(poll.means)) {
    box.append(h("p", { class: "means" }, t("ballot.means", {
      list: poll.means.map((m, i) => t("ballot.score_item", { option: optionLabel(poll, i), n: m.toFixed(2) })).join("、"),
    })));
  }
  if (poll.outcome) {
    box.append(h("p", { class: `outcome outcome-${poll.outcome}` },
      h("strong", {}, t("ballot.outcome_then", { outcome: t(`ballot.outcome.${poll.outcome}`) })), whyText(poll) ? ` ${whyText(poll)}` : ""));
  }
}

// ---- the resident's ballot --------------------------------------------------------

/**
 * The ballot form of a ranked or score poll. `initial` is her last ballot (a
 * revote starts from it); `send(args, button)` casts it and re-renders.
 */
export function orderedBallot(poll, { initial = null, header = [], footer = [], voted = false, send }) {
  return poll.kind === "ranked" ? rankedForm(poll, { initial, header, footer, voted, send }) : scoreForm(poll, { initial, header, footer, voted, send });
}

function submitRow(voted) {
  return h("button", { class: "btn btn-primary btn-big", type: "submit" }, voted ? t("poll.revote") : t("poll.vote"));
}

function rankedForm(poll, { initial, header, footer, voted, send }) {
  let order = Array.isArray(initial) ? initial.slice() : [];
  const err = h("p", { class: "error", role: "alert" });
  const list = h("ol", { class: "rank-order", "aria-live": "polite" });
  const empty = h("p", { class: "hint rank-empty" }, t("ballot.rank_empty"));
  const buttons = (poll.options || []).map((_, i) => {
    const b = h("button", { class: "rank-option", type: "button", "aria-pressed": "false", "data-option": String(i) },
      h("span", { class: "rank-badge", "aria-hidden": "true" }), h("span", { class: "rank-label" }, optionLabel(poll, i)));
    b.addEventListener("click", () => {
      if (order.includes(i)) return;
      order.push(i);
      setText(err, "");
      paint();
    });
    return b;
  });
  const undo = h("button", { class: "btn btn-secondary", type: "button" }, t("ballot.undo"));
  const clear = h("button", { class: "btn btn-secondary", type: "button" }, t("ballot.clear"));
  undo.addEventListener("click", () => { order.pop(); paint(); });
  clear.addEventListener("click", () => { order = []; paint(); });
  function paint() {
    buttons.forEach((b, i) => {
      const at = order.indexOf(i);
      b.setAttribute("aria-pressed", at >= 0 ? "true" : "false");
      b.disabled = at >= 0;
      setText($(".rank-badge", b), at >= 0 ? String(at + 1) : "");
      b.setAttribute("aria-label", at >= 0 ? t("ballot.ranked_as", { option: optionLabel(poll, i), n: at + 1 }) : optionLabel(poll, i));
    });
    list.replaceChildren(...order.map((i) => h("li", {}, optionLabel(poll, i))));
    empty.hidden = order.length > 0;
    undo.disabled = clear.disabled = order.length === 0;
  }
  paint();
  const submit = submitRow(voted);
  const form = h("form", { class: "vote-form ranked-form" },
    h("fieldset", {},
      h("legend", { class: "sr-only" }, poll.question),
      ...header,
      h("p", { class: "hint" }, t("ballot.rank_hint")),
      h("div", { class: "rank-options" }, ...buttons)),
    h("p", { class: "rank-title" }, t("ballot.your_order")), empty, list,
    h("div", { class: "rank-tools" }, undo, clear),
    ...footer, submit, err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!order.length) return setText(err, t("ballot.rank_none"));
    setText(err, "");
    send({ choices: order.slice() }, submit);
  });
  return form;
}

function scoreForm(poll, { initial, header, footer, voted, send }) {
  const max = poll.max_score || 5;
  const scores = (poll.options || []).map((_, i) => (Array.isArray(initial) && Number.isInteger(initial[i]) ? initial[i] : null));
  const err = h("p", { class: "error", role: "alert" });
  const rows = (poll.options || []).map((_, i) => {
    const labelId = `score-${poll.poll_id}-${i}`;
    const picks = Array.from({ length: max + 1 }, (_, s) => {
      const b = h("button", { class: "score-pick", type: "button", "aria-pressed": "false", "data-score": String(s),
        "aria-label": t("ballot.score_item", { option: optionLabel(poll, i), n: s }) }, String(s));
      b.addEventListener("click", () => { scores[i] = s; setText(err, ""); paint(); });
      return b;
    });
    const row = h("div", { class: "score-row", role: "group", "aria-labelledby": labelId },
      h("p", { class: "score-label", id: labelId }, optionLabel(poll, i), " ", h("span", { class: "score-now" })),
      h("div", { class: "score-picks" }, ...picks));
    return { row, picks, now: $(".score-now", row) };
  });
  function paint() {
    rows.forEach(({ picks, now }, i) => {
      picks.forEach((b, s) => b.setAttribute("aria-pressed", scores[i] === s ? "true" : "false"));
      setText(now, scores[i] === null ? t("ballot.unscored") : t("ballot.scored", { n: scores[i], max }));
    });
  }
  paint();
  const submit = submitRow(voted);
  const form = h("form", { class: "vote-form score-form" },
    h("fieldset", {},
      h("legend", { class: "sr-only" }, poll.question),
      ...header,
      h("p", { class: "hint" }, t("ballot.score_hint", { max })),
      ...rows.map((r) => r.row)),
    ...footer, submit, err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (scores.some((s) => s === null)) return setText(err, t("ballot.score_missing"));
    setText(err, "");
    send({ scores: scores.slice() }, submit);
  });
  return form;
}

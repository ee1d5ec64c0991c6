// Rendering pieces shared by the resident page and the moderator console.

import { countLabel, renderDecision, rulesMeta, turnoutOf, turnoutText } from "./ballot.js";
import { markCue } from "./cues.js";
import { $, h, reconcile, setText, show } from "./dom.js";
import { lang, t } from "./i18n.js";
import { queueName } from "./queue_view.js";
import { clock, STANCES, timeOfDay } from "./util.js";

/** The text for a failed command or request: {code, message} -> words. */
export function errorText(err) {
  const code = (err && err.code) || "unavailable";
  const known = t(`error.${code}`);
  return known === `error.${code}` ? t("error.unavailable") : known;
}

let noticeSeq = 0;

/**
 * Show a notice. Failures stay until dismissed (role=alert); confirmations
 * fade after a few seconds (role=status).
 */
export function notify(text, { kind = "error" } = {}) {
  const box = $("#notices");
  if (!box) return;
  const id = `notice-${++noticeSeq}`;
  const close = h("button", { class: "btn btn-ghost btn-small", type: "button", "aria-label": t("common.dismiss") }, "×");
  const item = h("div", { class: `notice notice-${kind}`, id, role: kind === "error" ? "alert" : "status" },
    h("span", {}, text), close);
  close.addEventListener("click", () => item.remove());
  box.append(item);
  if (kind !== "error") setTimeout(() => item.remove(), 5000);
  while (box.children.length > 3) box.firstElementChild.remove();
}

/**
 * Run a command from a button: the button shows it is busy, a failure is
 * reported as a failure (with the action's name), never as done.
 */
export async function act(button, label, fn) {
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    const result = await fn();
    if (button) button.classList.remove("failed");
    return result;
  } catch (err) {
    if (button) button.classList.add("failed");
    notify(t("common.failed", { action: label, reason: errorText(err) }));
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }
}

/**
 * Send the words typed in `box` when `form` is submitted, as act() does for a
 * button (`label()`: the action's name in the language of the moment); with
 * nothing typed, focus goes back to the box and nothing is sent.
 */
export function onTextSubmit(form, box, label, fn) {
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = box.value.trim();
    if (!text) return box.focus();
    act(ev.submitter || null, label(), () => fn(text));
  });
}

/** Connection banner: hidden while all is well, unmistakable otherwise. */
export function renderConnection(el, status) {
  const text = { connecting: t("conn.connecting"), reconnecting: t("conn.reconnecting"), closed: t("conn.closed") }[status] || "";
  el.classList.toggle("conn-bad", status === "reconnecting" || status === "closed");
  el.classList.toggle("conn-ok", status === "open");
  setText(el, status === "open" ? t("conn.open") : text);
  document.body.classList.toggle("offline", status !== "open");
}

export function stanceLabel(stance) {
  return stance ? t(`stance.${stance}`) : "";
}

export function stanceTag(stance) {
  return h("span", { class: `tag tag-${stance || "none"}` }, stanceLabel(stance));
}

export function statusLabel(status) {
  return t(`room.status.${status || "pending"}`);
}

/** The agenda line: "议题 2/3：加装电梯". */
export function agendaLine(state) {
  const { items, current } = state.room.agenda;
  if (!items.length) return "";
  const item = items[current] || items[0];
  return t("agenda.current", { n: (current ?? 0) + 1, total: items.length, title: item.title || item });
}

/** Queue by side; `extra(entry)` may add controls to each row. */
export function renderQueue(root, state, { extra = null, you = null } = {}) {
  for (const side of STANCES) {
    const list = $(`[data-queue="${side}"]`, root);
    if (!list) continue;
    const entries = state.queue[side] || [];
    reconcile(
      list,
      entries.length ? entries : [{ participant_id: "__empty", empty: true }],
      (e) => e.participant_id,
      (e) => (e.empty ? h("li", { class: "empty" }, t("queue.empty")) : h("li", { class: "queue-row" }, h("span", { class: "qname" }), extra ? h("span", { class: "qextra" }) : null)),
      (li, e) => {
        if (e.empty) return setText(li, t("queue.empty"));
        const name = e.participant_id === you ? t("queue.you", { name: e.name }) : queueName(e, t);
        setText($(".qname", li), name + (e.note ? ` · ${e.note}` : ""));
        li.classList.toggle("is-you", e.participant_id === you);
        if (extra) extra($(".qextra", li), e);
      },
    );
    const count = $(`[data-queue-count="${side}"]`, root);
    if (count) setText(count, t("queue.count", { n: entries.length }));
  }
}

/** Time per side on the current agenda item, as bars with words beside them. */
export function renderBalance(root, state) {
  const b = state.balance || {};
  const max = Math.max(1, ...STANCES.map((s) => (b[s] && b[s].ms) || 0));
  for (const side of STANCES) {
    const row = $(`[data-balance="${side}"]`, root);
    if (!row) continue;
    const ms = (b[side] && b[side].ms) || 0;
    const turns = (b[side] && b[side].turns) || 0;
    $(".bar-fill", row).style.width = `${Math.round((ms / max) * 100)}%`;
    setText($(".bar-text", row), t("balance.row", { turns, time: clock(ms) }));
  }
}

/** Who has the floor, with the countdown; returns the timer element to tick. */
export function renderFloor(root, state, client) {
  const turn = state.turn;
  const name = $(".floor-name", root);
  const timer = $(".floor-timer", root);
  show($(".floor-active", root), Boolean(turn));
  show($(".floor-idle", root), !turn);
  if (turn) {
    setText(name, turn.name || "");
    const tag = $(".floor-stance", root);
    tag.className = `floor-stance tag tag-${turn.stance}`;
    setText(tag, stanceLabel(turn.stance));
    show($(".floor-override", root), Boolean(turn.override));
    tickTimer(timer, turn, client);
  } else {
    const idle = $(".floor-idle", root);
    const last = state.last_turn_end;
    const status = state.room.status;
    setText(idle, status === "live" ? (last ? t("floor.ended", { reason: t(`turn.reason.${last.reason}`) }) : t("floor.idle")) : statusLabel(status));
  }
}

export function tickTimer(el, turn, client) {
  if (!el || !turn) return;
  const now = client.now();
  const left = turn.ends_at - now;
  setText(el, clock(left));
  // The room's time cues (cues.js): amber after the first, red and pulsing after the last.
  markCue(el, turn, now, client.state);
  el.setAttribute("aria-label", t("floor.left", { time: clock(left) }));
}

/** Polls as keyed cards; `controls(card, poll)` fills each card's action area. */
export function renderPolls(list, state, controls) {
  const polls = state.polls.slice().sort((a, b) => (a.status === b.status ? 0 : a.status === "open" ? -1 : 1));
  reconcile(
    list,
    polls,
    (p) => p.poll_id,
    (p) =>
      h("li", { class: "poll card-inner" },
        h("h3", { class: "poll-q" }),
        h("p", { class: "poll-meta" }),
        h("div", { class: "poll-controls" }),
        h("div", { class: "poll-results" }),
        h("div", { class: "poll-decision" })),
    (li, p) => {
      setText($(".poll-q", li), p.question);
      setText($(".poll-meta", li), pollMeta(p));
      controls($(".poll-controls", li), p);
      renderResults($(".poll-results", li), p);
      renderDecision($(".poll-decision", li), p);
    },
  );
}

export function optionLabel(poll, i) {
  if (poll.kind === "yes_no_abstain" && lang() !== "zh") return t(`poll.yna.${i}`);
  return (poll.options || [])[i] ?? "";
}

function pollMeta(p) {
  const parts = [t(`poll.status.${p.status}`)];
  if (p.kind === "multi") parts.push(t("poll.kind.multi", { n: p.max_choices || (p.options || []).length }));
  else parts.push(t(`poll.kind.${p.kind || "single"}`, { n: p.max_score }));
  if (p.secret) parts.push(t("poll.secret"));
  parts.push(...rulesMeta(p));
  return parts.join(" · ");
}

function renderResults(box, p) {
  const counts = p.counts;
  const turnout = turnoutText(p);
  if (!Array.isArray(counts)) {
    const voted = (turnoutOf(p)?.voters || 0) > 0;
    const live = voted ? t("poll.tally_batched") : t("poll.no_votes");
    const text = p.status === "open" ? (p.live_results ? live : t("poll.results_later")) : "";
    const sig = `${text}\n${turnout}`;
    if (box.dataset.mode !== "text" || box.dataset.sig !== sig) {
      box.dataset.mode = "text";
      box.dataset.sig = sig;
      box.replaceChildren(text ? h("p", { class: "hint" }, text) : "", turnout ? h("p", { class: "poll-turnout" }, turnout) : "");
    }
    return;
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const rows = counts.map((c, i) => ({ i, c }));
  box.dataset.mode = "bars";
  box.dataset.sig = "";
  let ul = $("ul", box);
  if (!ul) {
    box.replaceChildren();
    ul = h("ul", { class: "results" });
    box.append(ul, h("p", { class: "poll-turnout" }));
  }
  reconcile(ul, rows, (r) => r.i,
    () => h("li", {}, h("span", { class: "res-label" }), h("span", { class: "bar", "aria-hidden": "true" }, h("span", { class: "bar-fill" })), h("span", { class: "res-count" })),
    (li, r) => {
      setText($(".res-label", li), optionLabel(p, r.i));
      $(".bar-fill", li).style.width = `${total ? Math.round((r.c / total) * 100) : 0}%`;
      setText($(".res-count", li), countLabel(p, r.c, total ? Math.round((r.c / total) * 100) : 0));
    });
  setText($(".poll-turnout", box), turnout);
}

/** Chat messages; `extra(li, m)` may add controls (moderator). */
export function renderChat(list, messages, { you = null, extra = null } = {}) {
  // Follow new messages only if the reader was already at the bottom.
  const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  reconcile(list, messages, (m) => m.message_id,
    () => h("li", { class: "msg" },
      h("p", { class: "msg-head" }, h("strong", { class: "msg-name" }), " ", h("span", { class: "msg-time" })),
      h("p", { class: "msg-text" }),
      h("p", { class: "msg-note" }),
      extra ? h("div", { class: "msg-actions" }) : null),
    (li, m) => {
      setText($(".msg-name", li), m.participant_id === you ? t("queue.you", { name: m.name || "" }) : m.name || "");
      setText($(".msg-time", li), timeOfDay(m.at, lang()));
      setText($(".msg-text", li), m.text || "");
      const mine = m.participant_id === you;
      let note = "";
      if (m.status === "held") note = mine ? t("chat.held_own") : t("chat.held");
      else if (m.status === "masked") note = mine ? t("chat.masked_own") : t("chat.masked");
      setText($(".msg-note", li), note);
      show($(".msg-note", li), Boolean(note));
      li.classList.toggle("msg-held", m.status === "held");
      li.classList.toggle("msg-mine", mine);
      if (extra) extra($(".msg-actions", li), m);
    });
  if (atEnd) list.scrollTop = list.scrollHeight;
}

export function renderStatements(list, state) {
  const items = state.statements.slice().reverse();
  reconcile(list, items.length ? items : [{ statement_id: "__empty", empty: true }], (s) => s.statement_id,
    (s) => s.empty ? h("li", { class: "empty" }) : h("li", { class: "statement" },
      h("p", { class: "st-head" }, h("strong", { class: "st-name" }), " ", h("span", { class: "st-stance tag" }), " ", h("span", { class: "st-time" })),
      h("p", { class: "st-text" })),
    (li, s) => {
      if (s.empty) return setText(li, t("statements.empty"));
      setText($(".st-name", li), s.name || "");
      const tag = $(".st-stance", li);
      tag.className = `st-stance tag tag-${s.stance || "none"}`;
      setText(tag, stanceLabel(s.stance));
      show(tag, Boolean(s.stance));
      setText($(".st-time", li), timeOfDay(s.at, lang()));
      setText($(".st-text", li), s.text || "");
    });
}

export function renderOutcomes(decList, actList, state, { actionExtra = null } = {}) {
  if (decList) {
    const ds = state.decisions.length ? state.decisions : [{ decision_id: "__empty", empty: true }];
    reconcile(decList, ds, (d) => d.decision_id, () => h("li", {}), (li, d) => setText(li, d.empty ? t("decisions.empty") : d.text));
  }
  if (actList) {
    const as = state.actions.length ? state.actions : [{ action_id: "__empty", empty: true }];
    reconcile(actList, as, (a) => a.action_id,
      (a) => a.empty ? h("li", { class: "empty" }) : h("li", { class: "action" },
        h("p", {}, h("strong", { class: "act-title" }), " ", h("span", { class: "act-status tag" })),
        h("p", { class: "act-meta hint" }),
        actionExtra ? h("div", { class: "act-controls" }) : null),
      (li, a) => {
        if (a.empty) return setText(li, t("actions.empty"));
        setText($(".act-title", li), a.title);
        const tag = $(".act-status", li);
        tag.className = `act-status tag tag-status-${a.status}`;
        setText(tag, t(`action.status.${a.status}`));
        setText($(".act-meta", li), t("action.meta", { owner: a.owner || "", due: a.due || "" }));
        if (actionExtra) actionExtra($(".act-controls", li), a);
      });
  }
}

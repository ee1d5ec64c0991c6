// The console's floor: start and end the session, the running turn (extend,
// end, a clerk's statement for the speaker in the hall), who speaks next and
// why, and the moderator's single-key shortcuts for the frequent ones.

import { $, $$, setText, show } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act, renderFloor, stanceLabel } from "./ui.js";
import { clock, STANCES } from "./util.js";
import { balanceWithRunningTurn, isAway, predictNextBothWays, queueName } from "./queue_view.js";
import { onSubmit } from "./console_tools.js";

const KEYS_KEY = "yishi.mod.keys";

/** The floor's buttons; `page` is the console (client, send). */
export function wireFloor(page) {
  const { send } = page;
  const start = $("#start-btn");
  start.addEventListener("click", () => act(start, t("mod.start"), () => send("session.start")));
  const end = $("#end-btn");
  end.addEventListener("click", () => {
    if (!window.confirm(t("mod.end_confirm"))) return;
    act(end, t("mod.end"), () => send("session.end"));
  });
  for (const b of $$("[data-extend]")) {
    b.addEventListener("click", () => act(b, b.textContent, () =>
      send("turn.extend", { seconds: Number(b.dataset.extend), turn_id: page.client.state.turn && page.client.state.turn.turn_id })));
  }
  const endTurn = $("#turn-end-btn");
  endTurn.addEventListener("click", () => act(endTurn, t("mod.turn_end"), () =>
    send("turn.end", page.client.state.turn ? { turn_id: page.client.state.turn.turn_id } : {})));
  const next = $("#next-btn");
  next.addEventListener("click", () => {
    // The floor given to someone whose phone is closed runs for nobody: ask first,
    // and point to 跳过 (skip) when the chair would rather call the next one.
    const n = page.client.state.queue.next;
    if (n && isAway(n)
        && !window.confirm(t("mod.next_away_confirm", { name: n.name }))) {
      $("#skip-btn").focus();
      return;
    }
    act(next, t("mod.next_go"), () => send("turn.next"));
  });
  const skip = $("#skip-btn");
  skip.addEventListener("click", () => {
    const n = page.client.state.queue.next;
    if (!n) return;
    // Undoing is impossible (a hand raised again goes to the end of its side): ask.
    if (!window.confirm(t("con.queue_remove_confirm", { name: n.name }))) return;
    act(skip, t("mod.skip"), () => send("queue.remove", { participant_id: n.participant_id }));
  });

  onSubmit($("#behalf-statement"), () => t("mod.behalf_statement"), async () => {
    const text = $("#behalf-text").value.trim();
    const turn = page.client.state.turn;
    if (!text || !turn) return;
    await send("statement.post", { text, on_behalf_of: turn.participant_id });
    $("#behalf-text").value = "";
  });
}

/** The shortcuts' switch (kept in localStorage) and the keys themselves. */
export function wireShortcuts(page) {
  const keysOn = $("#keys-on");
  try {
    keysOn.checked = localStorage.getItem(KEYS_KEY) !== "off";
  } catch {
    /* storage blocked: on */
  }
  keysOn.addEventListener("change", () => {
    try {
      localStorage.setItem(KEYS_KEY, keysOn.checked ? "on" : "off");
    } catch {
      /* kept for this page only */
    }
    show($("#keys-legend"), keysOn.checked);
  });
  show($("#keys-legend"), keysOn.checked);
  document.addEventListener("keydown", (e) => onShortcut(page.client, e));
}

/**
 * Single-key shortcuts for the moderator's four frequent actions. Ignored while
 * typing (a field, a select, an IME composition), with a modifier held, when a
 * dialog is open, or when switched off (WCAG 2.1.4: character keys may be
 * turned off). Each acts through its button, so a disabled button is a no-op
 * and success and failure show as they do for a click.
 */
function onShortcut(client, e) {
  if (e.defaultPrevented || e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (!$("#keys-on").checked || !client || !client.state) return;
  if ((client.state.you.role || "moderator") !== "moderator") return;
  const el = e.target;
  if (el && el.closest && el.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])")) return;
  if (!$("#qr-full").hidden) return;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  let button = null;
  if (key === "n") button = $("#next-btn");
  else if (key === "e") button = $("#turn-end-btn");
  else if (key === "+" || key === "=") button = $('[data-extend="30"]');
  else if (key === "p") {
    e.preventDefault(); // the "p" must not land in the question field
    const details = $("#poll-create");
    details.open = true;
    $("#poll-question").focus();
    details.scrollIntoView({ block: "nearest" });
    return;
  } else return;
  e.preventDefault();
  if (button && !button.disabled && button.offsetParent !== null) button.click();
}

/** The session's buttons, the floor, the clerk's statement form and the next speaker. */
export function renderFloorPanel(client, state, role) {
  const live = state.room.status === "live";
  show($("#start-btn"), state.room.status === "pending" && role === "moderator");
  show($("#end-btn"), live && role === "moderator");

  // Floor and next speaker.
  renderFloor($("#floor"), state, client);
  const inHallSpeaker = state.turn && (state.participants.find((p) => p.participant_id === state.turn.participant_id) || {}).in_hall;
  // A clerk records for the floor holder only while they have no socket (in the hall).
  show($("#behalf-statement"), role === "clerk" && Boolean(inHallSpeaker) && !(state.participants.find((p) => p.participant_id === state.turn.participant_id) || {}).online);
  renderNext(client, state);
  const next = state.queue.next;
  $("#next-btn").disabled = !next || Boolean(state.turn) || !live;
  $("#skip-btn").disabled = !next;
  setText($("#next-busy"), state.turn ? t("mod.next_busy") : !live ? t("raise.not_started") : "");
}

/**
 * Why the policy picks `next` (the server, or the prediction, says who; this
 * says why, in words). `b` is the balance the pick was made with.
 */
function whyNext(state, next, b = state.balance || {}) {
  if (!next) return "";
  const side = next.stance;
  const policy = state.room.settings.policy || "balanced";
  const ms = (s) => (b[s] && b[s].ms) || 0;
  const turns = (s) => (b[s] && b[s].turns) || 0;
  const waiting = STANCES.filter((s) => (state.queue[s] || []).length);
  const others = waiting.filter((s) => s !== side);
  let why;
  if (policy === "alternate") why = t("why.alternate");
  else if (!others.length) why = t("why.only_side", { stance: stanceLabel(side) });
  else if (others.every((o) => ms(o) > ms(side))) {
    why = t("why.least_time", { stance: stanceLabel(side), time: clock(ms(side)), others: others.map((o) => `${stanceLabel(o)} ${clock(ms(o))}`).join(lang() === "zh" ? "，" : ", ") });
  } else if (others.every((o) => ms(o) > ms(side) || (ms(o) === ms(side) && turns(o) > turns(side)))) {
    why = t("why.fewer_turns", { stance: stanceLabel(side), n: turns(side) });
  } else why = t("why.tie", { stance: stanceLabel(side) });
  return `${why} ${t("why.within")}`;
}

/** "Next": the server's pick, or while someone speaks, the prediction with their turn counted. */
export function renderNext(client, state) {
  const { ifNow, atLimit, same } = predictNextBothWays(state, client.now());
  const counted = Boolean(ifNow && ifNow.counted);
  show($("#next-predicted"), counted);
  const label = (p) => `${queueName(p.entry, t)}（${stanceLabel(p.entry.stance)}）`;
  setText($("#next-who"), ifNow ? label(ifNow) : t("mod.next_none"));
  let when = "";
  if (counted) {
    when = t("con.next_if_now");
    if (!same && atLimit) when += ` ${t("con.next_if_limit", { name: atLimit.entry.name, stance: stanceLabel(atLimit.entry.stance) })}`;
    if (!ifNow.certain) when += ` ${t("con.next_uncertain")}`;
  }
  setText($("#next-when"), when);
  show($("#next-when"), Boolean(when));
  // Explain with the balance the prediction used (the running turn counted as ending now).
  const balance = counted ? balanceWithRunningTurn(state, client.now()) : state.balance || {};
  setText($("#next-why"), whyNext(state, ifNow ? ifNow.entry : null, balance));
}

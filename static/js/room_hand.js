// The resident's hand: raise it on a side (asked first before switching, with
// the cost), lower it, where she stands in the queue, and that the moderator
// took it down.

import { $, $$, setText, show } from "./dom.js";
import { t } from "./i18n.js";
import { act, notify, renderQueue, stanceLabel } from "./ui.js";
import { aheadOf, placeIfMoved, placeOf, predictedNext, queueName } from "./queue_view.js";

/**
 * Wire the hand's buttons; `page` is the resident page (client, announce).
 * Returns what the page calls: welcome, onEvent, render, renderPlace.
 */
export function mountHand(page) {
  const hand = {
    page,
    wasWaiting: false, // she had a queue entry before the event being handled
    lowering: false, // her own hand.lower is on its way, or its list has not come yet
    removedNote: false, // the moderator took her hand down: say so until she acts
    lastAgendaAt: null, // the time of the last agenda.changed
  };
  wireHand(hand);
  return {
    welcome: () => (hand.wasWaiting = Boolean(page.client.state.you.queue_entry)),
    onEvent: (ev) => onEvent(hand, ev),
    render: (state, mine) => renderHand(page.client, state, mine),
    renderPlace: (state, entry, mine) => renderPlace(hand, state, entry, mine),
  };
}

function wireHand(hand) {
  const { page } = hand;
  for (const btn of $$("#raise [data-stance]")) {
    btn.addEventListener("click", () => {
      const entry = page.client.state && page.client.state.you.queue_entry;
      // One mis-tap must not send her to the end of the other side: ask first, with the cost.
      if (entry && entry.stance !== btn.dataset.stance) return askSwitch(page.client, btn, entry);
      raise(page.client, btn);
    });
  }
  const lower = $("#lower-btn");
  lower.addEventListener("click", () => {
    // Until the list without her arrives (it may come after the reply: hands are announced in batches).
    hand.lowering = true;
    act(lower, t("raise.lower"), () => page.client.send("hand.lower")).then((r) => {
      if (r === undefined) hand.lowering = false; // it failed: her hand is still up
    });
  });
}

function onEvent(hand, ev) {
  const state = hand.page.client.state;
  const me = state.you.participant_id;
  const waiting = Boolean(state.you.queue_entry);
  if (ev.type === "turn.started" && ev.data.participant_id === me) hand.removedNote = false;
  if (ev.type === "agenda.changed") hand.lastAgendaAt = ev.at;
  // Her hand went down without her lowering it, her turn starting, or the
  // agenda moving on (all of which come with the same log entry's time):
  // the moderator took it down.
  if (ev.type === "queue.changed" && hand.wasWaiting && !waiting && !hand.lowering
      && state.room.status === "live" && hand.lastAgendaAt !== ev.at
      && !(state.turn && state.turn.participant_id === me && state.turn.started_at >= ev.at)) {
    hand.removedNote = true;
    hand.page.announce(t("place.removed"));
  }
  if (waiting) hand.removedNote = false;
  if (ev.type === "queue.changed" && !waiting) hand.lowering = false;
  hand.wasWaiting = waiting;
}

function raise(client, btn) {
  return act(btn, t("raise.action", { stance: stanceLabel(btn.dataset.stance) }), async () => {
    // The position shows in #my-queue once queue.changed arrives (and announce.js says it).
    await client.send("hand.raise", { stance: btn.dataset.stance });
  });
}

/** Waiting on one side, she tapped the other: say what it costs, and let her keep her place. */
function askSwitch(client, btn, entry) {
  const box = $("#stance-confirm");
  const from = t(`side.${entry.stance}`);
  const to = t(`side.${btn.dataset.stance}`);
  const m = placeIfMoved(client.state, client.state.you.participant_id, btn.dataset.stance);
  setText($("#stance-confirm-text"), t("raise.switch_ask", { from, to, n: entry.position, m }));
  const yes = $("#stance-confirm-yes");
  const no = $("#stance-confirm-no");
  setText(yes, t("raise.switch_yes", { to }));
  setText(no, t("raise.switch_no", { from }));
  show(box, true);
  const close = () => {
    show(box, false);
    btn.focus();
  };
  yes.onclick = () => {
    close();
    raise(client, btn);
  };
  no.onclick = () => {
    close();
    notify(t("raise.switch_kept", { from, n: entry.position }), { kind: "ok" });
  };
  no.focus();
}

/** Asking to speak: the side buttons, her hand's line, the queue and who is next. */
function renderHand(client, state, mine) {
  const you = state.you;
  const live = state.room.status === "live";
  const canSpeak = (you.role || "participant") === "participant";
  show($("#raise"), canSpeak);
  const entry = you.queue_entry || null;
  let hint = "";
  if (!live) hint = state.room.status === "ended" ? t("raise.ended") : t("raise.not_started");
  else if (mine) hint = t("raise.holding");
  else if (!entry) hint = t("raise.hint");
  setText($("#raise-hint"), hint);
  for (const btn of $$("#raise [data-stance]")) {
    btn.disabled = !live || mine;
    btn.setAttribute("aria-pressed", String(Boolean(entry && entry.stance === btn.dataset.stance)));
  }
  setText($("#my-queue"), entry ? t("raise.waiting", { stance: stanceLabel(entry.stance), n: entry.position || "" }) : "");
  show($("#lower-btn"), Boolean(entry));

  renderQueue($("#queue"), state, { you: you.participant_id });
  const next = predictedNext(state, client.now());
  setText($("#queue-next"), next && live ? t("queue.next", { name: queueName(next, t), stance: stanceLabel(next.stance) }) : "");
}

/** One line at the top: her place, "下一位就是您", or that the moderator took her hand down. */
function renderPlace(hand, state, entry, mine) {
  const line = $("#my-place");
  const me = state.you.participant_id;
  let text = "";
  let soon = false;
  if (!mine && entry && state.room.status === "live") {
    const place = placeOf(state, me) || { side: entry.stance, position: entry.position };
    const side = t(`side.${place.side}`);
    const ahead = aheadOf(state, me, hand.page.client.now());
    if (ahead === 0) {
      soon = true;
      text = state.turn
        ? t("place.next_after", { name: state.turn.name || "", side, n: place.position })
        : t("place.next", { side, n: place.position });
    } else {
      text = t("place.waiting", { side, n: place.position, ahead: ahead ?? "?" });
    }
  } else if (hand.removedNote && !mine) {
    text = t("place.removed");
  }
  setText(line, text);
  line.title = text && entry ? t("place.estimate") : "";
  line.classList.toggle("my-place-next", soon);
  line.classList.toggle("my-place-removed", !entry && hand.removedNote);
  show(line, Boolean(text));
  // "You are next" is worth a word to a screen reader, once per turn ahead of hers.
  const key = soon ? `${state.turn ? state.turn.turn_id : "idle"}` : "";
  if (soon && line.dataset.said !== key) hand.page.announce(text);
  line.dataset.said = key;
}

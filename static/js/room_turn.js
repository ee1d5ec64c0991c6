// Her turn: the floor, her panel (its countdown, the time cues, 我讲完了), the
// banner over the page, and taking her to the panel when the turn starts.

import { setBanner } from "./banner.js";
import { CueWatch } from "./cues.js";
import { $, setText, show } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act, renderFloor, tickTimer } from "./ui.js";
import { clock } from "./util.js";

/**
 * Wire her panel; `page` is the resident page (client, chime, announce, render)
 * and `draft` her statement's card (room_draft.js). Returns what the page calls.
 */
export function mountTurn(page, draft) {
  const turn = {
    page,
    draft,
    cueWatch: new CueWatch(),
    announced: null, // the turn_id whose start was announced
    goTo: false, // take her to her panel after the next render
  };
  wireYield(page);
  return {
    onEvent: (ev) => onEvent(turn, ev),
    render: (state) => renderTurn(turn, state),
    after: (mine) => {
      if (turn.goTo && mine) goToMyTurn();
      turn.goTo = false;
    },
    tick: () => tick(turn),
  };
}

function onEvent(turn, ev) {
  const me = turn.page.client.state.you.participant_id;
  if (ev.type === "turn.started" && ev.data.participant_id === me) announceMyTurn(turn, ev.data);
  if (ev.type === "turn.ended" && ev.data.participant_id === me) {
    turn.page.announce(t("turn.your_end", { reason: t(`turn.reason.${ev.data.reason}`) }));
    document.title = t("room.doc_title");
    turn.draft.turnEnded();
  }
}

function announceMyTurn(turn, started) {
  if (turn.announced === started.turn_id) return;
  turn.announced = started.turn_id;
  // Said once, assertively, by announce.js; the turn banner render() puts up is the same words, seen.
  document.title = `【${t("turn.yours")}】${t("room.doc_title")}`;
  if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
  // After the render that shows her panel and its microphone (renderRoom's end).
  turn.goTo = true;
  turn.page.render();
}

/**
 * Scroll `el` to just below the pinned strip (whatever it holds now), so nothing
 * pinned covers it; a plain scrollIntoView puts it under the strip.
 */
export function revealBelowStrip(el) {
  const strip = $("#strip");
  const pinned = strip && !strip.hidden ? strip.getBoundingClientRect().height : 0;
  window.scrollTo({ top: Math.max(0, el.getBoundingClientRect().top + window.scrollY - pinned - 8) });
}

/** Her panel, its countdown and 开麦说话 in view; focus on the microphone (or the
 * heading), never the text box, whose keyboard would cover the rest on a phone. */
function goToMyTurn() {
  const panel = $("#your-turn");
  if (panel.hidden) return;
  revealBelowStrip(panel);
  const mic = $("#mic-btn");
  (mic.hidden ? $("#your-turn-title") : mic).focus({ preventScroll: true });
}

/** 我讲完了 ends her turn for good: ask first, next to the button, with the way back. */
function wireYield(page) {
  const yieldBtn = $("#yield-btn");
  const box = $("#yield-confirm");
  const close = () => {
    show(box, false);
    show(yieldBtn, true);
  };
  yieldBtn.addEventListener("click", () => {
    show(box, true);
    show(yieldBtn, false);
    $("#yield-confirm-no").focus();
  });
  $("#yield-confirm-no").addEventListener("click", () => {
    close();
    yieldBtn.focus();
  });
  const yes = $("#yield-confirm-yes");
  yes.addEventListener("click", () => {
    close();
    act(yieldBtn, t("turn.yield"), () => page.client.send("turn.yield"));
  });
}

function tick(turn) {
  const { client } = turn.page;
  if (!client || !client.state || !client.state.turn) return;
  const current = client.state.turn;
  tickTimer($(".floor-timer"), current, client);
  const banner = $("#banner-turn .banner-text");
  if (banner && current.participant_id === client.state.you.participant_id) {
    setText(banner, t("banner.turn", { time: clock(current.ends_at - client.now()) }));
  }
  if (!$("#your-turn").hidden) {
    tickTimer($("#your-timer"), current, client);
    warnTime(turn, current);
  }
}

/** At each of the room's time cues: a line in her panel, a polite word, and the chime. */
function warnTime(turn, current) {
  const { client } = turn.page;
  const crossed = turn.cueWatch.check(current, client.now(), client.state);
  if (!crossed) return;
  const typed = Boolean($("#statement-text").value.trim());
  const text = t(typed ? "turn.warn_draft" : "turn.warn", { s: crossed.seconds });
  const line = $("#time-warning");
  setText(line, text);
  show(line, true);
  turn.page.announce(text);
  turn.page.chime.play(crossed.stage);
}

/** The floor, and the prompt when it is hers; returns whether it is. */
function renderTurn(turn, state) {
  const { client } = turn.page;
  renderFloor($("#floor"), state, client);
  const mine = Boolean(state.turn && state.turn.participant_id === state.you.participant_id);
  show($("#your-turn"), mine);
  document.body.classList.toggle("my-turn", mine);
  if (mine) {
    tickTimer($("#your-timer"), state.turn, client);
    announceMyTurn(turn, state.turn);
    turn.draft.myTurn();
  } else {
    show($("#time-warning"), false);
  }
  turn.draft.render(mine);
  renderTurnBanner(client, state, mine);
  return mine;
}

/** Her turn, over the page wherever she scrolled to, with one tap to her panel. */
function renderTurnBanner(client, state, mine) {
  const current = state.turn;
  setBanner($("#banner-turn"), mine ? {
    key: `${current.turn_id}|${lang()}`,
    kind: "turn",
    text: t("banner.turn", { time: clock(current.ends_at - client.now()) }),  // tick() counts down
    goLabel: t("banner.turn_go"),
    onGo: goToMyTurn,
  } : null);
}

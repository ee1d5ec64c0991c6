// What a screen reader hears without hunting (issue 16, part 2): whose turn it
// is, "it's your turn", my place in the queue, a poll opened or closed.
//
// Rules:
// * Two live regions: a polite one for everything, and an assertive one for
//   "it's your turn" alone (WAI-ARIA: assertive interrupts, so it is kept for
//   what needs her now).
// * Short words, one sentence each. Each announcement is a new line added to
//   its region (aria-relevant="additions", not atomic), so what is said in the
//   same moment (a turn starts and her place moves up) is read in turn and the
//   second does not silence the first; the oldest lines go (removals are not
//   read).
// * Nothing is said twice unless it changed: each subject (the turn, her place,
//   each poll) remembers what was last said of it. A reconnect that brings the
//   same state says nothing.
// * What the page finds when it first loads is not read out, except the turn
//   (who speaks now, or that it is hers).

import { t } from "./i18n.js";
import { placeOf } from "./queue_view.js";

const KEEP_LINES = 3; // the lines a region keeps (what the tests read, too)

export class Announcer {
  /** polite, assertive: the live regions (assertive may be null: then polite). */
  constructor({ polite, assertive = null }) {
    this.polite = polite;
    this.assertive = assertive;
    for (const region of [polite, assertive]) {
      if (!region) continue;
      region.setAttribute("aria-atomic", "false");
      region.setAttribute("aria-relevant", "additions");
    }
    this.last = new Map(); // subject -> what was last said of it
    this.history = []; // everything said, for the tests: [{text, assertive}]
  }

  /** Say `text` now (politely, unless `assertive`). */
  say(text, { assertive = false } = {}) {
    const region = (assertive && this.assertive) || this.polite;
    if (!region || !text) return;
    this.history.push({ text, assertive: region === this.assertive && region !== this.polite });
    if (this.history.length > 50) this.history.shift();
    const line = document.createElement("p");
    line.textContent = text;
    region.append(line);
    while (region.childElementCount > KEEP_LINES) region.firstElementChild.remove();
  }

  /**
   * Say `text` if `subject`'s value changed since it was last said (or noted).
   * With `quiet`, only remember the value. Returns whether it was said.
   */
  changed(subject, value, text, { assertive = false, quiet = false } = {}) {
    const known = this.last.has(subject);
    if (known && this.last.get(subject) === value) return false;
    this.last.set(subject, value);
    if (quiet || !text) return false;
    this.say(text, { assertive });
    return true;
  }
}

/** A poll's result in a few words (its `outcome`, when the room's rule gave one). */
function pollClosedText(poll) {
  const outcome = poll.outcome ? t(`ballot.outcome.${poll.outcome}`) : "";  // the pages' words
  const known = outcome && outcome !== `ballot.outcome.${poll.outcome}`;
  return known ? t("announce.poll_closed_outcome", { q: poll.question, outcome })
    : t("announce.poll_closed", { q: poll.question });
}

/**
 * Announce a room as `client`'s state changes. `place`: say her place in the
 * queue (the resident page); `yourTurn(turn)`: the words for "it's your turn".
 * Returns the announcer.
 */
export function watchRoom(client, announcer, { place = false, yourTurn = null } = {}) {
  let seen = false; // the first state is noted, not read out (but for the turn)

  const update = () => {
    const state = client.state;
    if (!state) return;
    const me = state.you && state.you.participant_id;
    const quiet = !seen;

    const turn = state.turn;
    if (turn) {
      const mine = turn.participant_id === me;
      const text = mine
        ? (yourTurn ? yourTurn(turn) : t("announce.your_turn"))
        : t("announce.turn", { name: turn.name || "", stance: t(`stance.${turn.stance}`) });
      announcer.changed("turn", turn.turn_id, text, { assertive: mine });
    } else {
      announcer.changed("turn", null, "", { quiet: true });
    }

    if (place && me) {
      const p = turn && turn.participant_id === me ? null : placeOf(state, me);
      const value = p ? `${p.side}:${p.position}` : "";
      const text = p ? t("announce.place", { side: t(`side.${p.side}`), n: p.position }) : "";
      announcer.changed("place", value, text, { quiet });
    }

    for (const poll of state.polls || []) {
      const subject = `poll:${poll.poll_id}`;
      const text = poll.status === "open" ? t("announce.poll_opened", { q: poll.question }) : pollClosedText(poll);
      // A poll first seen already closed (a reload, a late join) is old news.
      const old = !announcer.last.has(subject) && poll.status !== "open";
      announcer.changed(subject, poll.status, text, { quiet: quiet || old });
    }
    seen = true;
  };
  client.addEventListener("change", update);
  if (client.state) update();
  window.yishiAnnouncer = announcer; // for the browser tests
  return announcer;
}

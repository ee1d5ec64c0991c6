// Pure queue arithmetic for the pages (no DOM, no clock of its own): who the
// policy will pick once the running turn has ended.
//
// The server's `queue.next` counts finished turns only, so while someone
// speaks it names the pick *before* the running turn is counted, and the name
// changes the moment the turn ends (the speaker's side gains their time).
// A moderator announces the next speaker during the turn, so the console
// predicts with the running turn counted as it will be when it ends: now (if
// the moderator ends it now) or at its limit. The rules are PROTOCOL.md's
// ("Stances and the speaking queue"), mirrored from server/core/queue.py.

const SIDE_ORDER = ["support", "oppose", "neutral"];

/**
 * How long the running turn will have lasted if it ends at `endAt` (ms, on the
 * server's clock): clamped to [0, its limit], as the server counts it.
 */
export function runningTurnMs(turn, endAt) {
  if (!turn) return 0;
  const end = Math.max(turn.started_at, Math.min(endAt, turn.ends_at));
  return end - turn.started_at;
}

/**
 * The balance ({side: {ms, turns}}) with the running turn counted as ended at
 * `endAt`. A turn of another agenda item than the current one changes nothing.
 */
export function balanceWithRunningTurn(balance, turn, endAt, currentItemId = null) {
  const out = {};
  for (const side of SIDE_ORDER) {
    const b = (balance && balance[side]) || {};
    out[side] = { ms: b.ms || 0, turns: b.turns || 0 };
  }
  if (turn && out[turn.stance] && !(currentItemId && turn.item_id && turn.item_id !== currentItemId)) {
    out[turn.stance].ms += runningTurnMs(turn, endAt);
    out[turn.stance].turns += 1;
  }
  return out;
}

function waitingSides(queue) {
  return SIDE_ORDER.filter((s) => ((queue && queue[s]) || []).length > 0);
}

/**
 * `balanced`: least time, then fewer turns, then least recent, then the fixed
 * order. The wire balance has no "last spoke" time, so recency is known only
 * for the side that just spoke (`recent`, the most recent of all).
 */
function balancedSide(balance, sides, recent) {
  const key = (s) => [balance[s].ms, balance[s].turns, s === recent ? 1 : 0, SIDE_ORDER.indexOf(s)];
  return sides.slice().sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
    return 0;
  })[0];
}

/** `alternate`, given the policy's memory: the last sided turn and sided turns since neutral. */
function alternateSide(sides, lastSide, sinceNeutral) {
  if (sides.includes("neutral") && sinceNeutral >= 2) return "neutral";
  const preferred = lastSide === "support" ? "oppose" : "support";
  if (sides.includes(preferred)) return preferred;
  const other = preferred === "support" ? "oppose" : "support";
  if (sides.includes(other)) return other;
  return "neutral";
}

/**
 * `alternate` after the running turn of `stance`. The client does not receive
 * the policy's memory, so every memory consistent with the server's present
 * pick (`nowSide`) is tried; the prediction is certain when they all agree.
 */
function alternateAfter(sides, nowSide, stance) {
  const outcomes = new Set();
  for (const lastSide of [null, "support"]) { // null behaves as "oppose": support is preferred
    for (const since of [0, 1, 2]) {
      if (nowSide && alternateSide(sides, lastSide, since) !== nowSide) continue;
      const after = stance === "neutral"
        ? alternateSide(sides, lastSide, 0)
        : alternateSide(sides, stance, since + 1);
      outcomes.add(after);
    }
  }
  const list = SIDE_ORDER.filter((s) => outcomes.has(s));
  return { side: list[0] || null, certain: list.length === 1 };
}

/**
 * Who the policy gives the floor to once the running turn has ended at `endAt`.
 *
 * `state` is the client's room copy: `queue` (each side in pick order, and the
 * server's `next`), `balance`, `turn`, `room.settings.policy`, `room.agenda`.
 * Returns {entry, side, certain, counted} or null when nobody waits; `counted`
 * says a running turn was counted (the result is then a prediction). With no
 * turn running it is the server's own pick.
 */
export function predictNextSpeaker(state, endAt) {
  const queue = state.queue || {};
  const sides = waitingSides(queue);
  if (!sides.length) return null;
  const turn = state.turn;
  if (!turn) {
    const n = queue.next;
    return n ? { entry: n, side: n.stance, certain: true, counted: false } : null;
  }
  const agenda = (state.room && state.room.agenda) || {};
  const current = (agenda.items || [])[agenda.current || 0];
  const itemId = current && current.item_id ? current.item_id : null;
  const policy = (state.room && state.room.settings && state.room.settings.policy) || "balanced";
  let side;
  let certain = true;
  if (policy === "alternate") {
    ({ side, certain } = alternateAfter(sides, queue.next ? queue.next.stance : null, turn.stance));
  } else {
    side = balancedSide(balanceWithRunningTurn(state.balance, turn, endAt, itemId), sides, turn.stance);
  }
  // Within a side the order does not move: the speaker is never waiting (the
  // floor takes their hand, and a holder cannot raise one).
  const entry = (queue[side] || [])[0];
  return entry ? { entry, side, certain, counted: true } : null;
}

/**
 * Both predictions a moderator needs while someone speaks: if the turn ends
 * now (`now`, server clock) and if it runs to its limit. `same` says they agree.
 */
export function predictNextBothWays(state, now) {
  const ifNow = predictNextSpeaker(state, now);
  const atLimit = state.turn ? predictNextSpeaker(state, state.turn.ends_at) : ifNow;
  const id = (p) => (p ? p.entry.participant_id : null);
  return { ifNow, atLimit, same: id(ifNow) === id(atLimit) };
}

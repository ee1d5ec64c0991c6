// Who speaks when: the room's queue policy (docs/protocol.md, "Stances and
// the speaking queue", as server/core/queue.py applies it) replayed on the
// client's copy of the state. Pure functions of (state, now), shared by the
// resident page and the console. The server stays the authority: with no turn
// running, `state.queue.next` is its pick and is used as is.
//
// A prediction, not a promise: the running turn counts as it will at its
// limit (the balance moves when it ends, and a name said now must not change
// then); turns to come count at the average length of the finished ones.
// Only the latest side's recency is known here (tie-break 3 of "balanced").

const SIDES = ["support", "oppose", "neutral"];
const RANK = { support: 0, oppose: 1, neutral: 2 };

/** Her place in her side: {side, position} (1-based), or null when not waiting. */
export function placeOf(state, pid) {
  for (const side of SIDES) {
    const i = ((state.queue && state.queue[side]) || []).findIndex((e) => e.participant_id === pid);
    if (i >= 0) return { side, position: i + 1 };
  }
  return null;
}

/** The place a move to `side` would give her: the end of that side's list. */
export function placeIfMoved(state, pid, side) {
  const others = ((state.queue && state.queue[side]) || []).filter((e) => e.participant_id !== pid);
  return others.length + 1;
}

/** The policy's memory as far as this client saw it: last side, sided turns since neutral. */
function history(state) {
  let lastSide = null;
  let sinceNeutral = 0;
  const running = state.turn && state.turn.turn_id;
  // turn_index: the turns seen, in the order they started (the running one is counted apart).
  for (const [id, turn] of Object.entries(state.turn_index || {})) {
    if (id === running) continue;
    if (turn.stance === "neutral") sinceNeutral = 0;
    else if (turn.stance) {
      lastSide = turn.stance;
      sinceNeutral += 1;
    }
  }
  return { lastSide, sinceNeutral };
}

function averageTurnMs(state) {
  let ms = 0;
  let turns = 0;
  for (const side of SIDES) {
    const b = (state.balance || {})[side];
    if (b) {
      ms += b.ms || 0;
      turns += b.turns || 0;
    }
  }
  const limit = ((state.room && state.room.settings && state.room.settings.turn_seconds) || 120) * 1000;
  return turns ? ms / turns : limit;
}

function pickSide(sides, sim, policy) {
  if (!sides.length) return null;
  if (policy === "alternate") {
    if (sides.includes("neutral") && sim.sinceNeutral >= 2) return "neutral";
    const preferred = sim.lastSide === "support" ? "oppose" : "support";
    if (sides.includes(preferred)) return preferred;
    const other = preferred === "support" ? "oppose" : "support";
    if (sides.includes(other)) return other;
    return "neutral";
  }
  const key = (s) => [sim.tally[s].ms, sim.tally[s].turns, sim.tally[s].recent, RANK[s]];
  return sides.slice().sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
    return 0;
  })[0];
}

function record(sim, side, ms) {
  const tally = sim.tally[side];
  tally.ms += ms;
  tally.turns += 1;
  tally.recent = ++sim.clock;
  if (side === "neutral") sim.sinceNeutral = 0;
  else {
    sim.lastSide = side;
    sim.sinceNeutral += 1;
  }
}

/**
 * Everyone waiting, in the order the policy would probably give them the
 * floor: a list of queue entries (each with its `stance`).
 */
export function predictOrder(state, now = Date.now()) {
  const queue = state.queue || {};
  const lists = {};
  for (const side of SIDES) lists[side] = (queue[side] || []).map((e) => ({ ...e, stance: e.stance || side }));
  const policy = (state.room && state.room.settings && state.room.settings.policy) || "balanced";
  const sim = { tally: {}, clock: 0, ...history(state) };
  const lastEnded = state.last_turn_end && state.last_turn_end.stance;
  for (const side of SIDES) {
    const b = (state.balance || {})[side] || {};
    sim.tally[side] = { ms: b.ms || 0, turns: b.turns || 0, recent: side === lastEnded ? 0 : -1 };
  }
  const turn = state.turn;
  if (turn && turn.stance) {
    const limitMs = Math.max(0, (turn.ends_at || now) - (turn.started_at || now));
    record(sim, turn.stance, limitMs);
  }
  const avg = averageTurnMs(state);
  const order = [];
  for (;;) {
    const sides = SIDES.filter((s) => lists[s].length);
    if (!sides.length) break;
    let side = pickSide(sides, sim, policy);
    // With no turn running the server has already said whom it picks now.
    if (!order.length && !turn && queue.next && lists[queue.next.stance || ""]) {
      const i = lists[queue.next.stance].findIndex((e) => e.participant_id === queue.next.participant_id);
      if (i >= 0) {
        side = queue.next.stance;
        order.push(lists[side].splice(i, 1)[0]);
        record(sim, side, avg);
        continue;
      }
    }
    order.push(lists[side].shift());
    record(sim, side, avg);
  }
  return order;
}

/** Whom the floor probably goes to next (counting the running turn at its limit), or null. */
export function predictedNext(state, now = Date.now()) {
  return predictOrder(state, now)[0] || null;
}

/** How many people probably speak before `pid` (0: she is next), or null when not waiting. */
export function aheadOf(state, pid, now = Date.now()) {
  const i = predictOrder(state, now).findIndex((e) => e.participant_id === pid);
  return i >= 0 ? i : null;
}

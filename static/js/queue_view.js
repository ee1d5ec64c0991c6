// Who speaks when: the room's queue policy (docs/protocol.md, "Stances and
// the speaking queue", as server/core/queue.py applies it) replayed on the
// client's copy of the state. Pure functions of (state, times): no DOM, no
// clock of its own. Shared by the resident page (her place, how many speak
// before her, who is probably next) and the console (who is next if the
// running turn ends now, and if it runs to its limit).
//
// The server stays the authority: with no turn running, `state.queue.next`
// is its pick and is used as is. While someone speaks, `queue.next` counts
// finished turns only, so the name would change the moment the turn ends (the
// speaker's side gains their time): a prediction counts the running turn as
// it will be when it ends, at `endAt` (its limit unless told otherwise).
// Turns to come count at the average length of the finished ones. Only the
// latest side's recency is known here (tie-break 3 of "balanced"), and the
// "alternate" policy's memory only as far as this client saw the turns: a
// memory that contradicts the server's present pick is replaced by those that
// agree with it, and the prediction is certain when they all agree.

const SIDES = ["support", "oppose", "neutral"];
const RANK = { support: 0, oppose: 1, neutral: 2 };

/**
 * Whether a waiting `entry` has left: a resident with no socket open who is not
 * seated in the hall (her phone closed). The floor given to her would run for nobody, so the
 * pages mark her in the queue and the console asks before calling her.
 */
export function isAway(entry) {
  // The server's mark (rooms of rules 7): a resident's page hears nobody else's
  // comings and goings, so it could not tell by itself.
  return entry.away === true;
}

/** A waiting person's name as the queue shows it: marked (离线) when she has left. */
export function queueName(entry, t) {
  return isAway(entry) ? t("queue.away", { name: entry.name }) : entry.name;
}

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

/**
 * How long the running turn will have lasted if it ends at `endAt` (ms, on the
 * server's clock): clamped to [0, its limit], as the server counts it.
 */
export function runningTurnMs(turn, endAt) {
  if (!turn) return 0;
  const end = Math.max(turn.started_at, Math.min(endAt, turn.ends_at));
  return end - turn.started_at;
}

/** Whether the running turn counts for the current agenda item (a turn of another item does not). */
function countsHere(state, turn) {
  const agenda = (state.room && state.room.agenda) || {};
  const current = (agenda.items || [])[agenda.current || 0];
  const itemId = current && current.item_id ? current.item_id : null;
  return Boolean(turn && turn.stance && RANK[turn.stance] !== undefined && !(itemId && turn.item_id && turn.item_id !== itemId));
}

/** The balance of the finished turns, every side present. */
function finishedBalance(state) {
  const out = {};
  for (const side of SIDES) {
    const b = (state.balance || {})[side] || {};
    out[side] = { ms: b.ms || 0, turns: b.turns || 0 };
  }
  return out;
}

/**
 * The balance ({side: {ms, turns}}) with the running turn counted as ended at
 * `endAt`: what the console explains its prediction with.
 */
export function balanceWithRunningTurn(state, endAt) {
  const out = finishedBalance(state);
  const turn = state.turn;
  if (countsHere(state, turn)) {
    out[turn.stance].ms += runningTurnMs(turn, endAt);
    out[turn.stance].turns += 1;
  }
  return out;
}

/** The "alternate" policy's memory as far as this client saw it: last side, sided turns since neutral. */
function seenMemory(state) {
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
  return { lastSide, sinceNeutral: Math.min(sinceNeutral, 2) };
}

function alternateSide(sides, lastSide, sinceNeutral) {
  if (sides.includes("neutral") && sinceNeutral >= 2) return "neutral";
  const preferred = lastSide === "support" ? "oppose" : "support";
  if (sides.includes(preferred)) return preferred;
  const other = preferred === "support" ? "oppose" : "support";
  if (sides.includes(other)) return other;
  return "neutral";
}

/**
 * The memories to simulate "alternate" from, the likeliest first. While a turn
 * runs, the server's pick (`queue.next`, made before the running turn) rules
 * out every memory that would have picked another side. Under "balanced" the
 * memory plays no part: one will do.
 */
function memories(state, policy, sides) {
  const seen = seenMemory(state);
  const nowSide = state.queue && state.queue.next ? state.queue.next.stance : null;
  if (policy !== "alternate" || !state.turn || !nowSide) return [seen];
  const all = [seen];
  for (const lastSide of [null, "support"]) { // null behaves as "oppose": support is preferred
    for (const sinceNeutral of [0, 1, 2]) all.push({ lastSide, sinceNeutral });
  }
  const fits = all.filter((m) => alternateSide(sides, m.lastSide, m.sinceNeutral) === nowSide);
  return fits.length ? fits : [seen];
}

function pickSide(sides, sim, policy) {
  if (!sides.length) return null;
  if (policy === "alternate") return alternateSide(sides, sim.lastSide, sim.sinceNeutral);
  // balanced: least time, then fewer turns, then least recent, then the fixed order.
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

function policyOf(state) {
  return (state.room && state.room.settings && state.room.settings.policy) || "balanced";
}

/** The order the policy gives the floor in, simulated from one memory of "alternate". */
function simulate(state, endAt, memory) {
  const queue = state.queue || {};
  const lists = {};
  for (const side of SIDES) lists[side] = (queue[side] || []).map((e) => ({ ...e, stance: e.stance || side }));
  const policy = policyOf(state);
  const sim = { tally: {}, clock: 0, ...memory };
  const lastEnded = state.last_turn_end && state.last_turn_end.stance;
  const tally = finishedBalance(state);
  for (const side of SIDES) sim.tally[side] = { ...tally[side], recent: side === lastEnded ? 0 : -1 };
  const turn = state.turn;
  // The running turn as it will have been when it ends (a turn of another item counts nothing).
  if (countsHere(state, turn)) record(sim, turn.stance, runningTurnMs(turn, endAt));
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
    // Within a side the order does not move: the speaker is never waiting (the
    // floor takes their hand, and a holder cannot raise one).
    order.push(lists[side].shift());
    record(sim, side, avg);
  }
  return order;
}

const limitOf = (state, now) => (state.turn ? state.turn.ends_at || now : now);

/**
 * Everyone waiting, in the order the policy would probably give them the
 * floor: a list of queue entries (each with its `stance`). The running turn
 * counts as ending at `endAt` (default: at its limit).
 */
export function predictOrder(state, now = Date.now(), endAt = null) {
  const sides = SIDES.filter((s) => ((state.queue || {})[s] || []).length);
  return simulate(state, endAt ?? limitOf(state, now), memories(state, policyOf(state), sides)[0]);
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

/**
 * Who the policy gives the floor to once the running turn has ended at `endAt`:
 * {entry, side, certain, counted}, or null when nobody waits. `counted` says a
 * running turn was counted (the result is then a prediction); `certain` that
 * every memory of the policy consistent with the server's pick agrees. With no
 * turn running it is the server's own pick.
 */
export function predictNextSpeaker(state, endAt) {
  const sides = SIDES.filter((s) => ((state.queue || {})[s] || []).length);
  if (!sides.length) return null;
  if (!state.turn) {
    const n = state.queue.next;
    return n ? { entry: n, side: n.stance, certain: true, counted: false } : null;
  }
  const firsts = memories(state, policyOf(state), sides).map((m) => simulate(state, endAt, m)[0]);
  const entry = firsts[0];
  if (!entry) return null;
  const certain = firsts.every((e) => e && e.participant_id === entry.participant_id);
  return { entry, side: entry.stance, certain, counted: true };
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

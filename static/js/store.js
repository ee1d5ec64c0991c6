// The client's copy of the room: the welcome snapshot (docs/protocol.md) kept
// current by applying each event, in seq order, exactly once.
//
// The snapshot carries no statements, so the ones seen live are kept in
// `state.statements` (and survive a reload through the saved copy). Chat,
// polls, decisions and actions are keyed by id, so an event that repeats what
// the snapshot already holds changes nothing.

const MAX_CHAT = 200;
const MAX_STATEMENTS = 300;

function upsert(list, item, key) {
  const i = list.findIndex((x) => x[key] === item[key]);
  if (i >= 0) list[i] = { ...list[i], ...item };
  else list.push(item);
  return list;
}

/** Fill in what a snapshot may leave out, so renderers need no guards. */
export function normalize(state) {
  const s = state || {};
  s.room = s.room || {};
  s.room.agenda = s.room.agenda || { items: [], current: 0 };
  s.room.agenda.items = s.room.agenda.items || [];
  s.room.settings = s.room.settings || {};
  s.participants = s.participants || [];
  s.queue = s.queue || { support: [], oppose: [], neutral: [], next: null };
  for (const side of ["support", "oppose", "neutral"]) s.queue[side] = s.queue[side] || [];
  s.turn = s.turn || null;
  s.balance = s.balance || {};
  s.polls = s.polls || [];
  s.chat = s.chat || [];
  s.pins = s.pins || [];
  s.decisions = s.decisions || [];
  s.actions = s.actions || [];
  s.notes = s.notes || [];
  s.statements = s.statements || [];
  s.you = s.you || {};
  s.you.ballots = s.you.ballots || {};
  s.turn_index = s.turn_index || {};
  if (s.turn && s.turn.turn_id) {
    s.turn_index[s.turn.turn_id] = { stance: s.turn.stance, name: s.turn.name, participant_id: s.turn.participant_id };
  }
  return s;
}

/**
 * A fresh snapshot replaces the old copy, but keeps the statements seen so far
 * (the server's snapshot has none) unless it brings its own.
 */
export function adoptSnapshot(old, fresh) {
  const s = normalize(fresh);
  if (old && old.statements && old.statements.length && !(fresh.statements || []).length) {
    s.statements = old.statements.slice();
  }
  return s;
}

export function queueEntryOf(state, pid) {
  for (const side of ["support", "oppose", "neutral"]) {
    const list = state.queue[side] || [];
    const i = list.findIndex((e) => e.participant_id === pid);
    if (i >= 0) return { ...list[i], stance: list[i].stance || side, position: i + 1 };
  }
  return null;
}

export function participantName(state, pid) {
  const p = state.participants.find((x) => x.participant_id === pid);
  return p ? p.name : "";
}

/** Apply one event to `state` in place. Unknown events change nothing. */
export function applyEvent(state, ev) {
  const d = ev.data || {};
  const me = state.you.participant_id;
  switch (ev.type) {
    case "session.started":
      state.room.status = d.status || "live";
      break;
    case "session.ended":
      state.room.status = d.status || "ended";
      break;
    case "agenda.changed":
      state.room.agenda = { items: d.items || state.room.agenda.items, current: d.current ?? 0 };
      if (d.balance) state.balance = d.balance;
      break;
    case "participant.joined":
    case "participant.updated":
    case "participant.left":
      upsert(state.participants, d, "participant_id");
      if (d.participant_id === me) Object.assign(state.you, d);
      break;
    case "queue.changed":
      state.queue = {
        support: d.support || [],
        oppose: d.oppose || [],
        neutral: d.neutral || [],
        next: d.next || null,
      };
      state.you.queue_entry = queueEntryOf(state, me);
      break;
    case "turn.started":
      state.turn = { ...d };
      // statement.posted names only the turn; remember each turn's side for it.
      state.turn_index = state.turn_index || {};
      state.turn_index[d.turn_id] = { stance: d.stance, name: d.name, participant_id: d.participant_id };
      state.last_turn_end = null;
      break;
    case "turn.extended":
      state.turn = { ...(state.turn || {}), ...d };
      break;
    case "turn.ended":
      if (!state.turn || !d.turn_id || state.turn.turn_id === d.turn_id) state.turn = null;
      if (d.balance) state.balance = d.balance;
      state.last_turn_end = { ...d, at: ev.at };
      break;
    case "statement.posted":
      if (!state.statements.some((x) => x.statement_id === d.statement_id)) {
        const turn = (state.turn_index || {})[d.turn_id] || {};
        state.statements.push({
          ...d,
          at: d.at || ev.at,
          stance: d.stance || turn.stance || null,
          name: d.name || turn.name || participantName(state, d.participant_id),
        });
        if (state.statements.length > MAX_STATEMENTS) state.statements.splice(0, state.statements.length - MAX_STATEMENTS);
      }
      break;
    case "poll.opened":
      upsert(state.polls, { counts: null, voters: null, ...d, status: d.status || "open" }, "poll_id");
      break;
    case "poll.tally":
      upsert(state.polls, d, "poll_id");
      break;
    case "poll.turnout": {
      // How many voted, of how many may: public and exact, apart from the batched tally.
      const poll = state.polls.find((p) => p.poll_id === d.poll_id);
      if (poll) poll.turnout = d;
      break;
    }
    case "poll.ballot": {
      // Moderators only, never for a secret poll: who chose what while it is open.
      const poll = state.polls.find((p) => p.poll_id === d.poll_id);
      if (poll) poll.ballots = { ...(poll.ballots || {}), [d.participant_id]: d.choices ?? d.scores };
      break;
    }
    case "poll.closed":
      upsert(state.polls, { ...d, status: "closed" }, "poll_id");
      break;
    case "chat.posted":
      upsert(state.chat, { status: "visible", ...d }, "message_id");
      if (state.held) state.held = state.held.filter((m) => m.message_id !== d.message_id);
      if (state.chat.length > MAX_CHAT) state.chat.splice(0, state.chat.length - MAX_CHAT);
      break;
    case "chat.held":
      state.held = state.held || [];
      upsert(state.held, { ...d, status: "held" }, "message_id");
      break;
    case "chat.removed":
      state.chat = state.chat.filter((m) => m.message_id !== d.message_id);
      state.pins = state.pins.filter((m) => m.message_id !== d.message_id);
      if (state.held) state.held = state.held.filter((m) => m.message_id !== d.message_id);
      break;
    case "chat.pinned":
      upsert(state.pins, d, "message_id");
      break;
    case "minutes.noted":
      upsert(state.notes, d, "note_id");
      break;
    case "decision.recorded":
      upsert(state.decisions, d, "decision_id");
      break;
    case "action.added":
    case "action.updated":
      upsert(state.actions, d, "action_id");
      break;
    case "minutes.published":
      state.room.minutes_published = true;
      if (d.minutes_url) state.room.minutes_url = d.minutes_url;
      break;
    case "settings.changed":
      state.room.settings = { ...state.room.settings, ...d };
      break;
    default:
      break;
  }
  return state;
}

/** Remember a message of ours the server held for review (we get no event for it). */
export function noteOwnChat(state, { message_id, status, text }) {
  if (status !== "held" || state.chat.some((m) => m.message_id === message_id)) return;
  state.chat.push({
    message_id,
    participant_id: state.you.participant_id,
    name: state.you.name,
    text,
    at: Date.now(),
    status: "held",
  });
}

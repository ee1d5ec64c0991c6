// The record so far from the draft minutes (moderators and clerks may read it):
// the welcome snapshot carries no statements, so a clerk who joined late (or a
// second device) would see only those posted since. Also the attendance a
// clerk checks: the snapshot lists only the people a clerk hears of.

import { $, h, reconcile, setText, show } from "./dom.js";
import { t } from "./i18n.js";
import { act, renderStatements } from "./ui.js";
import { api } from "./util.js";

/**
 * The console's copy of the record; `page` is the console (roomId, token,
 * client, render). Loads on demand; renders the statements and the attendance.
 */
export function mountRecord(page) {
  const record = { page, copy: null, timer: 0 };
  const refresh = $("#att-refresh");
  refresh.addEventListener("click", () => act(refresh, t("staff.att_refresh"), () => loadRecord(record, { strict: true })));
  return {
    load: () => loadRecord(record),
    schedule: () => {
      clearTimeout(record.timer);
      record.timer = setTimeout(() => loadRecord(record), 1500);
    },
    attendanceOf: (state) => attendanceOf(record.copy, state),
    render: (state, role) => renderRecord(record.copy, state, role),
  };
}

async function loadRecord(record, { strict = false } = {}) {
  const { client, roomId, token } = record.page;
  const role = client && client.state ? client.state.you.role || "moderator" : "";
  if (role !== "moderator" && role !== "clerk") return;
  try {
    const m = await api(`/api/rooms/${encodeURIComponent(roomId)}/minutes?format=json&copy=moderator`, { token });
    const statements = [];
    for (const item of m.agenda || []) {
      for (const turn of item.turns || []) {
        for (const st of turn.statements || []) {
          statements.push({ statement_id: st.statement_id, text: st.text, at: st.at, name: turn.speaker, stance: turn.stance, participant_id: turn.participant_id });
        }
      }
    }
    record.copy = { statements, attendance: m.attendance || [], at: Date.now() };
    record.page.render();
  } catch (err) {
    if (strict) throw err;
    /* the live record still shows what arrives from now on */
  }
}

/** The statements (with the draft's) and, for a clerk, the attendance check. */
function renderRecord(copy, state, role) {
  renderStatements($("#statement-list"), withRecord(copy, state));
  setText($("#statements-source"), copy && copy.statements.length ? t("staff.statements_full") : "");
  show($("#statements-source"), Boolean(copy && copy.statements.length));
  renderAttendance(copy, state, role);
}

/** The state with the draft's statements merged in (by id, in time order). */
function withRecord(copy, state) {
  if (!copy || !copy.statements.length) return state;
  const seen = new Set(state.statements.map((x) => x.statement_id));
  const merged = [...copy.statements.filter((x) => !seen.has(x.statement_id)), ...state.statements];
  merged.sort((a, b) => (a.at || 0) - (b.at || 0));
  return { ...state, statements: merged };
}

/**
 * A clerk's attendance check: every resident by name, marked in the hall,
 * online, or not (yet) come. From the draft minutes (the whole room), with the
 * live in-hall marks of the snapshot on top.
 */
function renderAttendance(copy, state, role) {
  if (role !== "clerk") return;
  const list = attendanceOf(copy, state);
  const count = (m) => list.filter((p) => p.mode === m).length;
  setText($("#att-count"), t("staff.att_count", { n: list.length, hall: count("hall"), online: count("online"), absent: count("absent") }));
  reconcile($("#att-list"), list, (p) => p.participant_id,
    () => h("li", {}, h("span", { class: "att-name" }), " ", h("span", { class: "tag" })),
    (li, p) => {
      setText($(".att-name", li), p.name);
      const tag = $(".tag", li);
      tag.className = `tag tag-att-${p.mode}`;
      setText(tag, t(`staff.att_${p.mode}`));
    });
}

/** Every resident of the room, from the record and the snapshot: in the hall, online or absent. */
function attendanceOf(copy, state) {
  const people = new Map();
  for (const p of (copy && copy.attendance) || []) {
    if (p.role === "participant" && !p.removed) people.set(p.participant_id, { participant_id: p.participant_id, name: p.name, mode: p.mode });
  }
  for (const p of state.participants) {
    if ((p.role || "participant") !== "participant" || p.removed) continue;
    const had = people.get(p.participant_id);
    const mode = p.in_hall ? "hall" : p.online ? "online" : had ? had.mode : "absent";
    people.set(p.participant_id, { participant_id: p.participant_id, name: p.name, mode });
  }
  return [...people.values()].sort((a, b) => ["hall", "online", "absent"].indexOf(a.mode) - ["hall", "online", "absent"].indexOf(b.mode));
}

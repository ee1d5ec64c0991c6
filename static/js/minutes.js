// The minutes page: GET /api/rooms/{id}/minutes?format=json (no token once
// published; a moderator's draft link carries #token=...). The minutes model
// is rendered defensively: every part is optional and unknown fields are
// ignored, so a richer model shows more without breaking this page.

import { ballotText, countLabel, renderDecision } from "./ballot.js";
import { $, h, setText, show } from "./dom.js";
import { fileName, saveResponse } from "./download.js";
import { initI18n, lang, onLangChange, t } from "./i18n.js";
import { errorText, notify } from "./ui.js";
import { api, clock, dateOf, roomIdFromPath, timeOfDay, takeToken } from "./util.js";
import { renderApproval } from "./approval.js";

const roomId = roomIdFromPath();
const token = takeToken();
const base = `/api/rooms/${encodeURIComponent(roomId)}`;
let minutes = null;
let summary = null;

initI18n();
onLangChange(() => minutes && draw());
$("#print-btn").addEventListener("click", () => window.print());
$("#back-link").href = `/r/${encodeURIComponent(roomId)}`;
load();

async function load() {
  try {
    summary = await api(base).catch(() => null);
    // ?copy=public: the second signatory reviews what they sign (approval.js).
    const copy = new URLSearchParams(location.search).get("copy") === "public" ? "&copy=public" : "";
    minutes = await api(`${base}/minutes?format=json${copy}`, { token });
    show($("#loading"), false);
    show($("#doc"), true);
    draw();
  } catch (err) {
    show($("#loading"), false);
    show($("#not-ready"), true);
    const notYet = ["unauthorized", "forbidden"].includes(err.code);
    setText($("#not-ready-title"), notYet ? t("min.not_published") : t("min.unavailable"));
    setText($("#not-ready-text"), notYet ? t("min.not_published_text") : errorText(err));
  }
}

const arr = (x) => (Array.isArray(x) ? x : []);
const str = (x) => (x === null || x === undefined ? "" : typeof x === "object" ? x.title || x.text || x.name || "" : String(x));

function personName(pid) {
  const people = arr(minutes.participants || minutes.attendees);
  const p = people.find((x) => x && x.participant_id === pid);
  return p ? p.name : "";
}

function draw() {
  const m = minutes;
  const title = m.title || (summary && summary.title) || t("app.name");
  setText($("#doc-title"), title);
  document.title = `${title} · ${t("min.doc_title")}`;
  setText($("#doc-topic"), str(m.topic || (summary && summary.topic)));
  const when = m.date || m.started_at || (summary && (summary.started_at || summary.created_at));
  const meta = [];
  if (when) meta.push(t("min.date", { date: dateOf(when, lang()) }));
  if (m.duration_ms) meta.push(t("min.duration", { time: clock(m.duration_ms) }));
  // The moderator's copy lists the attendance; the public copy (`copy: "public"`)
  // gives it as counts only (`present`), naming nobody for merely being there.
  const attendance = arr(m.attendance || m.participants || m.attendees);
  const attended = attendance.filter((p) => p && p.attended !== false && !p.removed && (p.role || "participant") === "participant");
  const counted = m.present && Number.isInteger(m.present.residents) ? m.present.residents : attended.length;
  if (counted) meta.push(t("min.people", { n: counted }));
  setText($("#doc-meta"), meta.join(" · "));
  show($("#draft-flag"), m.final === false || (Boolean(token) && !(summary && summary.minutes_published)));
  setText($("#draft-flag"), m.final === false ? t("min.not_final") : t("min.draft"));
  drawExports();
  const approved = renderApproval($("#approval-box"), $("#after-approval"), m);

  const body = $("#doc-body");
  body.replaceChildren();
  const staff = m.people || {};
  const who = [];
  for (const [key, label] of [["moderators", "role.moderator"], ["clerks", "role.clerk"], ["offices", "role.office"]]) {
    if (arr(staff[key]).length) who.push(h("p", {}, h("strong", {}, `${t(label)}：`), arr(staff[key]).join("、")));
  }
  if (attended.length) {
    who.push(h("p", {}, h("strong", {}, `${t("min.attendees")}：`),
      attended.map((p) => str(p.name) + (p.mode === "hall" ? t("min.in_hall_mark") : "")).join("、")));
  } else if (counted) {
    who.push(h("p", {}, h("strong", {}, `${t("min.attendees")}：`), t("min.people", { n: counted })));
  }
  if (who.length) body.append(section(t("min.attendance"), ...who));
  const items = arr(m.agenda || m.items);
  const placed = { statements: false };
  drawOutcome(m, items);
  items.forEach((item, i) => body.append(drawItem(item, i, items.length, placed)));
  // Whatever the model keeps outside the agenda items.
  const extra = [];
  if (!placed.statements && arr(m.statements).length) extra.push(section(t("min.statements"), statementList(arr(m.statements))));
  if (arr(m.pins).length) extra.push(section(t("min.pins"), h("ul", { class: "plain list" }, ...arr(m.pins).map((p) => h("li", {}, `${str(p.name)}：${str(p.text)}`)))));
  const notes = [...arr(m.notes), ...arr(m.unfiled_notes)];
  if (notes.length) extra.push(section(t("min.notes"), noteList(notes)));
  const chairRecording = m.recordings && typeof m.recordings.chair === "string" ? m.recordings.chair : "";
  if (chairRecording) extra.push(section(t("min.chair_recording"), recordingPlayer(chairRecording)));
  if (arr(m.chat).length) extra.push(section(t("min.chat"), h("ul", { class: "plain list" }, ...arr(m.chat).map((c) => h("li", {}, `${str(c.name)}：${str(c.text)}`)))));
  body.append(...extra);
  if (!items.length && !extra.length) body.append(h("p", { class: "card" }, t("min.empty")));

  const actions = arr(m.actions);
  $("#actions-body").replaceChildren(actions.length ? actionTable(actions) : h("p", {}, t("actions.empty")));
  // How to check it, last and folded: the approval box says it in words when approved.
  const digest = (m.integrity && m.integrity.digest) || m.digest;
  setText($("#doc-digest"), digest ? t("min.digest", { digest }) : "");
  show($("#doc-check"), Boolean(digest) && !approved);
}

/**
 * What was decided, first: each agenda item's decisions and votes (and those the
 * model keeps outside the items); the actions follow in their own card.
 */
function drawOutcome(m, items) {
  const groups = items.map((item, i) => [t("min.item", { n: i + 1, title: typeof item === "string" ? item : str(item.title) }),
    arr(item && item.decisions), arr(item && item.polls)]);
  groups.push([items.length ? t("min.other_items") : "", arr(m.decisions), arr(m.polls)]);
  const parts = groups.filter(([, decisions, polls]) => decisions.length || polls.length)
    .flatMap(([title, decisions, polls]) => [title ? h("h3", {}, title) : null,
      decisions.length ? decisionList(decisions) : null, polls.length ? pollList(polls) : null].filter(Boolean));
  $("#outcome-body").replaceChildren(...parts);
  show($("#outcome"), parts.length > 0);
}

function section(title, ...content) {
  return h("section", { class: "card" }, h("h2", {}, title), ...content);
}

function drawItem(item, i, total, placed) {
  const title = typeof item === "string" ? item : str(item.title);
  const sec = h("section", { class: "card" }, h("h2", {}, t("min.item", { n: i + 1, title })));
  if (typeof item !== "object" || item === null) return sec;
  const balance = item.balance && typeof item.balance === "object" ? item.balance : null;
  const sides = balance ? balance.sides || balance : null;
  if (sides) {
    const parts = ["support", "oppose", "neutral"].filter((s) => sides[s] && sides[s].turns).map((s) =>
      t("min.balance_part", { stance: t(`stance.${s}`), turns: sides[s].turns ?? 0, time: clock(sides[s].ms ?? 0) }));
    if (parts.length) {
      let verdict = "";
      if (balance.held === true) verdict = t("min.balance_held");
      else if (balance.held === false) verdict = t("min.balance_not_held");
      sec.append(h("p", { class: "hint" }, t("min.balance", { parts: parts.join(lang() === "zh" ? "；" : "; ") }), verdict ? ` ${verdict}` : ""));
    }
  }
  const turns = arr(item.turns);
  if (turns.length) {
    sec.append(h("h3", {}, t("min.turns")), h("ol", { class: "turns" }, ...turns.map(turnRow)));
    if (turns.some((tn) => arr(tn.statements).length)) placed.statements = true;
  }
  if (arr(item.statements).length) {
    placed.statements = true;
    sec.append(h("h3", {}, t("min.statements")), statementList(arr(item.statements)));
  }
  if (arr(item.polls).length || arr(item.decisions).length) sec.append(h("p", { class: "hint" }, h("a", { href: "#outcome" }, t("min.see_outcome"))));
  if (arr(item.notes).length) sec.append(h("h3", {}, t("min.notes")), noteList(arr(item.notes)));
  if (!turns.length && !arr(item.polls).length && !arr(item.decisions).length && !arr(item.notes).length) {
    sec.append(h("p", { class: "hint" }, t("min.item_empty")));
  }
  return sec;
}

function turnRow(tn) {
  const name = str(tn.speaker || tn.name) || personName(tn.participant_id);
  const ms = tn.duration_ms ?? (tn.ended_at && tn.started_at ? tn.ended_at - tn.started_at : null);
  const bits = [tn.stance ? t(`stance.${tn.stance}`) : "", ms !== null && ms !== undefined ? clock(ms) : "", tn.started_at ? timeOfDay(tn.started_at, lang()) : ""].filter(Boolean);
  const li = h("li", {}, h("strong", {}, name), bits.length ? ` （${bits.join("，")}）` : "",
    tn.override ? h("span", { class: "tag tag-override" }, t("floor.override")) : null,
    tn.reason ? h("span", { class: "hint" }, ` ${t(`turn.reason.${tn.reason}`)}`) : null);
  if (typeof tn.recording === "string" && tn.recording) li.append(" ", recordingPlayer(tn.recording));
  const sts = arr(tn.statements);
  if (sts.length) {
    li.append(h("ul", { class: "plain" }, ...sts.map((s) => h("li", { class: "st-text" }, str(s.text || s),
      s.recorded_by ? h("span", { class: "hint" }, ` ${t("min.recorded_by", { name: s.recorded_by })}`) : null))));
  }
  return li;
}

/**
 * A turn's recording, played where it is listed. A draft's recordings need the
 * moderator's token, which an <audio> element cannot send: fetched, then played
 * from memory (the pages' policy allows media from blob: for this).
 */
function recordingPlayer(url) {
  const b = h("button", { class: "btn btn-secondary btn-small", type: "button" }, t("min.play_recording"));
  b.addEventListener("click", async () => {
    try {
      let src = url;
      if (token) {
        const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
        if (res.status === 404) {
          b.replaceWith(h("span", { class: "hint" }, t("min.no_recording")));
          return;
        }
        if (!res.ok) throw { code: res.status === 401 ? "unauthorized" : "unavailable" };
        src = URL.createObjectURL(await res.blob());
      }
      const audio = h("audio", { controls: "", src, preload: "auto" });
      b.replaceWith(audio);
      audio.play().catch(() => {});
    } catch (err) {
      notify(t("common.failed", { action: t("min.play_recording"), reason: errorText(err) }));
    }
  });
  return b;
}

function statementList(list) {
  return h("ul", { class: "plain statements" }, ...list.map((s) =>
    h("li", {}, h("p", { class: "st-head" }, h("strong", {}, str(s.name) || personName(s.participant_id)),
      s.stance ? h("span", { class: `tag tag-${s.stance}` }, t(`stance.${s.stance}`)) : null),
    h("p", { class: "st-text" }, str(s.text)))));
}

function optionText(p, i) {
  if (p.kind === "yes_no_abstain" && lang() !== "zh") return t(`poll.yna.${i}`);
  return str(arr(p.options)[i]);
}

function pollList(list) {
  return h("ul", { class: "plain" }, ...list.map((p) => {
    const counts = arr(p.counts || (p.result && p.result.counts));
    const total = counts.reduce((a, b) => a + (Number(b) || 0), 0);
    const li = h("li", { class: "card-inner" }, h("p", {}, h("strong", {}, str(p.question)), p.secret ? ` · ${t("poll.secret")}` : ""));
    if (counts.length) {
      li.append(h("table", {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("min.option")), h("th", { scope: "col" }, t("min.votes")))),
        h("tbody", {}, ...counts.map((c, i) => h("tr", {}, h("td", {}, optionText(p, i)), h("td", {}, countLabel(p, c, total ? Math.round((c / total) * 100) : 0)))))));
    }
    const voters = p.voters ?? (p.result && p.result.voters);
    const eligible = p.eligible ?? (p.result && p.result.eligible);
    if (voters !== undefined && voters !== null) li.append(h("p", { class: "hint" }, t("poll.turnout", { voters, eligible: eligible ?? "?" })));
    const decision = h("div", { class: "poll-decision" });
    renderDecision(decision, p); // rules 6: outcome, winner and rounds, means (ballot.js)
    li.append(decision);
    const roll = arr(p.roll_call);
    if (roll.length) {
      li.append(h("details", {}, h("summary", {}, t("min.roll_call")),
        h("ul", { class: "plain" }, ...roll.map((b) => h("li", {}, `${str(b.name)}：${ballotText(p, arr(b.choices))}`)))));
    }
    return li;
  }));
}

function noteList(list) {
  return h("ul", { class: "plain list" }, ...list.map((n) => h("li", {}, str(n.text || n))));
}

function decisionList(list) {
  return h("ul", { class: "plain list" }, ...list.map((d) => h("li", {}, "✔ ", str(d.text || d))));
}

function actionTable(actions) {
  return h("div", { class: "table-wrap" }, h("table", { class: "stack" },
    h("thead", {}, h("tr", {}, ...["min.action", "min.owner", "min.due", "min.status"].map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", {}, ...actions.map((a) => {
      const last = arr(a.updates).slice(-1)[0];
      return h("tr", {},
        h("td", {}, h("strong", {}, str(a.title)), a.item_title ? h("p", { class: "hint" }, a.item_title) : null),
        h("td", { "data-label": t("min.owner") }, str(a.owner)),
        h("td", { "data-label": t("min.due") }, str(a.due)),
        h("td", { "data-label": t("min.status") }, h("span", { class: `tag tag-status-${a.status}` }, t(`action.status.${a.status || "open"}`)),
          a.overdue ? [" ", h("span", { class: "tag tag-overdue" }, t("my.overdue"))] : null,
          last && last.note ? h("p", { class: "hint" }, str(last.note)) : null));
    }))));
}

/**
 * A resident is offered what she uses (print it, or a Word file), the other formats
 * folded under "more formats"; staff (a draft, with a token) get every format.
 */
function drawExports() {
  const box = $("#export-links");
  const formats = [["docx", "Word"], ["html", t("min.fmt_html")], ["md", "Markdown"]];
  const links = formats.map(([fmt, label]) => exportLink(fmt, label));
  if (token) box.replaceChildren(...links);
  else box.replaceChildren(links[0], h("details", { class: "more-formats" }, h("summary", {}, t("min.more_formats")), ...links.slice(1)));
}

function exportLink(fmt, label) {
  const href = `${base}/minutes?format=${fmt}`;
  // Saved as the room's title and date, as the server names it (download.js).
  const name = fileName(minutes.title || (summary && summary.title), minutes.date, fmt);
  if (!token) return h("a", { class: "btn btn-secondary", href, download: name }, t("min.download", { fmt: label }));
  // A draft needs the moderator's (or a clerk's) token, which a plain link cannot carry.
  const b = h("button", { class: "btn btn-secondary", type: "button" }, t("min.download", { fmt: label }));
  b.addEventListener("click", async () => {
    try {
      const res = await fetch(href, { headers: { Authorization: `Bearer ${token}` } });
      if (!res.ok) throw { code: res.status === 401 ? "unauthorized" : "unavailable" };
      await saveResponse(res, name);
    } catch (err) {
      notify(t("common.failed", { action: t("min.download", { fmt: label }), reason: errorText(err) }));
    }
  });
  return b;
}

// The console's polls: the form that opens one (kinds, rules), each poll's
// controls (close, the roll of named ballots, to a decision), and a clerk's
// ballot for an attendee seated in the hall.

import { ballotText, isOrdered, orderedBallot, presenceText } from "./ballot.js";
import { $, $$, h, setText, show } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act, notify, optionLabel, renderPolls } from "./ui.js";
import { cmdButton, named, onSubmit } from "./console_tools.js";

/**
 * Wire the poll form; `page` is the console (client, send, render). Returns the
 * polls' renderer and the events they follow.
 */
export function mountPolls(page) {
  const polls = {
    page,
    proxyBallots: new Map(), // poll_id -> names this console cast a ballot for
    ballotBy: new Map(), // poll_id -> {participant_id: who cast it for them} (poll.ballot's `by`)
  };
  wirePollForm(page);
  return {
    render: (state, role) => renderConsolePolls(polls, state, role),
    onEvent: (ev) => {
      if (ev.type === "poll.ballot" && ev.data.by) {
        if (!polls.ballotBy.has(ev.data.poll_id)) polls.ballotBy.set(ev.data.poll_id, {});
        polls.ballotBy.get(ev.data.poll_id)[ev.data.participant_id] = ev.data.by;
      }
    },
  };
}

function wirePollForm(page) {
  const kind = $("#poll-kind");
  const syncKind = () => {
    show($("#poll-options-row"), kind.value !== "yes_no_abstain");
    show($("#poll-max-row"), kind.value === "multi");
  };
  kind.addEventListener("change", syncKind);
  kind.addEventListener("change", syncRules);
  $("#poll-threshold").addEventListener("change", syncRules);
  syncKind();
  syncRules();
  // A named poll publishes who chose what: say so where the choice is made.
  const syncSecret = () => show($("#poll-named-note"), !$("#poll-secret").checked);
  $("#poll-secret").addEventListener("change", syncSecret);
  syncSecret();
  onSubmit($("#poll-form"), () => t("mod.poll_open"), async () => {
    const question = $("#poll-question").value.trim();
    if (!question) {
      $("#poll-question").focus();
      throw { code: "bad_command" };
    }
    const args = { question, kind: kind.value, live_results: $("#poll-live").checked, secret: $("#poll-secret").checked };
    if (kind.value === "yes_no_abstain") args.options = ["赞成", "反对", "弃权"];
    else {
      args.options = $("#poll-options").value.split("\n").map((s) => s.trim()).filter(Boolean);
      if (args.options.length < 2) {
        $("#poll-options").focus();
        throw { code: "bad_command" };
      }
    }
    if (kind.value === "multi") args.max_choices = Math.max(1, Number($("#poll-max").value) || 1);
    Object.assign(args, pollRuleArgs(kind.value));
    await page.send("poll.open", args);
    $("#poll-question").value = "";
    $("#poll-options").value = "";
    notify(t("common.done", { action: t("mod.poll_open") }), { kind: "ok" });
  });
}

// ---- issue 16, part 3: ranked and score polls, quorum and thresholds (ballot.js) ----

/** The form's rows for the kind: a score poll's top score; no threshold for multi or score. */
function syncRules() {
  const k = $("#poll-kind").value;
  show($("#poll-score-row"), k === "score");
  const noThreshold = k === "multi" || k === "score";
  $("#poll-threshold").disabled = noThreshold;
  if (noThreshold) $("#poll-threshold").value = "";
  show($("#poll-threshold-note"), noThreshold);
  $("#poll-threshold-base").disabled = noThreshold || !$("#poll-threshold").value;
}

/** poll.open's rules 6 arguments from the form (only those set). */
function pollRuleArgs(k) {
  const args = {};
  if (k === "score") args.max_score = Math.min(10, Math.max(1, Number($("#poll-max-score").value) || 5));
  const quorum = Number($("#poll-quorum").value);
  if (Number.isInteger(quorum) && quorum >= 1) args.quorum = quorum;
  const threshold = $("#poll-threshold").value;
  if (threshold && k !== "multi" && k !== "score") {
    args.threshold = threshold;
    args.threshold_base = $("#poll-threshold-base").value;
  }
  return args;
}

function renderConsolePolls(polls, state, role) {
  show($("#polls-empty"), !state.polls.length);
  if (role === "moderator") setText($("#poll-presence"), presenceText(state));
  renderPolls($("#poll-list"), state, (box, poll) => pollControls(polls, box, poll, role));
}

function pollControls(polls, box, poll, role) {
  const { client, send } = polls.page;
  const ballots = poll.ballots && !poll.secret ? Object.entries(poll.ballots) : [];
  const by = polls.ballotBy.get(poll.poll_id) || {};
  if (role === "clerk") return proxyBallot(polls, box, poll);
  const sig = `${poll.status}|${lang()}|${role}|${JSON.stringify(ballots)}|${JSON.stringify(by)}|${client.state.room.status}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const open = box.querySelector("details[open]") !== null;
  const nameOf = (pid) => (client.state.participants.find((p) => p.participant_id === pid) || {}).name || pid;
  const roll = ballots.length
    ? h("details", { open }, h("summary", {}, t("mod.poll_roll", { n: ballots.length })),
      h("ul", { class: "plain" }, ...ballots.map(([pid, choices]) => {
        // A ballot cast for an attendee in the hall says who cast it (poll.ballot's `by`).
        const cast = by[pid] ? t("staff.cast_by", { name: nameOf(by[pid]) }) : "";
        return h("li", {}, `${nameOf(pid)}：${ballotText(poll, choices)}${cast}`);
      })))
    : null;
  if (role !== "moderator") return box.replaceChildren();
  if (client.state.room.status === "ended") return box.replaceChildren(roll || "");
  if (poll.status === "open") {
    const close = cmdButton(send, t("mod.poll_close"), "poll.close", { poll_id: poll.poll_id }, { cls: "btn btn-secondary" });
    named(close, poll.question);
    return box.replaceChildren(close, roll || "");
  }
  const record = h("button", { class: "btn btn-secondary", type: "button" }, t("mod.poll_to_decision"));
  record.addEventListener("click", () => {
    const counts = poll.counts || [];
    const summary = (poll.options || []).map((o, i) => `${o} ${counts[i] ?? 0}`).join(lang() === "zh" ? "，" : ", ");
    const area = $("#decision-text");
    area.value = t("mod.poll_decision_text", { q: poll.question, summary });
    area.dataset.pollId = poll.poll_id;
    area.focus();
  });
  box.replaceChildren(record, roll || "");
}

/**
 * A clerk casts a ballot for an attendee seated in the hall (poll.vote with
 * on_behalf_of; the server refuses anyone else). A named poll's ballot says
 * who cast it (poll.ballot's `by`); a secret poll's is sealed like any other
 * and names nobody. The clerk does not see who has voted (ballots go to
 * moderators only), so the console remembers whom it voted for.
 */
function proxyBallot(polls, box, poll) {
  const state = polls.page.client.state;
  const seated = state.participants.filter((p) => p.in_hall && !p.removed && (p.role || "participant") === "participant");
  const done = polls.proxyBallots.get(poll.poll_id) || new Map();
  const revote = Boolean(state.room.settings.revote);
  const choosable = seated.filter((p) => revote || !done.has(p.participant_id));
  const open = poll.status === "open" && state.room.status === "live";
  const sig = `${poll.status}|${state.room.status}|${lang()}|${choosable.map((p) => p.participant_id + p.name).join(",")}|${[...done.values()].join(",")}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const doneLine = done.size ? h("p", { class: "hint proxy-done" }, t("staff.proxy_done", { names: [...done.values()].join("、") })) : null;
  if (!open || !choosable.length) {
    const why = open ? (seated.length ? "" : t("staff.proxy_none")) : "";
    return box.replaceChildren(...[doneLine, why ? h("p", { class: "hint" }, why) : null].filter(Boolean));
  }
  const id = `proxy-${poll.poll_id}`;
  const who = h("select", { id: `${id}-who` }, ...choosable.map((p) => h("option", { value: p.participant_id }, p.name)));
  if (isOrdered(poll)) return box.replaceChildren(proxyOrdered(polls, poll, who, seated), doneLine || "");
  const multi = poll.kind === "multi";
  const options = (poll.options || []).map((_, i) => h("label", { class: "check" },
    h("input", { type: multi ? "checkbox" : "radio", name: `${id}-choice`, value: String(i) }), ` ${optionLabel(poll, i)}`));
  const submit = h("button", { class: "btn btn-primary", type: "submit" }, t("staff.proxy_vote"));
  const form = h("form", { class: "proxy" },
    h("fieldset", {}, h("legend", {}, t("staff.proxy_title")),
      h("label", { for: `${id}-who` }, t("staff.proxy_who")), who,
      h("fieldset", { class: "choices" }, h("legend", {}, t("staff.proxy_choice")), ...options),
      h("p", { class: "hint" }, poll.secret ? t("staff.proxy_secret") : t("staff.proxy_named")),
      submit));
  onSubmit(form, () => t("staff.proxy_vote"), async () => {
    const choices = $$("input:checked", form).map((x) => Number(x.value));
    if (!choices.length) throw { code: "bad_command" };
    await castFor(polls, poll, who.value, seated, { choices });
  });
  box.replaceChildren(form, doneLine || "");
}

/** A clerk's ranked or score ballot for an attendee in the hall (the resident's form). */
function proxyOrdered(polls, poll, who, seated) {
  return orderedBallot(poll, {
    header: [h("label", { for: who.id }, t("staff.proxy_who")), who,
      h("p", { class: "hint" }, poll.secret ? t("staff.proxy_secret") : t("staff.proxy_named"))],
    send: (args, button) => act(button, t("staff.proxy_vote"), () => castFor(polls, poll, who.value, seated, args)),
  });
}

/** Cast the ballot for `pid` and remember it (the clerk cannot see who has voted). */
async function castFor(polls, poll, pid, seated, args) {
  const name = (seated.find((p) => p.participant_id === pid) || {}).name || "";
  await polls.page.send("poll.vote", { poll_id: poll.poll_id, ...args, on_behalf_of: pid });
  if (!polls.proxyBallots.has(poll.poll_id)) polls.proxyBallots.set(poll.poll_id, new Map());
  polls.proxyBallots.get(poll.poll_id).set(pid, name);
  notify(t("staff.proxy_ok", { name }), { kind: "ok" });
  polls.page.render();
}

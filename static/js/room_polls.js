// The resident's polls: each card's ballot (or the one she cast), and the
// banner that brings the newest open poll she has not answered to her.

import { ballotText, isOrdered, orderedBallot } from "./ballot.js";
import { setBanner } from "./banner.js";
import { $, $$, h, setText, show } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act, optionLabel, renderPolls } from "./ui.js";
import { revealBelowStrip } from "./room_turn.js";

/** `page` is the resident page (client, render). Returns the polls' renderer. */
export function mountPolls(page) {
  const polls = { page, dismissed: new Set() }; // the banners she put off with 稍后
  return {
    render: (state) => {
      show($("#polls-empty"), !state.polls.length);
      renderPolls($("#poll-list"), state, (box, poll) => pollControls(page, box, poll, state));
      renderPollBanner(polls, state);
    },
  };
}

/** The vote form of one poll card, or the ballot already cast. */
function pollControls(page, box, poll, state) {
  const ballot = state.you.ballots[poll.poll_id];
  const voted = ballot !== undefined && ballot !== null;
  const canVote = (state.you.role || "participant") === "participant" && poll.status === "open";
  const revote = Boolean(state.room.settings.revote);
  const mode = canVote && (!voted || revote) ? "form" : voted ? "voted" : "none";
  const sig = `${mode}|${lang()}|${JSON.stringify(ballot ?? null)}`;
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  if (mode === "none") return box.replaceChildren();
  const votedText = voted
    ? ballot === true
      ? t("poll.voted_secret")
      : t("poll.voted", { choice: ballotText(poll, ballot) })
    : "";
  const kind = h("p", { class: `ballot-kind ${poll.secret ? "ballot-secret" : "ballot-named"}` },
    poll.secret ? t("poll.ballot_secret") : t("poll.ballot_named"));
  if (mode === "voted") return box.replaceChildren(kind, h("p", { class: "voted" }, votedText));
  if (isOrdered(poll)) {
    // Ranked and score ballots (ballot.js): the same card, the same send.
    return box.replaceChildren(orderedBallot(poll, {
      initial: Array.isArray(ballot) ? ballot : null, header: [kind], voted,
      footer: voted ? [h("p", { class: "voted" }, votedText)] : [],
      send: (args, button) => act(button, t("poll.vote"), () => vote(page, poll, args, args.choices || args.scores)),
    }));
  }
  const multi = poll.kind === "multi";
  const name = `poll-${poll.poll_id}`;
  const legendId = `${name}-legend`;
  const options = (poll.options || []).map((_, i) => {
    const id = `${name}-${i}`;
    const checked = Array.isArray(ballot) && ballot.includes(i);
    return h("div", { class: "choice" },
      h("input", { type: multi ? "checkbox" : "radio", name, id, value: String(i), checked }),
      h("label", { for: id }, optionLabel(poll, i)));
  });
  const err = h("p", { class: "error", role: "alert" });
  const submit = h("button", { class: "btn btn-primary", type: "submit" }, voted ? t("poll.revote") : t("poll.vote"));
  const form = h("form", { class: "vote-form" },
    h("fieldset", {},
      h("legend", { id: legendId, class: "sr-only" }, poll.question),
      kind,
      multi ? h("p", { class: "hint" }, t("poll.choose_up_to", { n: poll.max_choices || options.length })) : null,
      ...options),
    voted ? h("p", { class: "voted" }, votedText) : null,
    submit, err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const choices = $$("input:checked", form).map((i) => Number(i.value));
    if (!choices.length) return setText(err, t("poll.choose_one"));
    if (multi && poll.max_choices && choices.length > poll.max_choices) return setText(err, t("poll.too_many", { n: poll.max_choices }));
    setText(err, "");
    act(submit, t("poll.vote"), () => vote(page, poll, { choices }, choices));
  });
  box.replaceChildren(form);
}

/** Send her ballot and remember it (a secret one only as cast), for a reload too. */
async function vote(page, poll, args, ballot) {
  const { client } = page;
  await client.send("poll.vote", { poll_id: poll.poll_id, ...args });
  client.state.you.ballots[poll.poll_id] = poll.secret ? true : ballot;
  client.flush();
  page.render();
}

/** The newest open poll she has not answered yet comes to her: words, and one tap to the ballot. */
function renderPollBanner(polls, state) {
  const canVote = (state.you.role || "participant") === "participant";
  const poll = canVote ? state.polls.slice().reverse().find((p) => p.status === "open"
    && (state.you.ballots[p.poll_id] === undefined || state.you.ballots[p.poll_id] === null)
    && !polls.dismissed.has(p.poll_id)) : null;
  setBanner($("#banner-poll"), poll ? {
    key: `${poll.poll_id}|${lang()}`,
    kind: "poll",
    text: t("banner.poll", { q: poll.question }),
    detail: poll.secret ? t("poll.ballot_secret") : t("poll.ballot_named"),
    goLabel: t("banner.poll_go"),
    onGo: () => {
      const card = $(`#poll-list > li[data-key="${CSS.escape(poll.poll_id)}"]`);
      if (!card) return;
      revealBelowStrip(card);
      const first = $("input", card) || $("button", card);
      if (first) first.focus({ preventScroll: true });
    },
    onLater: () => {
      polls.dismissed.add(poll.poll_id);
      polls.page.render();
    },
  } : null);
}

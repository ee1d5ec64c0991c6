// The resident's line to the room: its state, the word when it comes back,
// and while it is down, the taps that wait for it, in words.

import { $, setText } from "./dom.js";
import { t } from "./i18n.js";
import { notify, renderConnection, stanceLabel } from "./ui.js";

const COMMAND_WORDS = {
  "hand.raise": (a) => t("raise.action", { stance: stanceLabel(a.stance) }),
  "hand.lower": () => t("raise.lower"),
  "statement.post": (a) => t("offline.statement", { text: shortened(a.text) }),
  "turn.yield": () => t("turn.yield"),
  "poll.vote": () => t("poll.vote"),
  "chat.send": (a) => t("offline.chat", { text: shortened(a.text) }),
};

/** Follow `client`'s line (its status and its waiting commands). Returns the line's renderer. */
export function mountLine(client) {
  const line = { client, last: "idle" }; // `last`: the status before this one
  client.addEventListener("status", (e) => onStatus(line, e.detail));
  client.addEventListener("pending", () => renderOffline(client));
  return {
    render: () => {
      renderConnection($("#conn"), client.status);
      renderOffline(client);
    },
  };
}

/** The connection's state; when it comes back, say so (and that queued taps went). */
function onStatus(line, status) {
  renderConnection($("#conn"), status);
  const wasDown = line.last === "reconnecting";
  line.last = status;
  if (status === "open" && wasDown) {
    const sent = $("#offline-note").textContent !== "";
    const text = t(sent ? "offline.back_sent" : "offline.back");
    notify(text, { kind: "ok" });
  }
  renderOffline(line.client);
}

/** Her own words, short enough for the notice, so she knows which message waits. */
function shortened(text, max = 12) {
  const chars = Array.from(String(text || "").trim());
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : chars.join("");
}

/** While the line is down, the taps waiting for it, in words: they go when it is back. */
function renderOffline(client) {
  const note = $("#offline-note");
  if (!client) return;
  const down = client.status === "reconnecting";
  const what = down ? client.waiting().map((c) => (COMMAND_WORDS[c.cmd] || (() => ""))(c.args)).filter(Boolean) : [];
  setText(note, what.length ? t("offline.queued", { what: what.join("、") }) : "");
}

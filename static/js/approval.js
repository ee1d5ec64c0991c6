// Approved and signed minutes (rules 6; docs/protocol.md, "Approved and signed minutes").
//
// In the staff console (`mountApproval`): once the session has ended, the
// moderator's "approve the minutes" step (the digest of the draft being
// approved, a second signatory to name or none, a clear confirmation), then
// "waiting for the second signatory" or "approved", and amendments after it;
// the clerk or office named as second signatory gets "sign the minutes". The
// room's approval comes in the welcome snapshot (`room.approval`) and is kept
// current here from the events minutes.approval_pending/approved/amended.
//
// On the minutes page (`renderApproval`): "approved by ... on ..." with the
// digest, or the approval waiting, and what the log gained after approval.

import { $, h, show } from "./dom.js";
import { lang, t } from "./i18n.js";
import { act, notify } from "./ui.js";
import { api, timeOfDay } from "./util.js";

const arr = (x) => (Array.isArray(x) ? x : []);

/** "2026-11-30 15:02" in the minutes' zone (UTC+08:00, as every export states). */
export function approvalWhen(ms) {
  const d = new Date(ms + 8 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

function signerText(s) {
  return t("appr.signer", { name: s.name, role: t(`role.${s.role}`) });
}

/** "approved by 王主任 (主持人) and 李书记员 (书记员) on 2026-11-30 15:02" */
export function approvedLine(statement) {
  const names = arr(statement.signers).map(signerText).join(t("appr.and"));
  return t("appr.line", { names, when: approvalWhen(statement.approved_at) });
}

/**
 * The digest of what is approved, for those who check it, folded: nobody has to
 * read a 64-character code to approve or to read the minutes. `id` names the
 * digest's element; `more` follows it (the signing key, on the minutes page).
 */
function checkDetails(statement, id = "", more = null) {
  return h("details", { class: "approval-check" }, h("summary", {}, t("appr.check")),
    h("p", { class: "hint" }, t("appr.digest", { entries: statement.entries })),
    h("p", { class: "mono digest", id: id || undefined }, statement.digest), more);
}

function applyEvent(state, ev) {
  const room = state.room;
  if (!room.approval) room.approval = { pending: null, approvals: [], amendments: [] };
  const a = room.approval;
  if (ev.type === "minutes.approval_pending") a.pending = ev.data;
  else if (ev.type === "minutes.approved") {
    a.pending = null;
    if (!a.approvals.some((x) => x.signature === ev.data.signature)) a.approvals.push(ev.data);
  } else if (ev.type === "minutes.amended") {
    if (!a.amendments.some((x) => x.amendment_id === ev.data.amendment_id)) a.amendments.push(ev.data);
  }
}

/**
 * The console's approval card. `send(cmd, args)` sends a command; returns
 * {render(state)} to call on every render of the console.
 */
export function mountApproval({ client, token, roomId, send }) {
  const box = $("#approval");
  const base = `/api/rooms/${encodeURIComponent(roomId)}`;
  let reviewed = null; // {entries, digest} of the draft fetched for the approve step
  let sig = "";
  client.addEventListener("event", (e) => {
    if (String(e.detail.type).startsWith("minutes.")) applyEvent(client.state, e.detail);
  });

  async function review() {
    const m = await api(`${base}/minutes?format=json&copy=moderator`, { token });
    reviewed = { entries: m.integrity.entries, digest: m.integrity.digest };
    sig = "";
    render(client.state);
  }

  function render(state) {
    const a = state.room.approval;
    const you = state.you || {};
    const role = you.role || "moderator";
    const ended = state.room.status === "ended";
    const mine = a && a.pending && a.pending.cosigner.participant_id === you.participant_id;
    const visible = Boolean(a) && ended && (role === "moderator" || a.approvals.length > 0 || mine);
    show(box, visible);
    if (!visible) return;
    const key = JSON.stringify([lang(), role, a, reviewed, state.participants.map((p) => [p.participant_id, p.role, p.removed])]);
    if (key === sig) return;
    sig = key;
    const parts = [h("h2", { id: "approval-title" }, t("appr.title"))];
    const first = a.approvals[0];
    if (first) {
      parts.push(h("p", { class: "approval-state approved", role: "status" }, approvedLine(first.statement)),
        checkDetails(first.statement));
      for (const further of a.approvals.slice(1)) parts.push(h("p", { class: "hint" }, approvedLine(further.statement)));
      if (a.amendments.length) {
        parts.push(h("h3", {}, t("appr.amendments")),
          h("ul", { class: "plain list" }, ...a.amendments.map((x) => h("li", {}, `${timeOfDay(x.at, lang())} ${x.by}：${x.text}`))));
      }
      if (role === "moderator") parts.push(amendForm());
    }
    if (a.pending) {
      parts.push(h("p", { class: "approval-state waiting", role: "status" },
        t("appr.waiting", { name: signerText(a.pending.cosigner) })),
      checkDetails(a.pending));
      if (mine) parts.push(signStep(a.pending));
    } else if (!first && role === "moderator") {
      parts.push(approveStep(state));
    }
    box.replaceChildren(...parts);
  }

  function approveStep(state) {
    if (!reviewed) {
      const b = h("button", { id: "approve-review-btn", class: "btn btn-primary", type: "button" }, t("appr.review"));
      b.addEventListener("click", () => act(b, t("appr.review"), review));
      return h("div", {}, h("p", {}, t("appr.intro")), b);
    }
    const cosigners = state.participants.filter((p) => !p.removed && (p.role === "clerk" || p.role === "office"));
    const select = h("select", { id: "approve-cosigner" },
      h("option", { value: "" }, t("appr.no_cosigner")),
      ...cosigners.map((p) => h("option", { value: p.participant_id }, signerText(p))));
    const go = h("button", { id: "approve-btn", class: "btn btn-primary", type: "button" }, t("appr.approve"));
    go.addEventListener("click", () => {
      if (!window.confirm(t("appr.confirm"))) return;
      act(go, t("appr.approve"), async () => {
        const args = { entries: reviewed.entries, digest: reviewed.digest };
        if (select.value) args.cosigner = select.value;
        try {
          await send("minutes.approve", args);
        } catch (err) {
          if (err && err.code === "conflict") reviewed = null; // the draft moved on: review again
          sig = "";
          render(client.state);
          throw err;
        }
        notify(t("common.done", { action: t("appr.approve") }), { kind: "ok" });
      });
    });
    const draft = `/r/${encodeURIComponent(roomId)}/minutes#token=${encodeURIComponent(token)}`;
    return h("div", { class: "approve-step" },
      h("p", {}, t("appr.approving", { entries: reviewed.entries })),
      checkDetails(reviewed, "approve-digest"),
      h("p", {}, h("a", { href: draft, target: "_blank", rel: "noopener" }, t("appr.open_draft"))),
      h("label", { for: "approve-cosigner" }, t("appr.cosigner")), select,
      h("div", { class: "row" }, go));
  }

  function signStep(pending) {
    const b = h("button", { id: "sign-btn", class: "btn btn-primary", type: "button" }, t("appr.sign"));
    b.addEventListener("click", () => {
      if (!window.confirm(t("appr.sign_confirm"))) return;
      act(b, t("appr.sign"), async () => {
        await send("minutes.sign", { entries: pending.entries, digest: pending.digest });
        notify(t("common.done", { action: t("appr.sign") }), { kind: "ok" });
      });
    });
    const draft = `/r/${encodeURIComponent(roomId)}/minutes?copy=public#token=${encodeURIComponent(token)}`;
    return h("div", { class: "sign-step" },
      h("p", {}, t("appr.sign_intro", { by: pending.by.name, entries: pending.entries })),
      h("p", {}, h("a", { href: draft, target: "_blank", rel: "noopener" }, t("appr.open_draft"))), b);
  }

  function amendForm() {
    const text = h("textarea", { id: "amend-text", rows: "2", maxlength: "2000" });
    const go = h("button", { class: "btn btn-secondary", type: "submit" }, t("appr.amend"));
    const form = h("form", { class: "amend" }, h("label", { for: "amend-text" }, t("appr.amend_label")), text, go);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!text.value.trim()) return text.focus();
      act(go, t("appr.amend"), async () => {
        await send("minutes.amend", { text: text.value.trim() });
        text.value = "";
      });
    });
    return form;
  }

  return { render };
}

/**
 * The minutes page: the approval under the title (`box`), and what the log gained
 * after approval in a section of its own after the minutes (`afterBox`), from the
 * model's `approval` and `after_approval`.
 */
export function renderApproval(box, afterBox, m) {
  const a = m && m.approval;
  const first = a && arr(a.approvals)[0];
  const parts = [];
  if (first) {
    // In plain words; the digest and the key, for those who check, folded below.
    parts.push(h("p", { class: "approval-state approved" }, t("appr.verified", { line: approvedLine(first.statement) })),
      checkDetails(first.statement, "", h("p", { class: "hint" }, t("appr.signed", { key_id: first.statement.key_id }))));
  } else if (a && a.pending) {
    parts.push(h("p", { class: "approval-state waiting" }, t("appr.waiting", { name: signerText(a.pending.cosigner) })));
  }
  box.replaceChildren(...parts);
  show(box, parts.length > 0);
  const after = m && m.after_approval;
  const rows = [];
  if (after) {
    for (const x of arr(after.amendments)) rows.push(h("li", {}, t("appr.amended", { by: x.by, when: approvalWhen(x.at), text: x.text })));
    for (const u of arr(after.action_updates)) {
      rows.push(h("li", {}, `${approvalWhen(u.at)} ${u.title}：${t(`action.status.${u.status}`)}（${u.by}）${u.note ? `：${u.note}` : ""}`));
    }
    for (const n of arr(after.notes)) rows.push(h("li", {}, `${approvalWhen(n.at)} ${n.by}：${n.text}`));
    for (const x of arr(a.approvals).slice(1)) rows.push(h("li", {}, approvedLine(x.statement)));
  }
  afterBox.replaceChildren(...(after ? [
    h("h2", { id: "after-approval-title" }, t("appr.after")),
    h("p", { class: "hint" }, t("appr.after_text")),
    rows.length ? h("ul", { class: "plain list" }, ...rows) : h("p", {}, t("appr.after_none"))] : []));
  show(afterBox, Boolean(after));
  return Boolean(first);
}

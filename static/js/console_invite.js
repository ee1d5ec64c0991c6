// The console's ways into the room: the invite link and its QR code (also full
// screen, for a hall), personal invite codes, staff links, and the hall
// screen's link.

import { $, h, reconcile, setText, show } from "./dom.js";
import { t } from "./i18n.js";
import { act } from "./ui.js";
import { api, roomQrDataUrl } from "./util.js";
import { copy, fingerprint, named, onSubmit } from "./console_tools.js";

/**
 * Wire the invite panel; `page` is the console (roomId, token, client, render).
 * Returns what the console calls later: render, loadQr, renderStaff, wireHall.
 */
export function mountInvite(page) {
  const invite = {
    page,
    url: "", // the invite link shown (see inviteLink)
    // The QR code: null follows the session (shown before it starts, behind a
    // button once it runs, where it would only push the cockpit down); a press
    // of the button decides from then on.
    qrShown: null,
    qrOpener: null, // what had focus before the full-screen code opened
    staff: [], // the staff links shown (see keepStaff)
  };
  wireInvite(invite);
  return {
    render: (state) => renderInvite(invite, state),
    loadQr: () => loadQr(page),
    renderStaff: () => renderStaff(invite),
    wireHall: () => wireHall(page),
  };
}

function wireInvite(invite) {
  const { page } = invite;
  $("#qr-full-btn").addEventListener("click", () => openQr(invite));
  $("#qr-full-close").addEventListener("click", () => closeQr(invite));
  $("#qr-full").addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeQr(invite);
    if (e.key === "Tab") {
      e.preventDefault(); // one control inside the dialog: keep focus on it
      $("#qr-full-close").focus();
    }
  });
  $("#invite-copy").addEventListener("click", () => copy(invite.url, $("#invite-copy")));
  $("#qr-toggle").addEventListener("click", () => {
    invite.qrShown = $("#qr-box").hidden;
    page.render();
  });

  onSubmit($("#codes-form"), () => t("mod.codes_make"), async () => {
    const count = Math.max(1, Math.min(200, Number($("#codes-count").value) || 1));
    const r = await api(`/api/rooms/${encodeURIComponent(page.roomId)}/invites`, { method: "POST", token: page.token, body: { count } });
    const urls = r.urls || (r.codes || []).map((c) => `${location.origin}/r/${page.roomId}?invite=${c}`);
    $("#codes-list").append(...(r.codes || []).map((c, i) => h("li", {}, h("strong", {}, c), " ", h("span", { class: "link-out" }, urls[i] || ""))));
  });

  onSubmit($("#staff-form"), () => t("mod.staff_make"), async () => {
    const role = $("#staff-role").value;
    const name = $("#staff-name").value.trim();
    if (!name) return $("#staff-name").focus();
    const r = await api(`/api/rooms/${encodeURIComponent(page.roomId)}/staff`, { method: "POST", token: page.token, body: { role, name } });
    const link = `${location.origin}/m/${page.roomId}#token=${r.token}`;
    renderStaff(invite, keepStaff(page, { name, role, link }));
    $("#staff-name").value = "";
  });
}

/** The invite link, its mode, the QR code (behind a button once the session runs), the staff links. */
function renderInvite(invite, state) {
  invite.url = inviteLink(invite.page.roomId, state);
  setText($("#invite-link"), invite.url);
  show($("#invite-link-line"), Boolean(invite.url));
  const mode = state.room.settings.invite_mode === "personal" ? "personal" : "open";
  setText($("#invite-mode"), t("con.invite_mode", { mode: t(`invitemode.${mode}`) }));
  $("#invite-mode").className = `pill pill-mode pill-mode-${mode}`;
  setText($("#invite-mode-line"), t(`con.invite_mode_${mode}`));
  const qrVisible = invite.qrShown ?? state.room.status === "pending";
  show($("#qr-box"), qrVisible);
  show($("#qr-toggle"), state.room.status !== "pending" || invite.qrShown !== null);
  $("#qr-toggle").setAttribute("aria-expanded", String(qrVisible));
  setText($("#qr-toggle"), qrVisible ? t("con.qr_hide") : t("con.qr_show"));
  // Before a poll in open-link mode: one person may hold two ballots.
  show($("#poll-mode-warning"), mode === "open");
  renderStaff(invite);
}

/** The invite QR code (util.js roomQrDataUrl: it needs the moderator's token). */
async function loadQr(page) {
  try {
    const url = await roomQrDataUrl(page.roomId, page.token);
    if (!url) return;
    $("#qr-img").src = url;
    $("#qr-full-img").src = url;
  } catch {
    /* offline: the invite link still shows as text */
  }
}

/**
 * The room's invite link. The public summary never carries the code (anyone may
 * read it); the moderator's own snapshot does (room.invite_code), so the link
 * is built from that: the same link the QR code shows.
 */
function inviteLink(roomId, state) {
  const code = state && state.room && state.room.invite_code;
  return code ? `${location.origin}/r/${encodeURIComponent(roomId)}?invite=${encodeURIComponent(code)}` : "";
}

function openQr(invite) {
  const { client } = invite.page;
  invite.qrOpener = document.activeElement;
  setText($("#qr-full-title"), t("mod.qr_title", { title: client.state ? client.state.room.title : "" }));
  setText($("#qr-full-link"), invite.url);
  show($("#qr-full-link"), Boolean(invite.url));
  show($("#qr-full"), true);
  $("#qr-full-close").focus();
  if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
}

function closeQr(invite) {
  show($("#qr-full"), false);
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  if (invite.qrOpener) invite.qrOpener.focus();
}

/**
 * Staff links made from this console, kept in sessionStorage under the room and
 * the moderator token's fingerprint: a reload (or a crash of the tab) keeps
 * them, like the moderator's own token (util.js takeToken); closing the tab
 * forgets them. Not localStorage: a hall's shared computer would hand the next
 * user keys to the room, and the moderator's link makes new ones at any time.
 */
const staffKey = (page) => `yishi.staff:${page.roomId}:${fingerprint(page.token)}`;

function savedStaff(page) {
  try {
    const list = JSON.parse(sessionStorage.getItem(staffKey(page)) || "[]");
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function keepStaff(page, entry) {
  const list = savedStaff(page);
  list.push(entry);
  try {
    sessionStorage.setItem(staffKey(page), JSON.stringify(list));
  } catch {
    /* private mode: the link shows until the page closes */
  }
  return list;
}

function renderStaff(invite, list = null) {
  if (list) invite.staff = list;
  else if (!invite.staff.length) invite.staff = savedStaff(invite.page);
  reconcile($("#staff-list"), invite.staff, (s) => s.link,
    (s) => {
      const copyBtn = h("button", { class: "btn btn-small btn-secondary", type: "button" }, t("common.copy"));
      copyBtn.addEventListener("click", () => copy(s.link, copyBtn));
      return h("li", {}, h("p", {}, h("strong", { class: "staff-name" }), h("span", { class: "staff-role" })),
        h("p", { class: "link-out" }, s.link), copyBtn);
    },
    (li, s) => {
      setText($(".staff-name", li), s.name);
      setText($(".staff-role", li), ` (${t(`role.${s.role}`)})`);
      const b = $("button", li);
      if (b.textContent !== t("common.copied")) b.textContent = t("common.copy");
      named(b, `${s.name} (${t(`role.${s.role}`)})`);
    });
}

// ---- issue 16: the hall screen's link --------------------------------------

/**
 * The hall screen's link (POST /api/rooms/{id}/screen: an observer's token, never
 * the moderator's), made once and kept for this tab like the staff links.
 */
const screenKey = (page) => `yishi.screen:${page.roomId}:${fingerprint(page.token)}`;

async function screenLink(page) {
  try {
    const kept = sessionStorage.getItem(screenKey(page));
    if (kept) return kept;
  } catch {
    /* storage blocked: a new link each time */
  }
  const r = await api(`/api/rooms/${encodeURIComponent(page.roomId)}/screen`, { method: "POST", token: page.token, body: {} });
  try {
    sessionStorage.setItem(screenKey(page), r.url);
  } catch {
    /* kept for this page only */
  }
  return r.url;
}

function wireHall(page) {
  const open = $("#screen-open");
  open.addEventListener("click", () => {
    // Opened inside the click (popup blockers), pointed at the link once it is made.
    const win = window.open("", "_blank");
    act(open, t("hall.open"), async () => {
      try {
        const url = await screenLink(page);
        if (win) {
          win.opener = null;
          win.location.href = url;
        } else {
          location.assign(url);
        }
      } catch (err) {
        if (win) win.close();
        throw err;
      }
    });
  });
  const copyBtn = $("#screen-copy");
  copyBtn.addEventListener("click", () => act(copyBtn, t("hall.copy"), async () => copy(await screenLink(page), copyBtn)));
}

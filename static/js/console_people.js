// The console's people: who is here (online, in the hall, muted), the hands a
// clerk raises for people in the hall, muting and removing, names that appear
// twice, and the attendees added who have no phone.

import { $, h, reconcile, setText, show } from "./dom.js";
import { lang, shownName, t } from "./i18n.js";
import { stanceLabel } from "./ui.js";
import { STANCES, timeOfDay } from "./util.js";
import { cmdButton, named, onSubmit } from "./console_tools.js";

/**
 * Wire the offline-attendee form; `page` is the console (client, send), `record`
 * the draft minutes' copy (console_record.js). Returns the people's renderer.
 */
export function mountPeople(page, record) {
  onSubmit($("#offline-form"), () => t("mod.offline_add"), async () => {
    const name = $("#offline-name").value.trim();
    if (!name) return $("#offline-name").focus();
    await page.send("offline.add", { name });
    $("#offline-name").value = "";
  });
  return {
    render: (state, role, me) => {
      const dupIds = renderDuplicates(state);
      renderPeople(page, record, dupIds, state, role, me);
    },
  };
}

/** Names that appear more than once among the people who may vote (case and spaces ignored). */
function duplicateNames(state) {
  const groups = new Map();
  for (const p of state.participants) {
    if (p.removed || (p.role && p.role !== "participant")) continue;
    const key = (p.name || "").normalize("NFKC").replace(/\s+/g, "").toLowerCase();
    if (!key) continue;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(p);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

/** The warning about names that appear twice; returns the participants who share one. */
function renderDuplicates(state) {
  const dups = duplicateNames(state);
  const names = dups.map((g) => t("con.dup_name", { name: g[0].name, n: g.length })).join(lang() === "zh" ? "、" : ", ");
  setText($("#dup-names"), dups.length ? t("con.dup_names", { names }) : "");
  show($("#dup-names"), dups.length > 0 && (state.you.role || "moderator") === "moderator");
  return new Set(dups.flat().map((p) => p.participant_id));
}

function renderPeople(page, record, dupIds, state, role, me) {
  const { client, send } = page;
  const people = state.participants.filter((p) => !p.removed && p.participant_id !== me);
  if (role === "clerk") {
    // A clerk's snapshot names only the people everyone hears of: the residents the
    // record knows are added, so 参会人员 counts the people 出席核对 lists.
    const listed = new Set(people.map((p) => p.participant_id));
    for (const a of record.attendanceOf(state)) {
      if (!listed.has(a.participant_id)) people.push({ ...a, role: "participant", online: a.mode === "online", in_hall: a.mode === "hall" });
    }
  }
  const online = people.filter((p) => p.online).length;
  const inHall = people.filter((p) => p.in_hall).length;
  setText($("#people-count"), t("mod.people_count", { n: people.length, online, hall: inHall }));
  reconcile($("#people-list"), people, (p) => p.participant_id,
    () => h("li", {}, h("span", { class: "who" }), h("span", { class: "ctl qextra" })),
    (li, p) => {
      const bits = [shownName(p.name)];
      // Her role after her name, unless it is her name ("主持人", the default), said once.
      if (p.role && p.role !== "participant" && shownName(p.name) !== t(`role.${p.role}`)) bits.push(`· ${t(`role.${p.role}`)}`);
      const where = p.in_hall ? t("mod.in_hall") : p.online ? t("mod.online") : t("mod.offline");
      const muted = p.muted_until && p.muted_until > client.now() ? ` · ${t("mod.muted_until", { time: timeOfDay(p.muted_until, lang()) })}` : "";
      const dup = dupIds.has(p.participant_id) ? ` · ⚠ ${t("con.dup_tag")}` : "";
      setText($(".who", li), `${bits.join(" ")} · ${where}${muted}${dup}`);
      li.classList.toggle("dup", dupIds.has(p.participant_id));
      const ctl = $(".ctl", li);
      const waiting = STANCES.some((s) => state.queue[s].some((e) => e.participant_id === p.participant_id));
      const ended = state.room.status === "ended";
      const sig = `${lang()}|${role}|${p.in_hall}|${waiting}|${p.role}|${Boolean(muted)}|${ended}`;
      if (ctl.dataset.sig === sig) return;
      ctl.dataset.sig = sig;
      if (ended) return ctl.replaceChildren();
      ctl.replaceChildren(...personControls(send, p, role, waiting, Boolean(muted)));
    });
}

/** A clerk's hands for someone in the hall; a moderator's mute and remove. */
function personControls(send, p, role, waiting, muted) {
  const controls = [];
  if (p.in_hall && p.role === "participant") {
    for (const s of STANCES) {
      const b = cmdButton(send, stanceLabel(s), "hand.raise", { stance: s, on_behalf_of: p.participant_id });
      named(b, p.name);
      controls.push(b);
    }
    if (waiting) {
      const b = cmdButton(send, t("mod.lower_for_short"), "hand.lower", { on_behalf_of: p.participant_id });
      named(b, p.name);
      controls.push(b);
    }
  }
  if (role === "moderator" && p.role === "participant") {
    const mute = muted
      ? cmdButton(send, t("mod.unmute"), "participant.mute", { participant_id: p.participant_id, seconds: 0 })
      : cmdButton(send, t("mod.mute"), "participant.mute", { participant_id: p.participant_id, seconds: 600 });
    named(mute, p.name);
    const remove = cmdButton(send, t("mod.remove"), "participant.remove", { participant_id: p.participant_id },
      { cls: "btn btn-small btn-danger", confirm: t("common.confirm_remove", { name: p.name }) });
    named(remove, p.name);
    controls.push(mute, remove);
  }
  return controls;
}

// Small pure helpers shared by the pages.

/** A random id usable outside secure contexts (crypto.randomUUID needs https). */
export function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** 83000 -> "1:23"; negative values clamp to 0. */
export function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

export function timeOfDay(ms, lang) {
  if (!ms) return "";
  return new Date(ms).toLocaleTimeString(lang === "en" ? "en-GB" : "zh-CN", {
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function dateOf(value, lang) {
  if (!value) return "";
  const d = typeof value === "number" ? new Date(value) : new Date(String(value));
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleDateString(lang === "en" ? "en-GB" : "zh-CN", {
    year: "numeric",
    month: "long",
    day: "numeric",
  });
}

/** The room id from /r/{id}, /r/{id}/minutes or /m/{id}. */
export function roomIdFromPath(path = location.pathname) {
  const m = path.match(/^\/(?:r|m)\/([^/]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

export function tokenFromHash(hash = location.hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  return params.get("token") || "";
}

/**
 * The page's token, taken out of the address bar: a moderator console is
 * projected in halls, and a token on the wall is a key for anyone who reads
 * it. Kept for this tab only (a reload still works), under the page's path.
 */
export function takeToken() {
  const key = `yishi.token:${location.pathname}`;
  const fromHash = tokenFromHash();
  if (fromHash) {
    try { sessionStorage.setItem(key, fromHash); } catch { /* private mode: keep it in memory */ }
    history.replaceState(null, "", location.pathname + location.search);
    return fromHash;
  }
  try { return sessionStorage.getItem(key) || ""; } catch { return ""; }
}

export const STANCES = Object.freeze(["support", "oppose", "neutral"]);

/** Read a JSON body from a fetch Response; errors as {code, message, status}. */
export async function readJson(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) {
    const err = (body && body.error) || {};
    throw { code: err.code || httpCode(res.status), message: err.message || "", status: res.status };
  }
  return body;
}

function httpCode(status) {
  return (
    { 400: "bad_command", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
      413: "too_large", 429: "rate_limited", 503: "unavailable" }[status] || "unavailable"
  );
}

export async function api(path, { method = "GET", token = "", body } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw { code: "offline", message: "", status: 0 };
  }
  return readJson(res);
}

/**
 * A room's invite QR code as a data: URL, or null when the room has none to show.
 * It needs the token (it lets anyone in), so it cannot be a plain <img src>; the
 * pages' policy allows data: images, and an SVG shown as an image runs no script.
 * Rejects when offline.
 */
export async function roomQrDataUrl(roomId, token) {
  const res = await fetch(`/api/rooms/${encodeURIComponent(roomId)}/qr.svg`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!res.ok || !(res.headers.get("content-type") || "").startsWith("image/svg+xml")) return null;
  const blob = await res.blob();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(new Blob([blob], { type: "image/svg+xml" }));
  });
}

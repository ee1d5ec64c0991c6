// This browser's device secret, shared by every page that binds something to
// a device: a personal invite code (room page), a co-sign or a rating of a
// community topic (community page). One secret per browser, so a co-sign and a
// join from the same phone are the same device.

const KEY = "yishi.device";

/** Made once, kept in localStorage. The server keeps only a keyed hash of it. */
export function deviceSecret() {
  let secret = null;
  try { secret = localStorage.getItem(KEY); } catch (_) { /* private mode: one per page */ }
  if (!secret || secret.length < 16) {
    const bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    secret = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    try { localStorage.setItem(KEY, secret); } catch (_) { /* kept for this page only */ }
  }
  return secret;
}

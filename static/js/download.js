// Saving an export under the name the server gives it: the room's title and
// the session's date (server/minutes/filename.py), e.g.
// 加装电梯议事会-2026-11-30.docx. A download fetched with a token (a draft)
// arrives as a blob, whose name the page must give itself: it reads the
// response's Content-Disposition (filename* in UTF-8 first, RFC 5987).

import { h } from "./dom.js";

/** The file name a response asks to be saved under, or `fallback`. */
export function nameOf(res, fallback) {
  const header = (res && res.headers && res.headers.get("content-disposition")) || "";
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      /* badly encoded: try the plain name */
    }
  }
  const plain = /filename\s*=\s*"([^"]+)"/i.exec(header);
  return plain ? plain[1] : fallback;
}

/** The name the server would give: `{title}-{date}.{fmt}`, the title made safe as a file name. */
export function fileName(title, date, fmt) {
  const safe = String(title || "").replace(/[\\/:*?"<>|\u0000-\u001f\u007f]+/g, "_").replace(/\s+/g, " ")
    .replace(/^[ ._]+|[ ._]+$/g, "").slice(0, 60).replace(/[ ._]+$/g, "");
  return `${safe || "minutes"}${date ? `-${date}` : ""}.${fmt}`;
}

/** Save a fetched response as a file, under its own name. */
export async function saveResponse(res, fallback) {
  const url = URL.createObjectURL(await res.blob());
  const a = h("a", { href: url, download: nameOf(res, fallback) });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

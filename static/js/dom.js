// Tiny DOM helpers: element creation, text updates that do not disturb live
// regions, and keyed list reconciliation that keeps focus and form state.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** h("button", {class: "btn", onclick: fn}, "text", child...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Set text only when it changes: rewriting a live region re-announces it. */
export function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

export function show(el, visible) {
  if (el) el.hidden = !visible;
}

/**
 * Make `container`'s children match `items`, reusing the node of each key.
 * create(item) -> Node; update(node, item) refreshes it. Nodes that keep their
 * key are moved, never rebuilt, so a focused button inside stays focused.
 */
export function reconcile(container, items, key, create, update) {
  const old = new Map();
  for (const child of Array.from(container.children)) {
    if (child.dataset.key !== undefined) old.set(child.dataset.key, child);
  }
  let cursor = container.firstElementChild;
  const keep = new Set();
  for (const item of items) {
    const k = String(key(item));
    let node = old.get(k);
    if (!node) {
      node = create(item);
      node.dataset.key = k;
    }
    if (update) update(node, item);
    keep.add(node);
    if (node !== cursor) container.insertBefore(node, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const child of Array.from(container.children)) {
    if (!keep.has(child)) child.remove();
  }
}

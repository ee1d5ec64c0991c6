// What she wrote for her statement, kept until it is posted or she lets it go:
// a turn that ends while she types (time up, or the moderator ends it) must
// not take her words with it, nor must a reload. One draft per room, in
// localStorage: {text, kept}; `kept` once she chose to keep it for her next
// turn (the page then stops asking what to do with it).

export class Draft {
  constructor(roomId) {
    this.key = `yishi.draft.${roomId}`;
    this.value = this._load();
  }

  get text() {
    return this.value.text;
  }

  get kept() {
    return this.value.kept;
  }

  /** She typed: a changed text is a fresh draft, not yet kept. */
  write(text) {
    if (text === this.value.text) return;
    this.value = { text, kept: false };
    this._save();
  }

  keep() {
    this.value = { ...this.value, kept: true };
    this._save();
  }

  clear() {
    this.value = { text: "", kept: false };
    this._save();
  }

  _load() {
    try {
      const v = JSON.parse(localStorage.getItem(this.key) || "null");
      if (v && typeof v.text === "string") return { text: v.text, kept: Boolean(v.kept) };
    } catch {
      /* unreadable: start empty */
    }
    return { text: "", kept: false };
  }

  _save() {
    try {
      if (this.value.text) localStorage.setItem(this.key, JSON.stringify(this.value));
      else localStorage.removeItem(this.key);
    } catch {
      /* private mode: the draft lives in the text box only */
    }
  }
}

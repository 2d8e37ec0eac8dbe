// @ts-check
// Membership cross-check (spec/peer-messages.md §4): each client compares its own room view
// (every member's peer id and key fingerprint, itself included, as the gateway showed them) with
// the latest view each peer sent over its peer channel, once both have been stable for
// `stableMs` (3 s: no join or leave seen by either). A difference means the gateway shows
// different members to different people.
//
// Pure logic with an explicit clock, so the stability window can be tested without waiting:
// the session feeds it views and times, calls evaluate() at nextCheckAt(), and turns the
// returned mismatches into 'view-mismatch' events.

export const VIEW_STABLE_MS = 3000;

/** A view as a sorted, duplicate-free list of "id:fp" strings (order-independent comparison). */
/** @typedef {{id: string, fp: string}} ViewMember */

/** @param {ViewMember[]} members @returns {string[]} */
function canonical(members) {
  return [...new Set(members.map((m) => `${m.id}:${m.fp}`))].sort();
}

/** @param {string[]} a @param {string[]} b */
function sameList(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const entry = (/** @type {string} */ s) => ({
  id: s.slice(0, s.indexOf(':')),
  fp: s.slice(s.indexOf(':') + 1),
});

/** Sorted by id, as spec/peer-messages.md §2 sends them. @param {ViewMember[]} members */
export function sortView(members) {
  return [...members].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : a.fp < b.fp ? -1 : a.fp > b.fp ? 1 : 0,
  );
}

export class MembershipCheck {
  #stableMs;
  /** @type {{list: string[], changedAt: number} | null} null while not joined */
  #mine = null;
  #theirs = new Map(); // peer key -> { list, changedAt, verdict: null | 'match' | 'mismatch' }

  constructor({ stableMs = VIEW_STABLE_MS } = {}) {
    this.#stableMs = stableMs;
  }

  /** Our own view changed (or was first set) at `now`. Returns true if it differs from the last one. */
  /** @param {ViewMember[]} members @param {number} now */
  setMine(members, now) {
    const list = canonical(members);
    if (this.#mine !== null && sameList(this.#mine.list, list)) return false;
    this.#mine = { list, changedAt: now };
    for (const t of this.#theirs.values()) t.verdict = null; // compare again once stable
    return true;
  }

  /** Not joined (reconnecting, left): nothing to compare until setMine() again. */
  clearMine() {
    this.#mine = null;
    for (const t of this.#theirs.values()) t.verdict = null;
  }

  /** Peer `key` sent `members` at `now`. A view equal to its previous one changes nothing. */
  /** @param {string} key @param {ViewMember[]} members @param {number} now */
  setTheirs(key, members, now) {
    const list = canonical(members);
    const old = this.#theirs.get(key);
    if (old !== undefined && sameList(old.list, list)) return false;
    this.#theirs.set(key, { list, changedAt: now, verdict: null });
    return true;
  }

  /** The peer's channel ended: its view is no longer current. */
  /** @param {string} key */
  removePeer(key) {
    this.#theirs.delete(key);
  }

  /**
   * Compares every pair that is stable at `now` and has not been compared since its last change.
   * Returns the new mismatches: [{ key, mine, theirs, onlyMine, onlyTheirs }] (lists of {id, fp}).
   * A mismatch is reported once; it is reported again only after either view changes.
   */
  /** @param {number} now @returns {{key: string, mine: ViewMember[], theirs: ViewMember[], onlyMine: ViewMember[], onlyTheirs: ViewMember[]}[]} */
  evaluate(now) {
    /** @type {ReturnType<MembershipCheck['evaluate']>} */
    const out = [];
    if (this.#mine === null) return out;
    for (const [key, t] of this.#theirs) {
      if (t.verdict !== null) continue;
      if (now < Math.max(this.#mine.changedAt, t.changedAt) + this.#stableMs) continue;
      if (sameList(this.#mine.list, t.list)) {
        t.verdict = 'match';
        continue;
      }
      t.verdict = 'mismatch';
      const mineSet = new Set(this.#mine.list);
      const theirSet = new Set(t.list);
      out.push({
        key,
        mine: this.#mine.list.map(entry),
        theirs: t.list.map(entry),
        onlyMine: this.#mine.list.filter((x) => !theirSet.has(x)).map(entry),
        onlyTheirs: t.list.filter((/** @type {string} */ x) => !mineSet.has(x)).map(entry),
      });
    }
    return out;
  }

  /** The earliest time at which evaluate() has something new to compare, or null. */
  nextCheckAt() {
    if (this.#mine === null) return null;
    let next = null;
    for (const t of this.#theirs.values()) {
      if (t.verdict !== null) continue;
      const at = Math.max(this.#mine.changedAt, t.changedAt) + this.#stableMs;
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /** 'match', 'mismatch' or null (not compared yet) for peer `key`. */
  /** @param {string} key */
  verdict(key) {
    return this.#theirs.get(key)?.verdict ?? null;
  }
}

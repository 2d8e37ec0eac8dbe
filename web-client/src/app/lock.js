// @ts-check
// The room lock as one member's client holds it (spec/peer-messages.md §8.2): the lock state,
// merged last-writer-wins by (ts, by); the members this client knows; the newcomers it holds
// while the room is locked; and the members that hold this client (it is then the newcomer,
// "waiting to be let in"). Plain state, no I/O: roomControl.js sends and receives the messages.
//
// Why the members enforce it: the gateway seats whoever asks (it cannot tell a newcomer from a
// member, and must not be trusted to). Each member's client decides for itself whom it gives the
// call to: a held newcomer gets no SFrame key, no SDP, no chat and none of the pad or files.

/** @typedef {{locked: boolean, ts: number, by: string}} LockState */

/** A lock state stamped further ahead of our clock than this is ignored (spec/peer-messages.md §8.2). */
export const LOCK_MAX_AHEAD_MS = 10 * 60_000;

export class RoomLock {
  /** @type {LockState} the latest lock state seen (ts 0: never set) */
  state = { locked: false, ts: 0, by: '' };
  /** Members: key fingerprints we had the call with, or that held us (they are in the room). */
  known = new Set();
  /** Newcomers some member let in while the room was locked. */
  admitted = new Set();
  /** Newcomers we hold: their channel is up, we give them nothing of the call. */
  held = new Set();
  /** Members that hold us (we are the newcomer): until each lets us in. */
  waitingFor = new Set();

  /**
   * Whether a peer whose channel just came up is to be held: the room is locked and it is
   * neither a member (same key as before: a reconnection) nor admitted. @param {string} fp
   */
  shouldHold(fp) {
    return this.state.locked && !this.known.has(fp) && !this.admitted.has(fp);
  }

  /** Whether `fp` gets nothing of the call from us, or we nothing from it. @param {string} fp */
  blocked(fp) {
    return this.held.has(fp) || this.waitingFor.has(fp);
  }

  /**
   * Our own lock or unlock: a state that supersedes every one seen (ts above the current one,
   * even with a clock behind). @param {boolean} locked @param {string} by our key fp @param {number} now
   * @returns {LockState}
   */
  set(locked, by, now) {
    this.state = { locked, ts: Math.max(now, this.state.ts + 1), by };
    return this.state;
  }

  /**
   * A lock state from a member: taken if it is later (greater ts, then greater `by` as a tie
   * break, so every member ends on the same state whatever the order). Returns whether it was.
   * One stamped over LOCK_MAX_AHEAD_MS ahead of `now` is ignored: it would win every later change
   * until then. @param {LockState} s @param {number} now our clock (ms since 1970)
   */
  merge(s, now) {
    const cur = this.state;
    if (s.ts > now + LOCK_MAX_AHEAD_MS) return false;
    if (s.ts < cur.ts || (s.ts === cur.ts && s.by <= cur.by)) return false;
    this.state = { locked: s.locked, ts: s.ts, by: s.by };
    return true;
  }

  /** A peer is gone for good: nothing of it stays but whether it was a member. @param {string} fp */
  forget(fp) {
    this.held.delete(fp);
    this.waitingFor.delete(fp);
  }
}

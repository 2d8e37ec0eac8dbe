// @ts-check
// The room as the gateway shows it to us (JOINED, PEER_JOINED, PEER_LEFT) and the membership
// cross-check of spec/peer-messages.md §4: our view goes to every peer in a `view` message when
// it changes; theirs come back; a difference that outlasts the stability window is reported.
// The comparison itself is membership.js (pure, with an explicit clock); this file holds the
// members, the timer and the sending.

import { MembershipCheck, sortView } from './membership.js';
import { encodePeerMessage } from './peerMessages.js';

/**
 * @typedef {{id: string, fp: string}} ViewMember one member: hex peer id, hex key fingerprint
 * @typedef {{key: string, mine: ViewMember[], theirs: ViewMember[], onlyMine: ViewMember[], onlyTheirs: ViewMember[]}} Mismatch
 */

export class RoomView {
  /** @type {Map<string, string>} id hex -> key fp hex: the gateway's view, self included */
  #members = new Map();
  #check;
  #now;
  #onMismatch;
  #sendToAll;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer = undefined;
  #closed = false;

  /**
   * @param {object} o
   * @param {number} o.stableMs how long a difference must last before it is reported
   * @param {() => number} o.now the session clock (ms)
   * @param {(m: Mismatch) => void} o.onMismatch a lasting difference with the peer whose key fp is m.key
   * @param {(bytes: Uint8Array) => void} o.sendToAll one `view` record to every established channel
   */
  constructor({ stableMs, now, onMismatch, sendToAll }) {
    this.#check = new MembershipCheck({ stableMs });
    this.#now = now;
    this.#onMismatch = onMismatch;
    this.#sendToAll = sendToAll;
  }

  /** @param {string} idHex */
  has(idHex) {
    return this.#members.has(idHex);
  }

  /** @param {string} idHex @param {string} fp */
  set(idHex, fp) {
    this.#members.set(idHex, fp);
  }

  /** @param {string} idHex */
  delete(idHex) {
    this.#members.delete(idHex);
  }

  /** No view until the next JOINED (our connection is gone, or JOINED replaces it). */
  clear() {
    this.#members.clear();
    this.#check.clearMine();
  }

  /**
   * Our connection is gone: no view until the next JOINED, and the peers whose channels carry on
   * peer to peer are told so with an empty `view` (spec/peer-messages.md §4), so that none of
   * them compares its view with the one we had before (a false mismatch after every outage).
   */
  lost() {
    this.clear();
    this.#sendToAll(encodePeerMessage({ t: 'view', members: [] }));
  }

  /** Our view as sent in `view` messages: [{id, fp}] sorted by id. */
  members() {
    return sortView([...this.#members].map(([id, fp]) => ({ id, fp })));
  }

  /** After a change of the members: sends the new view to every peer and re-arms the check. */
  changed() {
    const members = this.members();
    if (!this.#check.setMine(members, this.#now())) return;
    this.#sendToAll(encodePeerMessage({ t: 'view', members }));
    this.#schedule();
  }

  /**
   * A `view` from the peer with key fp `keyFp`; an empty one: the peer is not joined (its view
   * always lists itself once it is), so there is nothing to compare until its next.
   * @param {string} keyFp @param {ViewMember[]} members
   */
  setTheirs(keyFp, members) {
    if (members.length === 0) this.#check.removePeer(keyFp);
    else if (this.#check.setTheirs(keyFp, members, this.#now())) this.#schedule();
  }

  /** The peer's view no longer counts (it left, failed, or its channel is being replaced). @param {string} keyFp */
  removePeer(keyFp) {
    this.#check.removePeer(keyFp);
  }

  /** The session ended: no more checks. */
  close() {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule() {
    clearTimeout(this.#timer);
    const at = this.#check.nextCheckAt();
    if (at === null || this.#closed) return;
    this.#timer = setTimeout(
      () => {
        for (const m of this.#check.evaluate(this.#now())) this.#onMismatch(m);
        this.#schedule();
      },
      Math.max(0, Math.ceil(at - this.#now())),
    );
  }
}

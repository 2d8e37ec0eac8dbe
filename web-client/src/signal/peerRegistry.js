// @ts-check
// Who the session knows: one PeerEntry per remote per-session key (peerState.js), found by key
// fingerprint and by current peer id (of its channel or of a second seat's handshake). Gone
// peers are kept for a while, so that one that comes back is the same Peer
// (spec/peer-messages.md §5); the oldest are forgotten first.

import { PeerEntry, PeerPhase } from './peerState.js';

/** @typedef {import('./peerState.js').Peer} Peer */

/** Gone peers kept for recognition by key fingerprint (a peer that comes back is the same Peer). */
const MAX_GONE_PEERS = 32;

export class PeerRegistry {
  /** @type {Map<string, PeerEntry>} key fp hex -> entry */
  #entries = new Map();
  /** @type {Map<string, PeerEntry>} current id hex (of its channel or candidate) -> entry */
  #byId = new Map();
  /** @type {Map<string, Peer>} key fp hex -> Peer: the app's view of #entries */
  #peers = new Map();

  /** Every peer seen in this call, including failed and gone ones (the app's map). */
  get peers() {
    return this.#peers;
  }

  /** @param {string} fp */
  get(fp) {
    return this.#entries.get(fp);
  }

  values() {
    return this.#entries.values();
  }

  /** The entry of key `fp`, made (and the oldest gone peers pruned) if new. @param {string} fp */
  entryFor(fp) {
    let entry = this.#entries.get(fp);
    if (entry === undefined) {
      entry = new PeerEntry(fp);
      this.#entries.set(fp, entry);
      this.#peers.set(fp, entry.peer);
      this.pruneGone();
    }
    return entry;
  }

  pruneGone() {
    const gone = [...this.#entries.values()]
      .filter((e) => e.phase === PeerPhase.GONE)
      .sort((a, b) => a.goneAt - b.goneAt);
    for (const e of gone.slice(0, Math.max(0, gone.length - MAX_GONE_PEERS))) this.forget(e);
  }

  /** @param {PeerEntry} entry */
  forget(entry) {
    this.#entries.delete(entry.peer.keyFp);
    this.#peers.delete(entry.peer.keyFp);
  }

  /** @param {string} idHex */
  byId(idHex) {
    return this.#byId.get(idHex);
  }

  /** @param {string} idHex @param {PeerEntry} entry */
  setId(idHex, entry) {
    this.#byId.set(idHex, entry);
  }

  /** @param {string} idHex */
  deleteId(idHex) {
    this.#byId.delete(idHex);
  }

  clearIds() {
    this.#byId.clear();
  }

  /** `idHex` becomes the entry's id (its previous id no longer finds it). @param {PeerEntry} entry @param {string} idHex */
  bindId(entry, idHex) {
    const old = entry.peer.id;
    if (old !== null && this.#byId.get(old) === entry) this.#byId.delete(old);
    this.#byId.set(idHex, entry);
  }
}

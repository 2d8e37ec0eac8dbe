// @ts-check
// The Live Code pad of a call (spec/live-code.md): one Yjs document (Y.Text 'code', Y.Map 'meta'
// with the language) shared by every member over the peer channels, never over Yjs' own
// networking. Independent of the DOM (liveDocView.js is the editor); unit-tested in Node.
//
// - Local edits are batched per peer (Y.mergeUpdates) and sent at most every FLUSH_MS as `doc` (or
//   `doc-part`s for an update over one record). Over the gateway relay all peers together get at
//   most RELAY_RATE doc records a second, so typing stays inside the gateway's rate limit.
// - On every peer-up (first join, late joiner, rejoin after a gateway outage) both sides send
//   `doc-sync` with their state vector and answer the other's with what it lacks: an edit made
//   while a peer was unreachable reaches it when its channel is back.
// - A peer's update is applied to a shadow copy first; only if that works and stays within the
//   limits does it reach the document. Anything refused is counted and reported ('problem').
// - `doc-have` (our state vector, after we applied a peer's edits) tells the peer what we have,
//   so the pad can say who has all of our edits, and who left before getting them.
//
// Events: 'cursors' {} (remote cursors changed), 'status' {} (sync states or counters changed),
//         'problem' {code, keyFp, message} (a refusal, or edits a peer left without).

import * as Y from 'yjs';
import { UpdateGuard } from './liveDocGuard.js';
import { base64UrlEncode } from '../protocol/bytes.js';
import { newChatId } from '../signal/peerMessages.js';
import {
  DOC_TYPES,
  LiveDocLimits,
  PadPeer,
  TokenBucket,
  parseDocMessage,
  splitUpdate,
} from './liveDocWire.js';

const REMOTE = Symbol('remote'); // transaction origin of a peer's update

/**
 * @typedef {import('./liveDocWire.js').DocMessage} DocMessage
 * @typedef {{name: string, color: number, anchor: Y.RelativePosition, head: Y.RelativePosition}} RemoteCursor
 * @typedef {{keyFp: string, name: string, up: boolean, synced: boolean}} PeerSync
 */

/** A colour index 0..7 for a key fingerprint (the same on every page). @param {string} keyFp */
export const colorOf = (keyFp) => parseInt(keyFp.slice(0, 2), 16) % 8;

export class LiveDoc extends EventTarget {
  #send;
  #direct;
  #flushMs;
  #now;
  /** @type {Map<string, PadPeer>} */
  #peers = new Map();
  #relay;
  #flushTimer = /** @type {any} */ (null);
  #lastFlush = -Infinity;
  /** @type {{a: Uint8Array, h: Uint8Array} | null} */
  #selection = null;
  #guard;

  /**
   * @param {object} o
   * @param {(keyFp: string, msg: DocMessage) => boolean} o.send a message into the peer's channel; false if none is open
   * @param {(keyFp: string) => boolean} [o.direct] whether our records to it go on the data channel (no relay budget)
   * @param {number} [o.flushMs] LiveDocLimits.FLUSH_MS
   * @param {() => number} [o.now] ms clock (tests)
   */
  constructor({ send, direct = () => false, flushMs = LiveDocLimits.FLUSH_MS, now }) {
    super();
    this.#send = send;
    this.#direct = direct;
    this.#flushMs = flushMs;
    this.#now = now ?? (() => performance.now());
    this.#relay = new TokenBucket(LiveDocLimits.RELAY_RATE, this.#now);
    this.doc = new Y.Doc();
    this.text = this.doc.getText('code');
    this.meta = this.doc.getMap('meta');
    this.#guard = new UpdateGuard(this.doc);
    /** @type {Map<string, RemoteCursor>} keyFp -> its cursor */
    this.cursors = new Map();
    this.stats = {
      sent: { doc: 0, parts: 0, sync: 0, have: 0, aware: 0 },
      received: { doc: 0, parts: 0, sync: 0, have: 0, aware: 0 },
      /** refusals by reason: malformed (bad message or update), oversized, rate, parts, cap, unsent */
      refused: { malformed: 0, oversized: 0, rate: 0, parts: 0, cap: 0, unsent: 0 },
      /** @type {{keyFp: string | null, name: string | null, reason: string, message: string} | null} */
      lastProblem: null,
    };
    this.doc.on('update', (/** @type {Uint8Array} */ u, /** @type {unknown} */ origin) => {
      if (origin === REMOTE) return; // already in the shadow; peers send their own edits
      this.#guard.local(u);
      for (const p of this.#peers.values()) if (p.up) p.pending.push(u);
      this.#schedule();
      this.#emit('status');
    });
  }

  /** @param {string} type @param {object} [detail] */
  #emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Whether `t` is one of ours. @param {unknown} t */
  static handles(t) {
    return typeof t === 'string' && DOC_TYPES.has(t);
  }

  /** The language of the pad (shared), e.g. 'javascript'; '' for plain text. */
  get language() {
    const l = this.meta.get('lang');
    return typeof l === 'string' ? l : '';
  }

  /** @param {string} lang */
  setLanguage(lang) {
    if (lang !== this.language) this.meta.set('lang', lang);
  }

  /** Our clock in our own state vector: how many of our edits (items) there are. */
  get #ownClock() {
    return Y.getState(this.doc.store, this.doc.clientID);
  }

  /** @param {string} keyFp */
  #peer(keyFp) {
    let p = this.#peers.get(keyFp);
    if (p === undefined) this.#peers.set(keyFp, (p = new PadPeer(keyFp.slice(0, 8), this.#now)));
    return p;
  }

  /** The sync state of every peer we know: up, and whether it has all of our edits. @returns {PeerSync[]} */
  syncStates() {
    const own = this.#ownClock;
    return [...this.#peers].map(([keyFp, p]) => ({
      keyFp,
      name: p.name,
      up: p.up,
      synced: (p.has.get(this.doc.clientID) ?? 0) >= own,
    }));
  }

  /**
   * A peer's channel is up (first time, or again after a reconnection): exchange state vectors.
   * @param {string} keyFp @param {string | null} name
   */
  peerUp(keyFp, name) {
    const p = this.#peer(keyFp);
    if (name) p.name = name;
    p.up = true;
    p.pending = []; // the sync below brings it everything
    p.asm.reset(); // parts on a replaced channel are gone with it
    this.#sendSv(keyFp, 'doc-sync');
    p.cursorDue = true;
    this.#schedule();
    this.#emit('status');
  }

  /**
   * A peer's channel is down: `gone` (left, bye, failed) or reconnecting. A peer that is gone
   * without all of our edits is reported; one reconnecting gets them on its next peer-up.
   * @param {string} keyFp @param {boolean} gone
   */
  peerDown(keyFp, gone) {
    const p = this.#peers.get(keyFp);
    if (p === undefined) return;
    p.down();
    if (this.cursors.delete(keyFp)) this.#emit('cursors');
    if (gone) {
      if ((p.has.get(this.doc.clientID) ?? 0) < this.#ownClock)
        this.#problem(keyFp, 'unsent', `${p.name} left before getting all of your edits`);
      this.#peers.delete(keyFp);
    }
    this.#emit('status');
  }

  /** One message; over the relay it always goes, and leaves the budget in debt if need be. @param {string} keyFp @param {DocMessage} msg @param {keyof LiveDoc['stats']['sent']} kind */
  #out(keyFp, msg, kind) {
    if (!this.#direct(keyFp)) this.#relay.force(1);
    if (this.#send(keyFp, msg)) this.stats.sent[kind]++;
  }

  /** Our state vector, in a doc-sync (asks for what we lack) or a doc-have. @param {string} keyFp @param {'doc-sync' | 'doc-have'} t */
  #sendSv(keyFp, t) {
    this.#out(
      keyFp,
      { t, sv: base64UrlEncode(Y.encodeStateVector(this.doc)) },
      t === 'doc-sync' ? 'sync' : 'have',
    );
  }

  /**
   * Sends one update (split into parts if needed; the parts go together). With `sel` and an
   * update that fits one `doc`, the cursor goes in it: returns whether it did.
   * @param {string} keyFp @param {Uint8Array} update @param {{a: string, h: string} | null} [sel]
   */
  #sendUpdate(keyFp, update, sel) {
    let msgs;
    try {
      msgs = splitUpdate(update, newChatId);
    } catch (e) {
      this.#problem(keyFp, 'oversized', /** @type {Error} */ (e).message);
      return false;
    }
    // room for the cursor: 2 positions of at most 256 bytes in base64url, and their JSON
    const carried = sel !== undefined && update.length <= LiveDocLimits.PART_BYTES - 512;
    if (carried) msgs[0] = { t: 'doc', u: /** @type {{u: string}} */ (msgs[0]).u, sel };
    if (!this.#direct(keyFp)) this.#relay.force(msgs.length);
    for (const m of msgs) {
      if (!this.#send(keyFp, m)) return true; // the channel went: the next peer-up syncs
      this.stats.sent[m.t === 'doc' ? 'doc' : 'parts']++;
    }
    return carried;
  }

  /** A flush at once after a pause, else FLUSH_MS after the last one: the first key of a burst goes without waiting. */
  #schedule() {
    if (this.#flushTimer !== null) return;
    const wait = Math.max(0, this.#lastFlush + this.#flushMs - this.#now());
    this.#flushTimer = setTimeout(() => this.flush(), wait);
  }

  /** Sends what waits: batched edits and our cursor, to each peer the relay budget allows now. */
  flush() {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    this.#lastFlush = this.#now();
    let waiting = false;
    for (const [keyFp, p] of this.#peers) {
      if (!p.up || (p.pending.length === 0 && !p.cursorDue)) continue;
      if (!this.#direct(keyFp) && !this.#relay.ready) {
        waiting = true; // over the relay budget: it waits, and merges with what comes meanwhile
        continue;
      }
      const s = this.#selection;
      const sel = p.cursorDue
        ? s && { a: base64UrlEncode(s.a), h: base64UrlEncode(s.h) }
        : undefined;
      p.cursorDue = false;
      let update = null;
      if (p.pending.length > 0) {
        update = p.pending.length === 1 ? p.pending[0] : Y.mergeUpdates(p.pending);
        p.pending = [];
      }
      // The cursor rides on a single `doc` when there is one: one record per flush, not two.
      if (update === null || !this.#sendUpdate(keyFp, update, sel)) {
        if (sel !== undefined) this.#out(keyFp, { t: 'doc-aware', sel }, 'aware');
      }
    }
    if (waiting) {
      const wait = Math.max(this.#flushMs, this.#relay.waitMs);
      this.#flushTimer = setTimeout(() => this.flush(), wait);
    }
  }

  /**
   * Our cursor and selection as text indices (anchor, head), or null (none): sent to every peer
   * with the next flush. @param {number | null} anchor @param {number} [head]
   */
  setSelection(anchor, head = anchor ?? 0) {
    if (anchor === null) this.#selection = null;
    else {
      const rel = (/** @type {number} */ i) =>
        Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(this.text, i));
      this.#selection = { a: rel(anchor), h: rel(head) };
    }
    for (const p of this.#peers.values()) if (p.up) p.cursorDue = true;
    this.#schedule();
  }

  /**
   * A doc* message from a peer (checked here). Returns false for a refused message.
   * @param {string} keyFp @param {{t: string}} msg
   */
  onMessage(keyFp, msg) {
    const p = this.#peers.get(keyFp);
    // Before its peer-up or after it left: not ours to keep (its next peer-up syncs anyway).
    if (p === undefined || !p.up) return false;
    if (!p.bucket.tryTake()) {
      this.#refuse(
        keyFp,
        'rate',
        `more than ${LiveDocLimits.RECEIVE_RATE.perSecond} pad messages a second`,
      );
      return false;
    }
    const parsed = parseDocMessage(msg);
    if (parsed.problem !== undefined) {
      this.#refuse(
        keyFp,
        /^doc(-part)?\.u/.test(parsed.problem) ? 'oversized' : 'malformed',
        parsed.problem,
      );
      return false;
    }
    const input = parsed.input;
    switch (input.kind) {
      case 'update':
        this.stats.received.doc++;
        {
          // a cursor riding on the update is checked first: a bad one refuses the whole message
          const cursor = input.sel === undefined ? undefined : this.#decodeSel(keyFp, input.sel);
          if (cursor === false || !this.#applyRemote(keyFp, input.bytes)) return false;
          if (cursor !== undefined) this.#setCursor(keyFp, p.name, cursor);
          return true;
        }
      case 'part': {
        this.stats.received.parts++;
        const r = p.asm.add(input);
        if (r.problem !== undefined) this.#refuse(keyFp, 'parts', r.problem);
        if (r.done !== undefined) return this.#applyRemote(keyFp, r.done);
        return r.problem === undefined;
      }
      case 'sync': {
        this.stats.received.sync++;
        let diff;
        try {
          diff = Y.encodeStateAsUpdate(this.doc, input.sv);
        } catch {
          this.#refuse(keyFp, 'malformed', 'doc-sync.sv is not a state vector');
          return false;
        }
        this.#sendUpdate(keyFp, diff);
        return true;
      }
      case 'have': {
        this.stats.received.have++;
        try {
          p.has = Y.decodeStateVector(input.sv);
        } catch {
          this.#refuse(keyFp, 'malformed', 'doc-have.sv is not a state vector');
          return false;
        }
        this.#emit('status');
        return true;
      }
      case 'aware':
        this.stats.received.aware++;
        {
          const cursor = this.#decodeSel(keyFp, input.sel);
          if (cursor === false) return false;
          this.#setCursor(keyFp, p.name, cursor);
          return true;
        }
    }
  }

  /**
   * A cursor from the wire as relative positions (null: none), or false: refused.
   * @param {string} keyFp @param {{a: Uint8Array, h: Uint8Array} | null} sel
   * @returns {{anchor: Y.RelativePosition, head: Y.RelativePosition} | null | false}
   */
  #decodeSel(keyFp, sel) {
    if (sel === null) return null;
    try {
      return { anchor: Y.decodeRelativePosition(sel.a), head: Y.decodeRelativePosition(sel.h) };
    } catch {
      this.#refuse(keyFp, 'malformed', 'the cursor is not a pair of relative positions');
      return false;
    }
  }

  /** @param {string} keyFp @param {string} name @param {{anchor: Y.RelativePosition, head: Y.RelativePosition} | null} c */
  #setCursor(keyFp, name, c) {
    if (c === null) {
      if (!this.cursors.delete(keyFp)) return;
    } else this.cursors.set(keyFp, { name, color: colorOf(keyFp), ...c });
    this.#emit('cursors');
  }

  /**
   * A peer's update: into the shadow first; into the document only if that worked and the
   * result stays within the limits. @param {string} keyFp @param {Uint8Array} update
   */
  #applyRemote(keyFp, update) {
    if (update.length > LiveDocLimits.MAX_UPDATE_BYTES) {
      this.#refuse(keyFp, 'oversized', `an update of ${update.length} bytes`);
      return false;
    }
    const refusal = this.#guard.check(update);
    if (refusal !== null) {
      this.#refuse(keyFp, refusal.reason, refusal.message);
      return false;
    }
    Y.applyUpdate(this.doc, update, REMOTE);
    this.#ackTo(keyFp);
    this.#emit('status');
    return true;
  }

  /** Tells the peer what we have, once its updates pause (at most every 250 ms). @param {string} keyFp */
  #ackTo(keyFp) {
    const p = this.#peers.get(keyFp);
    if (p === undefined || p.haveTimer !== null) return;
    p.haveTimer = setTimeout(() => {
      p.haveTimer = null;
      if (p.up) this.#sendSv(keyFp, 'doc-have');
    }, 250);
  }

  /**
   * A refused message: counted and reported. An update refused may leave us without some of
   * the peer's edits, so we ask it again for what we lack (a `doc-sync`, at most every 2 s).
   * @param {string} keyFp @param {keyof LiveDoc['stats']['refused']} reason @param {string} message
   */
  #refuse(keyFp, reason, message) {
    this.#problem(keyFp, reason, message);
    const p = this.#peers.get(keyFp);
    if (p === undefined || p.resyncTimer !== null || reason === 'cap') return;
    p.resyncTimer = setTimeout(() => {
      p.resyncTimer = null;
      if (p.up) this.#sendSv(keyFp, 'doc-sync');
    }, 2000);
  }

  /** @param {string | null} keyFp @param {keyof LiveDoc['stats']['refused']} reason @param {string} message */
  #problem(keyFp, reason, message) {
    this.stats.refused[reason]++;
    const name = keyFp === null ? null : (this.#peers.get(keyFp)?.name ?? null);
    this.stats.lastProblem = { keyFp, name, reason, message };
    this.#emit('problem', { code: reason, keyFp, message });
    this.#emit('status');
  }

  /** The call ends: the document is gone with it. */
  close() {
    clearTimeout(this.#flushTimer);
    for (const p of this.#peers.values()) p.down();
    this.#peers.clear();
    this.cursors.clear();
    this.doc.destroy();
    this.#guard.close();
  }
}

// @ts-check
// The Live Code pad's peer messages (spec/live-code.md): their limits, the check of a received
// one, the splitting of a Yjs update too large for one record into `doc-part` messages, and the
// reassembly of those parts. Pure: no Y.Doc, no DOM, no timers (unit-tested in Node).

import { base64UrlDecode, base64UrlEncode } from '../protocol/bytes.js';

export const LiveDocLimits = Object.freeze({
  /** The pad's text: at most this many characters (UTF-16 code units, Y.Text length): 1 MiB. */
  MAX_TEXT: 1 << 20,
  /** A reassembled Yjs update (or a local state sent to a peer): at most 4 MiB. */
  MAX_UPDATE_BYTES: 4 << 20,
  /** Bytes of update in one `doc` or `doc-part` (16000 base64url characters, ≤ 16384 with JSON). */
  PART_BYTES: 12000,
  /** Parts of one update: ceil(MAX_UPDATE_BYTES / PART_BYTES). */
  MAX_PARTS: Math.ceil((4 << 20) / 12000),
  /** A state vector (`doc-sync`, `doc-have`): at most this many bytes (about 1000 clients). */
  MAX_SV_BYTES: 8192,
  /** A relative position of a cursor (`doc-aware`): at most this many bytes. */
  MAX_POS_BYTES: 256,
  /** Local edits and the cursor are sent at most this often to each peer (batched). */
  FLUSH_MS: 50,
  /** doc* messages a peer may send us: a token bucket per peer (a full 4 MiB state fits the burst). */
  RECEIVE_RATE: Object.freeze({ perSecond: 60, burst: 600 }),
  /** doc* records we send over the gateway relay, all peers together (the pacer allows 40/s). */
  RELAY_RATE: Object.freeze({ perSecond: 16, burst: 32 }),
});

/** The doc* peer message types. */
export const DOC_TYPES = Object.freeze(
  new Set(['doc', 'doc-part', 'doc-sync', 'doc-have', 'doc-aware']),
);

/**
 * @typedef {import('../signal/peerMessages.js').DocMessage} DocMessage
 * @typedef {{kind: 'update', bytes: Uint8Array, sel?: {a: Uint8Array, h: Uint8Array} | null}
 *   | {kind: 'part', id: string, i: number, n: number, bytes: Uint8Array}
 *   | {kind: 'sync' | 'have', sv: Uint8Array}
 *   | {kind: 'aware', sel: {a: Uint8Array, h: Uint8Array} | null}} DocInput
 */

const HEX16 = /^[0-9a-f]{16}$/;

/** @param {unknown} s @param {number} max */
function bytesOf(s, max) {
  if (typeof s !== 'string' || s.length > Math.ceil((max * 4) / 3)) return null;
  const b = base64UrlDecode(s);
  return b !== null && b.length > 0 && b.length <= max ? b : null;
}

const SEL_RULE = `null or {a, h}: 1 to ${LiveDocLimits.MAX_POS_BYTES} bytes of base64url each`;

/** A cursor: null (none), {a, h} (anchor and head), or undefined if it breaks SEL_RULE. @param {any} sel */
function selOf(sel) {
  if (sel === null) return null;
  const a = bytesOf(sel?.a, LiveDocLimits.MAX_POS_BYTES);
  const h = bytesOf(sel?.h, LiveDocLimits.MAX_POS_BYTES);
  return a === null || h === null ? undefined : { a, h };
}

/**
 * A received doc* message as its decoded input, or {problem} saying which rule it breaks.
 * @param {any} m a peer message whose t is in DOC_TYPES
 * @returns {{input: DocInput, problem?: undefined} | {problem: string, input?: undefined}}
 */
export function parseDocMessage(m) {
  const L = LiveDocLimits;
  switch (m?.t) {
    case 'doc': {
      const bytes = bytesOf(m.u, L.PART_BYTES);
      if (bytes === null)
        return { problem: `doc.u must be 1 to ${L.PART_BYTES} bytes of base64url` };
      if (m.sel === undefined) return { input: { kind: 'update', bytes } };
      const sel = selOf(m.sel);
      if (sel === undefined) return { problem: `doc.sel: ${SEL_RULE}` };
      return { input: { kind: 'update', bytes, sel } };
    }
    case 'doc-part': {
      if (typeof m.id !== 'string' || !HEX16.test(m.id))
        return { problem: 'doc-part.id must be 16 lowercase hex characters' };
      if (!Number.isSafeInteger(m.n) || m.n < 2 || m.n > L.MAX_PARTS)
        return { problem: `doc-part.n must be an integer from 2 to ${L.MAX_PARTS}` };
      if (!Number.isSafeInteger(m.i) || m.i < 0 || m.i >= m.n)
        return { problem: 'doc-part.i must be an integer from 0 to n-1' };
      const bytes = bytesOf(m.u, L.PART_BYTES);
      if (bytes === null)
        return { problem: `doc-part.u must be 1 to ${L.PART_BYTES} bytes of base64url` };
      return { input: { kind: 'part', id: m.id, i: m.i, n: m.n, bytes } };
    }
    case 'doc-sync':
    case 'doc-have': {
      const sv = bytesOf(m.sv, L.MAX_SV_BYTES);
      if (sv === null)
        return { problem: `${m.t}.sv must be 1 to ${L.MAX_SV_BYTES} bytes of base64url` };
      return { input: { kind: m.t === 'doc-sync' ? 'sync' : 'have', sv } };
    }
    case 'doc-aware': {
      const sel = selOf(m.sel);
      if (sel === undefined) return { problem: `doc-aware.sel: ${SEL_RULE}` };
      return { input: { kind: 'aware', sel } };
    }
    default:
      return { problem: 'not a doc message' };
  }
}

/**
 * The messages that carry one Yjs update: one `doc`, or `doc-part`s 0..n-1 of at most PART_BYTES
 * each. Throws a RangeError for an update over MAX_UPDATE_BYTES (the caller refuses it).
 * @param {Uint8Array} update @param {() => string} newId a random 16-hex id
 * @param {number} [partBytes] PART_BYTES (smaller in tests)
 * @returns {DocMessage[]}
 */
export function splitUpdate(update, newId, partBytes = LiveDocLimits.PART_BYTES) {
  if (update.length > LiveDocLimits.MAX_UPDATE_BYTES)
    throw new RangeError(
      `an update of ${update.length} bytes is over the ${LiveDocLimits.MAX_UPDATE_BYTES}-byte limit`,
    );
  if (update.length <= partBytes) return [{ t: 'doc', u: base64UrlEncode(update) }];
  const n = Math.ceil(update.length / partBytes);
  const id = newId();
  /** @type {DocMessage[]} */
  const out = [];
  for (let i = 0; i < n; i++) {
    const u = base64UrlEncode(update.subarray(i * partBytes, (i + 1) * partBytes));
    out.push({ t: 'doc-part', id, i, n, u });
  }
  return out;
}

/**
 * Reassembles `doc-part`s of one peer. Parts of an update come in order (a peer channel is
 * ordered and the sender sends them one after the other), so one update is assembled at a time:
 * part 0 starts it, each next part must have the same id and n and the next i.
 */
export class PartAssembler {
  /** @type {{id: string, n: number, next: number, parts: Uint8Array[], bytes: number} | null} */
  #current = null;

  /** Whether parts of an update are waiting for the rest. */
  get pending() {
    return this.#current !== null;
  }

  /** Forgets an update in progress (its channel was replaced: the rest will not come). */
  reset() {
    this.#current = null;
  }

  /**
   * One part: {done: bytes} when it completes an update, {} when more are due, or {problem}
   * (the update in progress, if any, is dropped with it).
   * @param {{id: string, i: number, n: number, bytes: Uint8Array}} p
   * @returns {{done?: Uint8Array, problem?: string}}
   */
  add(p) {
    const c = this.#current;
    if (p.i === 0) {
      this.#current = { id: p.id, n: p.n, next: 1, parts: [p.bytes], bytes: p.bytes.length };
      if (c !== null) return { problem: `update ${c.id} ended after ${c.next} of ${c.n} parts` };
      return {};
    }
    if (c === null || c.id !== p.id || c.n !== p.n || c.next !== p.i) {
      this.#current = null;
      return {
        problem: `part ${p.i} of ${p.n} of update ${p.id} does not follow the parts before it`,
      };
    }
    c.parts.push(p.bytes);
    c.bytes += p.bytes.length;
    c.next++;
    if (c.bytes > LiveDocLimits.MAX_UPDATE_BYTES) {
      this.#current = null;
      return { problem: `update ${p.id} is over ${LiveDocLimits.MAX_UPDATE_BYTES} bytes` };
    }
    if (c.next < c.n) return {};
    this.#current = null;
    const out = new Uint8Array(c.bytes);
    let off = 0;
    for (const b of c.parts) {
      out.set(b, off);
      off += b.length;
    }
    return { done: out };
  }
}

/** A token bucket: `perSecond` tokens a second up to `burst`. */
export class TokenBucket {
  #tokens;
  #at;
  #now;

  /** @param {{perSecond: number, burst: number}} rate @param {() => number} [now] ms clock */
  constructor(rate, now = () => performance.now()) {
    this.rate = rate;
    this.#now = now;
    this.#tokens = rate.burst;
    this.#at = now();
  }

  #refill() {
    const t = this.#now();
    this.#tokens = Math.min(
      this.rate.burst,
      this.#tokens + ((t - this.#at) * this.rate.perSecond) / 1000,
    );
    this.#at = t;
  }

  /** Whether at least one token is there now. */
  get ready() {
    this.#refill();
    return this.#tokens >= 1;
  }

  /** Takes one token if there is one; false otherwise. */
  tryTake() {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  /** Takes n tokens even if that leaves the bucket in debt (what must go, goes; later sends wait). @param {number} n */
  force(n) {
    this.#refill();
    this.#tokens -= n;
  }

  /** Milliseconds until one token is there (0 if there is one). */
  get waitMs() {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.rate.perSecond);
  }
}

/** What the pad keeps of one peer (liveDoc.js). */
export class PadPeer {
  /** @param {string} name shown until its hello gives one @param {() => number} now */
  constructor(name, now) {
    this.name = name;
    /** Whether its channel is up: edits go to it, and its doc* messages are taken. */
    this.up = false;
    /** @type {Uint8Array[]} our updates not yet sent to it */
    this.pending = [];
    this.asm = new PartAssembler();
    /** Its doc* messages: RECEIVE_RATE. */
    this.bucket = new TokenBucket(LiveDocLimits.RECEIVE_RATE, now);
    /** @type {Map<number, number>} its last doc-have: client -> clock */
    this.has = new Map();
    /** @type {any} */
    this.haveTimer = null;
    /** @type {any} */
    this.resyncTimer = null;
    /** Our cursor goes with the next flush. */
    this.cursorDue = false;
  }

  /** Its channel is down: what was under way for it is dropped (its next peer-up syncs). */
  down() {
    this.up = false;
    this.pending = [];
    this.asm.reset();
    clearTimeout(this.haveTimer);
    clearTimeout(this.resyncTimer);
    this.haveTimer = null;
    this.resyncTimer = null;
  }
}

// @ts-check
// The chat of a call (spec/peer-messages.md §2 `chat`): what we send to every connected peer and
// what they send us, in one log of the last CHAT_LOG_MAX entries. The session checks every
// received chat against the rules (16-hex id, text within PeerLimits.MAX_CHAT_CHARS code points,
// kind, ts) before it gets here; this file drops repeats and keeps the log. Whether our own
// messages arrived is the Outbox's (outbox.js); their entries carry its states in `to`.

import { PeerLimits, newChatId } from '../signal/peerMessages.js';

const CHAT_LOG_MAX = 500;

/**
 * @typedef {{id: string, from: string | null, name: string | null, text: string, kind: 'text' | 'code',
 *            ts: number, delivered?: number, to?: Record<string, import('./outbox.js').DeliveryState>,
 *            received?: number}} ChatEntry
 *   `from` null: our own message (`to`: its delivery state per recipient key fp, `delivered`: how
 *   many have it); else the sender's key fp.
 * @typedef {{t: 'chat', id: string, text: string, kind: 'text' | 'code', ts: number}} ChatMessage
 */

export class ChatLog {
  /** @type {ChatEntry[]} */
  entries = [];
  /** `${keyFp}:${id}` of every chat received, so a repeat is shown once. */
  #seen = new Set();
  /** @type {Map<string, ChatEntry>} our own entries still in the log, by id */
  #own = new Map();
  #onEntry;

  /** @param {(entry: ChatEntry) => void} onEntry a new entry (own or received) */
  constructor(onEntry) {
    this.#onEntry = onEntry;
  }

  /**
   * Our chat message or code snippet: `post(msg)` hands it to the Outbox for every member of the
   * call and returns the recipients' key fps. Returns the log entry, or null for a blank text.
   * @param {string} text @param {string} kind 'code' or anything else for text
   * @param {string} name our display name
   * @param {(msg: ChatMessage) => string[]} post
   */
  send(text, kind, name, post) {
    // UTF-16 units: never more code points than the peer limit counts (spec/peer-messages.md §2).
    const body = String(text).slice(0, PeerLimits.MAX_CHAT_CHARS);
    if (body.trim() === '') return null;
    /** @type {ChatMessage} */
    const msg = {
      t: 'chat',
      id: newChatId(),
      text: body,
      kind: kind === 'code' ? 'code' : 'text',
      ts: Date.now(),
    };
    /** @type {ChatEntry} */
    const entry = {
      id: msg.id,
      from: null,
      name,
      text: msg.text,
      kind: msg.kind,
      ts: msg.ts,
      delivered: 0,
      to: {},
    };
    this.#own.set(msg.id, entry);
    for (const keyFp of post(msg))
      /** @type {Record<string, string>} */ (entry.to)[keyFp] ??= 'pending';
    return this.#add(entry);
  }

  /**
   * New delivery states of our message `id`; returns its entry (null if no longer in the log).
   * @param {string} id @param {Map<string, import('./outbox.js').DeliveryState> | null} states
   */
  delivery(id, states) {
    const entry = this.#own.get(id);
    if (entry === undefined || states === null) return null;
    entry.to = Object.fromEntries(states);
    entry.delivered = [...states.values()].filter((s) => s === 'delivered').length;
    return entry;
  }

  /**
   * A chat from the peer with key fp `keyFp` (already checked by the session).
   * @param {string} keyFp @param {string | null} name @param {ChatMessage} msg
   */
  receive(keyFp, name, msg) {
    const key = `${keyFp}:${msg.id}`;
    if (this.#seen.has(key)) return; // a retry of one we have: shown once (acknowledged again)
    this.#seen.add(key);
    this.#add({
      id: msg.id,
      from: keyFp,
      name,
      text: msg.text,
      kind: msg.kind,
      ts: msg.ts,
      received: Date.now(),
    });
  }

  /** @param {ChatEntry} entry */
  #add(entry) {
    this.entries.push(entry);
    if (this.entries.length > CHAT_LOG_MAX) {
      const old = /** @type {ChatEntry} */ (this.entries.shift());
      this.#own.delete(old.id);
    }
    this.#onEntry(entry);
    return entry;
  }
}

// @ts-check
// Delivery of what a person sends to the others (chat messages and snippets): nothing is lost
// silently (spec/peer-messages.md §6). Every message goes to each recipient as soon as a peer
// channel to it is open, or waits for one; the recipient answers with an `ack`. A recipient
// whose ack has not come within the delivery timeout, or who left, is marked `failed` for that
// message, which the UI shows with a retry. A retry sends the same message (same id) again; the
// receiver shows a repeat once and acknowledges it again.
//
// Per message and recipient: 'pending' -> 'delivered' (ack) | 'failed' (timeout, left);
// 'failed' -> 'pending' (retry).

/** A message not acknowledged by a recipient within this time is marked not delivered to it. */
export const DELIVERY_TIMEOUT_MS = 30_000;

/** Messages kept for retries and late acks (the oldest go first). */
const MAX_TRACKED = 500;

/**
 * @typedef {'pending' | 'delivered' | 'failed'} DeliveryState
 * @typedef {{t: 'chat', id: string, text: string, kind: 'text' | 'code', ts: number}} TrackedMessage
 * @typedef {{msg: TrackedMessage, to: Map<string, DeliveryState>, timers: Map<string, ReturnType<typeof setTimeout>>}} Tracked
 */

export class Outbox {
  /** @type {Map<string, Tracked>} message id -> its delivery */
  #tracked = new Map();
  #send;
  #canSend;
  #onChange;
  #timeoutMs;

  /**
   * @param {object} o
   * @param {(keyFp: string, msg: TrackedMessage) => boolean} o.send hands the message to the
   *   peer channel of `keyFp`; false if none is open now (the message then waits for peerUp)
   * @param {(keyFp: string) => boolean} o.canSend whether a channel to `keyFp` is open now
   * @param {(id: string) => void} o.onChange a message's delivery states changed
   * @param {number} [o.timeoutMs]
   */
  constructor({ send, canSend, onChange, timeoutMs = DELIVERY_TIMEOUT_MS }) {
    this.#send = send;
    this.#canSend = canSend;
    this.#onChange = onChange;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Sends `msg` to every recipient (key fingerprints) now or as soon as it can.
   * @param {TrackedMessage} msg @param {string[]} recipients
   */
  post(msg, recipients) {
    /** @type {Tracked} */
    const t = { msg, to: new Map(), timers: new Map() };
    this.#tracked.set(msg.id, t);
    while (this.#tracked.size > MAX_TRACKED) {
      const oldest = /** @type {Tracked} */ (this.#tracked.values().next().value);
      for (const timer of oldest.timers.values()) clearTimeout(timer);
      this.#tracked.delete(oldest.msg.id);
    }
    for (const keyFp of recipients) this.#start(t, keyFp);
  }

  /** The delivery states of message `id` (keyFp -> state), or null if not tracked. @param {string} id */
  states(id) {
    const t = this.#tracked.get(id);
    return t === undefined ? null : new Map(t.to);
  }

  /** `keyFp` acknowledged message `id`. @param {string} keyFp @param {string} id */
  ack(keyFp, id) {
    const t = this.#tracked.get(id);
    if (t === undefined || !t.to.has(keyFp) || t.to.get(keyFp) === 'delivered') return;
    this.#set(t, keyFp, 'delivered');
  }

  /** A channel to `keyFp` is open (again): everything still pending for it goes now. @param {string} keyFp */
  peerUp(keyFp) {
    for (const t of this.#tracked.values()) {
      if (t.to.get(keyFp) === 'pending') this.#send(keyFp, t.msg);
    }
  }

  /** `keyFp` left the call: what it has not acknowledged is not delivered to it. @param {string} keyFp */
  peerGone(keyFp) {
    for (const t of this.#tracked.values()) {
      if (t.to.get(keyFp) === 'pending') this.#set(t, keyFp, 'failed');
    }
  }

  /** Sends message `id` again to every recipient it was not delivered to. Returns how many. @param {string} id */
  retry(id) {
    const t = this.#tracked.get(id);
    if (t === undefined) return 0;
    let n = 0;
    for (const [keyFp, state] of t.to) {
      if (state !== 'failed') continue;
      n++;
      this.#start(t, keyFp);
    }
    if (n > 0) this.#onChange(id);
    return n;
  }

  /** Ends every timer (the call ends); what is pending stays as it is. */
  close() {
    for (const t of this.#tracked.values()) {
      for (const timer of t.timers.values()) clearTimeout(timer);
      t.timers.clear();
    }
  }

  /** @param {Tracked} t @param {string} keyFp */
  #start(t, keyFp) {
    t.to.set(keyFp, 'pending');
    clearTimeout(t.timers.get(keyFp));
    t.timers.set(
      keyFp,
      setTimeout(() => {
        if (t.to.get(keyFp) === 'pending') this.#set(t, keyFp, 'failed');
      }, this.#timeoutMs),
    );
    if (this.#canSend(keyFp)) this.#send(keyFp, t.msg);
  }

  /** @param {Tracked} t @param {string} keyFp @param {DeliveryState} state */
  #set(t, keyFp, state) {
    t.to.set(keyFp, state);
    clearTimeout(t.timers.get(keyFp));
    t.timers.delete(keyFp);
    this.#onChange(t.msg.id);
  }
}

// @ts-check
// The chat of a call as the Call uses it: the log (chat.js) and the delivery of our own messages
// (outbox.js), tied to the peers' lifecycle. A received chat is answered with an `ack` (also a
// repeat, so that a retry of a message whose ack was lost completes); an `ack` completes the
// delivery of ours to that peer.

import { ChatLog } from './chat.js';
import { Outbox } from './outbox.js';

/**
 * @typedef {import('../signal/peerMessages.js').PeerMessage} PeerMessage
 * @typedef {import('./chat.js').ChatEntry} ChatEntry
 */

export class CallChat {
  #outbox;
  #recipients;
  #send;

  /**
   * @param {object} o
   * @param {(keyFp: string, msg: PeerMessage) => boolean} o.send one message into the peer
   *   channel of `keyFp`; false if none is open
   * @param {(keyFp: string) => boolean} o.canSend whether a channel to `keyFp` is open now
   * @param {() => string[]} o.recipients the key fps of the call's other members now (including
   *   those whose channel is being re-established)
   * @param {(entry: ChatEntry) => void} o.onEntry a new entry, or new delivery states of ours
   * @param {number} [o.timeoutMs] the delivery timeout (outbox.js)
   */
  constructor({ send, canSend, recipients, onEntry, timeoutMs }) {
    this.#send = send;
    this.#recipients = recipients;
    this.log = new ChatLog(onEntry);
    this.#outbox = new Outbox({
      send,
      canSend,
      timeoutMs,
      onChange: (id) => {
        const entry = this.log.delivery(id, this.#outbox.states(id));
        if (entry !== null) onEntry(entry);
      },
    });
  }

  /** Our message or snippet to every member; the log entry, or null for a blank text. @param {string} text @param {string} kind @param {string} name */
  send(text, kind, name) {
    return this.log.send(text, kind, name, (msg) => {
      const to = this.#recipients();
      this.#outbox.post(msg, to);
      return to;
    });
  }

  /** Sends our message `id` again to those it was not delivered to; returns how many. @param {string} id */
  retry(id) {
    return this.#outbox.retry(id);
  }

  /**
   * A `chat` or `ack` from the peer `keyFp` (named `name`); other messages are not ours.
   * @param {string} keyFp @param {string | null} name @param {PeerMessage} msg
   */
  onMessage(keyFp, name, msg) {
    if (msg.t === 'chat') {
      this.log.receive(keyFp, name, msg);
      this.#send(keyFp, { t: 'ack', id: msg.id });
    } else if (msg.t === 'ack') {
      this.#outbox.ack(keyFp, msg.id);
    }
  }

  /** A channel to `keyFp` is open again: what waits for it goes now. @param {string} keyFp */
  peerUp(keyFp) {
    this.#outbox.peerUp(keyFp);
  }

  /** `keyFp` left or failed for good: what it has not acknowledged is not delivered. @param {string} keyFp */
  peerGone(keyFp) {
    this.#outbox.peerGone(keyFp);
  }

  close() {
    this.#outbox.close();
  }
}

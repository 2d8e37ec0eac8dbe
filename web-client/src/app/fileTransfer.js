// @ts-check
// The files of a call (spec/files.md): outgoing ones (fileSend.js, one FileSender per recipient)
// and incoming ones, received here. The receiver sees who offers what (name, size, type, as
// text) and accepts or declines; an accepted file arrives in binary chunks, copied into one
// buffer of the offered size (within the size cap; allocated on accept, never grown; the memory
// is the browser's to commit as the bytes arrive), is checked with SHA-256 (WebCrypto) against
// the sender's `file-done`, and only a file whose checksum matched is offered for saving. Nothing ends
// silently: a transfer cut off (the person left, the channel or data channel closed) is
// "failed" with a retry at the sender and "incomplete" at the receiver.
// DOM-free: fileView.js renders the items; tests run this in Node.

import { newChatId } from '../signal/peerMessages.js';
import { FileSender } from './fileSend.js';

/** The largest file sent or accepted unless the gateway's client config says otherwise. */
export const DEFAULT_FILE_MAX_BYTES = 100 * 1024 * 1024;
/** The receiver acknowledges every this many bytes (the sender's progress and window). */
export const ACK_EVERY_BYTES = 1024 * 1024;
/** Incoming transfers offered or running from one person at once; more are declined as busy. */
export const MAX_INCOMING_PER_PEER = 8;
/** No chunk for this long while receiving: the transfer is incomplete. */
export const RECEIVE_STALL_MS = 30_000;

/**
 * One transfer as the page shows it (one per file and person).
 * @typedef {object} FileItem
 * @property {string} key unique: `${dir}:${peer}:${id}`
 * @property {'out' | 'in'} dir
 * @property {string} id 16 hex, the transfer id on the wire
 * @property {string} peer the other side's key fingerprint
 * @property {string} name file name (from the sender; render as text)
 * @property {number} size bytes
 * @property {string} type the sender's media type (text only: never used to render)
 * @property {string} state out: waiting, offered, sending, finishing, delivered, declined, cancelled, failed;
 *   in: offered, receiving, verifying, complete, declined, cancelled, incomplete, corrupt, refused
 * @property {number} bytes out: acknowledged by the receiver; in: received
 * @property {number} sent out: handed to the data channel
 * @property {string | null} error why it ended or waits, in words
 * @property {string | null} sha256 the checksum (hex) once known
 * @property {Blob | null} blob in: the file, only once its checksum matched
 * @property {number} progressEvents how many progress changes were reported (tests)
 *
 * @typedef {{buffer: Uint8Array<ArrayBuffer>, next: number, acked: number,
 *   timer: ReturnType<typeof setTimeout> | null}} ReceiveState an accepted incoming file: its bytes
 *   (item.bytes of them so far), the next chunk's index, the bytes acknowledged
 * @typedef {import('../signal/peerTransport.js').DirectPath} DirectPath
 * @typedef {import('../signal/fileMessages.js').FileMessage} FileMessage
 * @typedef {object} FilesHost what the transfers need of the call
 * @property {(keyFp: string, msg: object) => boolean} send a JSON message; false without a channel
 * @property {(keyFp: string) => DirectPath | null} direct the peer's direct path now
 * @property {(item: FileItem) => void} changed
 * @property {(ms: number) => Promise<void>} [sleep]
 */

const ACTIVE_OUT = ['waiting', 'offered', 'sending', 'finishing'];
const ACTIVE_IN = ['offered', 'receiving', 'verifying'];

/** @param {ArrayBuffer} buf */
const hex = (buf) =>
  Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

export class FileTransfers {
  #host;
  #sleep;
  /** @type {number | undefined} */
  #directWaitMs;
  #offerWaitMs;
  /** @type {Map<string, FileItem>} */
  items = new Map();
  /** @type {Map<string, {sender: FileSender, file: Blob}>} out key -> its sender */
  #out = new Map();
  /** @type {Map<string, ReceiveState>} in key -> what has arrived */
  #in = new Map();
  /** Refusals and drops, counted (no content). */
  stats = { refusedOffers: 0, droppedChunks: 0, failedChunks: 0 };

  /** @param {FilesHost} host @param {{maxBytes?: number, directWaitMs?: number, offerWaitMs?: number}} [o] */
  constructor(host, o = {}) {
    this.#directWaitMs = o.directWaitMs;
    this.#offerWaitMs = o.offerWaitMs;
    this.#host = host;
    this.#sleep = host.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.maxBytes = o.maxBytes ?? DEFAULT_FILE_MAX_BYTES;
  }

  /** @param {'out' | 'in'} dir @param {string} peer @param {string} id @param {string} name @param {number} size @param {string} type @returns {FileItem} */
  #item(dir, peer, id, name, size, type) {
    const item = {
      key: `${dir}:${peer}:${id}`,
      dir,
      id,
      peer,
      name,
      size,
      type,
      state: dir === 'out' ? 'waiting' : 'offered',
      bytes: 0,
      sent: 0,
      error: null,
      sha256: null,
      blob: null,
      progressEvents: 0,
    };
    this.items.set(item.key, item);
    return item;
  }

  /** @param {FileItem} item */
  #changed(item) {
    this.#host.changed(item);
  }

  /**
   * Sends `file` to each of `to` (key fingerprints): one transfer per person. Throws RangeError
   * over the size cap (nothing is sent) or for an empty recipient list.
   * @param {Blob & {name?: string}} file @param {string[]} to @returns {FileItem[]}
   */
  send(file, to) {
    if (file.size > this.maxBytes)
      throw new RangeError(
        `${file.size} bytes: files are limited to ${this.maxBytes} bytes here (not sent)`,
      );
    if (to.length === 0) throw new RangeError('nobody to send the file to');
    const name = (file.name ?? '').length > 0 ? /** @type {string} */ (file.name) : 'file';
    return to.map((peer) => this.#start(file, peer, name));
  }

  /** @param {Blob} file @param {string} peer @param {string} name */
  #start(file, peer, name) {
    const item = this.#item(
      'out',
      peer,
      newChatId(),
      [...name].slice(0, 255).join(''),
      file.size,
      (file.type ?? '').slice(0, 255),
    );
    const sender = new FileSender(item, file, {
      send: (msg) => this.#host.send(peer, msg),
      direct: () => this.#host.direct(peer),
      changed: (it) => {
        it.progressEvents++;
        this.#changed(it);
      },
      sleep: this.#sleep,
      directWaitMs: this.#directWaitMs,
      offerWaitMs: this.#offerWaitMs,
    });
    this.#out.set(item.key, { sender, file });
    this.#changed(item);
    sender.run();
    return item;
  }

  /** A failed, declined or cancelled outgoing file again, as a new transfer. @param {string} key @returns {FileItem | null} */
  retry(key) {
    const item = this.items.get(key);
    const out = this.#out.get(key);
    if (item === undefined || out === undefined || ACTIVE_OUT.includes(item.state)) return null;
    return this.#start(out.file, item.peer, item.name);
  }

  /** Accepts an offered incoming file. @param {string} key */
  accept(key) {
    const item = this.items.get(key);
    if (item?.dir !== 'in' || item.state !== 'offered') return false;
    // One buffer of the offered size, before saying yes (a Blob per megabyte, hashed from a Blob
    // read back at the end, cost more than the decryption of the whole file).
    let buffer;
    try {
      buffer = new Uint8Array(item.size);
    } catch {
      this.#host.send(item.peer, { t: 'file-cancel', id: item.id, reason: 'too-large' });
      this.#endIn(item, 'refused', 'not enough memory here for a file this large');
      return false;
    }
    if (!this.#host.send(item.peer, { t: 'file-accept', id: item.id })) {
      this.#endIn(item, 'incomplete', 'the connection to the sender closed');
      return false;
    }
    item.state = 'receiving';
    this.#in.set(key, { buffer, next: 0, acked: 0, timer: null });
    this.#arm(item);
    this.#changed(item);
    return true;
  }

  /** Cancels a transfer either way (declines an offer). @param {string} key */
  cancel(key) {
    const item = this.items.get(key);
    if (item === undefined) return false;
    if (item.dir === 'out') {
      if (!ACTIVE_OUT.includes(item.state)) return false;
      if (item.state !== 'waiting')
        this.#host.send(item.peer, { t: 'file-cancel', id: item.id, reason: 'cancelled' });
      item.state = 'cancelled';
      item.error = 'cancelled by you';
      this.#out.get(key)?.sender.wake();
      this.#changed(item);
      return true;
    }
    if (!ACTIVE_IN.includes(item.state)) return false;
    const declining = item.state === 'offered';
    this.#host.send(item.peer, {
      t: 'file-cancel',
      id: item.id,
      reason: declining ? 'declined' : 'cancelled',
    });
    this.#endIn(
      item,
      declining ? 'declined' : 'cancelled',
      declining ? 'declined by you' : 'cancelled by you',
    );
    return true;
  }

  /** A file message from the peer `keyFp`. @param {string} keyFp @param {FileMessage} msg */
  onMessage(keyFp, msg) {
    const out = this.items.get(`out:${keyFp}:${msg.id}`);
    const inc = this.items.get(`in:${keyFp}:${msg.id}`);
    switch (msg.t) {
      case 'file-offer':
        this.#offer(keyFp, msg);
        break;
      case 'file-chunk':
        if (inc === undefined || inc.state !== 'receiving') {
          this.stats.droppedChunks++; // unknown id, or in flight when it was cancelled
          return;
        }
        this.#chunk(inc, msg.index, msg.data);
        break;
      case 'file-done':
        if (inc?.state === 'receiving')
          this.#done(inc, msg.sha256).catch(() =>
            this.#endIn(inc, 'incomplete', 'the SHA-256 could not be computed'),
          );
        break;
      case 'file-accept':
      case 'file-ack': {
        const s = out === undefined ? undefined : this.#out.get(out.key)?.sender;
        if (out === undefined || s === undefined || !ACTIVE_OUT.includes(out.state)) return;
        if (msg.t === 'file-accept') s.accepted = true;
        else {
          out.bytes = Math.min(Math.max(out.bytes, msg.bytes), out.sent);
          out.progressEvents++;
          if (msg.verified !== undefined) s.verified = msg.verified;
          this.#changed(out);
        }
        s.wake();
        break;
      }
      case 'file-cancel': {
        const what = {
          declined: 'declined',
          'too-large': 'refused: larger than the other side accepts',
          busy: 'refused: the other side has too many files open',
          failed: 'failed at the other side',
          cancelled: 'cancelled by the other side',
        }[msg.reason];
        if (out !== undefined && ACTIVE_OUT.includes(out.state)) {
          out.state =
            msg.reason === 'declined'
              ? 'declined'
              : msg.reason === 'cancelled'
                ? 'cancelled'
                : 'failed';
          out.error = what ?? msg.reason;
          this.#out.get(out.key)?.sender.wake();
          this.#changed(out);
        } else if (inc !== undefined && ACTIVE_IN.includes(inc.state)) {
          this.#endIn(inc, 'cancelled', what ?? msg.reason);
        }
        break;
      }
      default:
        break;
    }
  }

  /** @param {string} keyFp @param {{id: string, name: string, size: number, type: string}} m */
  #offer(keyFp, m) {
    const key = `in:${keyFp}:${m.id}`;
    if (this.items.has(key)) return; // a repeated id: the first one stands
    const item = this.#item('in', keyFp, m.id, m.name, m.size, m.type);
    const open = [...this.items.values()].filter(
      (i) => i.dir === 'in' && i.peer === keyFp && ACTIVE_IN.includes(i.state),
    ).length;
    let reason = null;
    if (m.size > this.maxBytes) {
      reason = 'too-large';
      item.error = `larger than the ${this.maxBytes} bytes accepted here: refused`;
    } else if (open > MAX_INCOMING_PER_PEER) {
      reason = 'busy';
      item.error = `more than ${MAX_INCOMING_PER_PEER} files from this person at once: refused`;
    }
    if (reason !== null) {
      this.stats.refusedOffers++;
      item.state = 'refused';
      this.#host.send(keyFp, { t: 'file-cancel', id: m.id, reason });
    }
    this.#changed(item);
  }

  /** @param {FileItem} item @param {number} index @param {Uint8Array} data */
  #chunk(item, index, data) {
    const st = /** @type {ReceiveState} */ (this.#in.get(item.key));
    if (index !== st.next)
      return this.#refuse(item, `chunk ${index} arrived where chunk ${st.next} was due`);
    if (item.bytes + data.length > item.size)
      return this.#refuse(item, `more bytes than the ${item.size} offered`);
    st.next++;
    st.buffer.set(data, item.bytes);
    item.bytes += data.length;
    const acking = item.bytes - st.acked >= ACK_EVERY_BYTES;
    if (acking) {
      st.acked = item.bytes;
      this.#host.send(item.peer, { t: 'file-ack', id: item.id, bytes: item.bytes });
    }
    // Progress is reported with each ack (every MiB) and at the last chunk, not per chunk.
    if (acking || item.bytes === item.size) {
      this.#arm(item);
      item.progressEvents++;
      this.#changed(item);
    }
  }

  /** A chunk that breaks the rules: the transfer fails at both ends. @param {FileItem} item @param {string} why */
  #refuse(item, why) {
    this.stats.failedChunks++;
    this.#host.send(item.peer, { t: 'file-cancel', id: item.id, reason: 'failed' });
    this.#endIn(item, 'incomplete', `refused: ${why}`);
  }

  /** @param {FileItem} item @param {string} sha */
  async #done(item, sha) {
    const st = /** @type {ReceiveState} */ (this.#in.get(item.key));
    if (item.bytes !== item.size)
      return this.#refuse(item, `ended at ${item.bytes} of ${item.size} bytes`);
    clearTimeout(st.timer ?? undefined);
    item.state = 'verifying';
    this.#changed(item);
    const got = hex(await crypto.subtle.digest('SHA-256', st.buffer));
    if (item.state !== 'verifying') return; // cancelled meanwhile
    // Typed as bytes only: the sender's type is shown as text, never used to render the file.
    const blob = new Blob([st.buffer], { type: 'application/octet-stream' });
    this.#in.delete(item.key);
    item.sha256 = got;
    const ok = got === sha;
    this.#host.send(item.peer, { t: 'file-ack', id: item.id, bytes: item.bytes, verified: ok });
    if (ok) {
      item.blob = blob;
      item.state = 'complete';
      item.error = null;
    } else {
      item.state = 'corrupt';
      item.error = "the SHA-256 does not match the sender's: not saved";
    }
    this.#changed(item);
  }

  /** (Re)starts the receive stall timer. @param {FileItem} item */
  #arm(item) {
    const st = this.#in.get(item.key);
    if (st === undefined) return;
    clearTimeout(st.timer ?? undefined);
    st.timer = setTimeout(() => {
      if (item.state !== 'receiving') return;
      this.#host.send(item.peer, { t: 'file-cancel', id: item.id, reason: 'failed' });
      this.#endIn(item, 'incomplete', 'nothing arrived for 30 s');
    }, RECEIVE_STALL_MS);
  }

  /** @param {FileItem} item @param {string} state @param {string} error */
  #endIn(item, state, error) {
    const st = this.#in.get(item.key);
    if (st !== undefined) clearTimeout(st.timer ?? undefined);
    this.#in.delete(item.key); // its buffer goes with it
    item.state = state;
    item.error = error;
    this.#changed(item);
  }

  /**
   * The peer `keyFp` is down (left, said bye, failed, or its channel is re-established without a
   * data channel): what was running with it ends, visibly. @param {string} keyFp @param {string} why
   */
  peerDown(keyFp, why) {
    for (const item of this.items.values()) {
      if (item.peer !== keyFp) continue;
      if (item.dir === 'out' && ACTIVE_OUT.includes(item.state)) {
        item.state = 'failed';
        item.error = `interrupted: ${why}`;
        this.#out.get(item.key)?.sender.wake();
        this.#changed(item);
      } else if (item.dir === 'in' && ACTIVE_IN.includes(item.state)) {
        this.#endIn(item, 'incomplete', `interrupted: ${why}`);
      }
    }
  }

  /** The call ended: everything still running ends. */
  close() {
    for (const keyFp of new Set([...this.items.values()].map((i) => i.peer)))
      this.peerDown(keyFp, 'you left the call');
  }
}

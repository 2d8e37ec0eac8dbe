// @ts-check
// The control of the room, inside the peer channels (spec/peer-messages.md §8): raised hands,
// reactions, mute requests, the lock and admission (lock.js), removal, and who records. Every
// message is a peer message; the gateway relays them unread and decides none of it.
//
// Events (CustomEvent.detail):
//   'change'  {}                    hands, recorders, lock, held or waiting peers changed: re-render
//   'line'    {text}                one line for the chat log ("Ana raised their hand")
//   'reaction' {fp, emoji}          a reaction to show on a tile for a moment (fp null: ours)
//   'ask'     {id, fp}              a member asks us to mute: the person decides (answerMute)
//   'muted'   {}                    we muted ourselves by accepting a request
//   'move'    {fragment}            the others move to a new room (a removal): join it
//   'removed' {by}                  a member removed us: the others have left for a room we do not have

import { base64UrlDecode, base64UrlEncode } from '../protocol/bytes.js';
import { formatLinkFragment } from '../protocol/index.js';
import { newChatId } from '../signal/peerMessages.js';
import { ROOM_TYPES } from '../signal/roomMessages.js';
import { RoomLock } from './lock.js';

/** How long a mute request waits for an answer before the requester is told "no answer". */
export const MUTE_ANSWER_MS = 30_000;
/** How long a reaction shows on a tile. */
export const REACTION_MS = 4_000;

/**
 * @typedef {import('../signal/peerMessages.js').PeerMessage} PeerMessage
 * @typedef {object} RoomHost what the Call gives the room control
 * @property {(fp: string, msg: PeerMessage) => boolean} send one message into the channel to `fp`
 * @property {() => string[]} members key fps of the peers whose channel is open and who are in the call with us
 * @property {(fp: string) => string} nameOf a peer's display name
 * @property {() => string} selfFp our key fingerprint
 * @property {() => Uint8Array | null} pin the gateway key fingerprint the room link pins
 * @property {() => void} mute mutes our microphone
 * @property {(fp: string) => void} detach a member holds us: drop our media connection to it
 * @property {(fp: string) => void} attach a peer is let in (or lets us in): set up the call with it
 */

export class RoomControl extends EventTarget {
  #host;
  lock = new RoomLock();
  /** key fps (ours included) whose hand is up */
  hands = new Set();
  /** key fps (ours included) that record the call now */
  recorders = new Set();
  /** @type {Map<string, {fp: string, timer: ReturnType<typeof setTimeout>}>} our mute requests waiting for an answer */
  #asks = new Map();
  /** @type {Map<string, {fp: string, timer: ReturnType<typeof setTimeout>}>} requests to us not yet answered */
  prompts = new Map();
  /** Set once a removal moves this call to a new room: later removals are shown, not followed. */
  moved = false;

  #answerMs;

  /** @param {RoomHost} host @param {{muteAnswerMs?: number}} [o] MUTE_ANSWER_MS unless a test shortens it */
  constructor(host, { muteAnswerMs = MUTE_ANSWER_MS } = {}) {
    super();
    this.#host = host;
    this.#answerMs = muteAnswerMs;
  }

  /** @param {string} type @param {object} [detail] */
  #emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** @param {string} text */
  #line(text) {
    this.#emit('line', { text });
  }

  /** @param {PeerMessage} msg */
  #toAll(msg) {
    for (const fp of this.#host.members()) this.#host.send(fp, msg);
  }

  #self() {
    return this.#host.selfFp();
  }

  /** @param {string} fp */
  #name(fp) {
    return fp === this.#self() ? 'You' : this.#host.nameOf(fp);
  }

  // --- peers coming and going ------------------------------------------------------------------

  /**
   * A peer's channel is up (or it is let in). Returns true if we hold it (a newcomer of a locked
   * room: it is told to wait and gets nothing else); otherwise sends it our room state first, so
   * a held newcomer learns it is in before any key or SDP reaches it. @param {string} fp
   */
  peerUp(fp) {
    const lock = this.lock;
    if (lock.held.has(fp) || lock.shouldHold(fp)) {
      const fresh = !lock.held.has(fp);
      lock.held.add(fp);
      this.#host.send(fp, { t: 'wait' });
      if (fresh) this.#line(`${this.#host.nameOf(fp)} is waiting to be let in`);
      this.#emit('change');
      return true;
    }
    lock.known.add(fp);
    const s = lock.state;
    this.#host.send(fp, { t: 'lock', locked: s.locked, ts: s.ts, by: s.by || this.#self() });
    if (this.hands.has(this.#self())) this.#host.send(fp, { t: 'hand', up: true });
    if (this.recorders.has(this.#self())) this.#host.send(fp, { t: 'rec', on: true });
    return false;
  }

  /** @param {string} fp @param {string} reason 'reconnecting', 'left', 'bye', 'failed' */
  peerDown(fp, reason) {
    if (reason === 'reconnecting') return;
    this.lock.forget(fp);
    if (this.hands.delete(fp)) this.#line(`${this.#host.nameOf(fp)}’s hand is down: they left`);
    if (this.recorders.delete(fp)) this.#line(`${this.#host.nameOf(fp)} stopped recording (left)`);
    this.#emit('change');
  }

  /**
   * A message from the peer `fp`. Returns true when it is ours (a room-control type) or comes
   * from a newcomer we hold (dropped: it gets nothing of the call, and gives nothing to it).
   * @param {string} fp @param {PeerMessage} msg
   */
  onMessage(fp, msg) {
    // A held newcomer's messages are dropped (its hello passes: its name shows on the waiting
    // line); so are those of one we will hold, should any come before its peer-up.
    if (this.lock.held.has(fp) || this.lock.shouldHold(fp)) return msg.t !== 'hello';
    if (!ROOM_TYPES.includes(msg.t)) return false;
    const m = /** @type {import('../signal/roomMessages.js').RoomMessage} */ (msg);
    const name = this.#host.nameOf(fp);
    switch (m.t) {
      case 'hand':
        if (m.up === this.hands.has(fp)) break;
        if (m.up) this.hands.add(fp);
        else this.hands.delete(fp);
        this.#line(m.up ? `${name} raised their hand ✋` : `${name} lowered their hand`);
        break;
      case 'react':
        this.#line(`${name} reacted ${m.emoji}`);
        this.#emit('reaction', { fp, emoji: m.emoji });
        break;
      case 'mute-ask':
        this.#onAsk(fp, m.id);
        break;
      case 'mute-answer': {
        const ask = this.#asks.get(m.id);
        if (ask === undefined || ask.fp !== fp) break; // answered late, or not ours
        clearTimeout(ask.timer);
        this.#asks.delete(m.id);
        this.#line(m.ok ? `${name} muted at your request` : `${name} declined to mute`);
        break;
      }
      case 'lock':
        this.#onLock(fp, m);
        break;
      case 'wait':
        this.lock.known.add(fp); // it holds us, so it is in the room
        if (!this.lock.waitingFor.has(fp)) {
          this.lock.waitingFor.add(fp);
          this.#host.detach(fp);
        }
        break;
      case 'admit':
        this.#admit(m.fp, fp);
        break;
      case 'remove':
        this.#onRemove(fp, m.fp, m.secret);
        break;
      case 'removed':
        this.#line(`${name} removed you from the call`);
        this.#emit('removed', { by: name });
        break;
      case 'rec':
        if (m.on === this.recorders.has(fp)) break;
        if (m.on) this.recorders.add(fp);
        else this.recorders.delete(fp);
        this.#line(m.on ? `${name} started recording` : `${name} stopped recording`);
        break;
    }
    this.#emit('change');
    return true;
  }

  // --- raise hand, reactions -------------------------------------------------------------------

  /** @param {boolean} up */
  setHand(up) {
    const self = this.#self();
    if (up === this.hands.has(self)) return;
    if (up) this.hands.add(self);
    else this.hands.delete(self);
    this.#toAll({ t: 'hand', up });
    this.#line(up ? 'You raised your hand ✋' : 'You lowered your hand');
    this.#emit('change');
  }

  /** @param {string} emoji one of REACTIONS (roomMessages.js) */
  react(emoji) {
    this.#toAll({ t: 'react', emoji });
    this.#line(`You reacted ${emoji}`);
    this.#emit('reaction', { fp: null, emoji });
  }

  // --- mute requests ---------------------------------------------------------------------------

  /** Asks the member `fp` to mute; the answer (or "no answer") comes as a line. @param {string} fp */
  askMute(fp) {
    const id = newChatId();
    if (!this.#host.send(fp, { t: 'mute-ask', id })) {
      this.#line(`Could not ask ${this.#host.nameOf(fp)} to mute: not connected`);
      return;
    }
    const timer = setTimeout(() => {
      this.#asks.delete(id);
      this.#line(`${this.#host.nameOf(fp)} did not answer your request to mute`);
    }, this.#answerMs);
    this.#asks.set(id, { fp, timer });
    this.#line(`You asked ${this.#host.nameOf(fp)} to mute`);
  }

  /** @param {string} fp @param {string} id */
  #onAsk(fp, id) {
    if (this.prompts.has(id)) return;
    for (const [old, p] of this.prompts) {
      // One open request per member: a new one replaces its last (repeats do not pile up).
      if (p.fp !== fp) continue;
      clearTimeout(p.timer);
      this.prompts.delete(old);
    }
    // Unanswered, the prompt goes when the asker gives up: a late yes would surprise both.
    const timer = setTimeout(() => {
      this.prompts.delete(id);
      this.#emit('change');
    }, this.#answerMs);
    this.prompts.set(id, { fp, timer });
    this.#line(`${this.#host.nameOf(fp)} asks you to mute`);
    this.#emit('ask', { id, fp });
  }

  /** The person's answer to the request `id`: only a yes mutes, and only here. @param {string} id @param {boolean} ok */
  answerMute(id, ok) {
    const p = this.prompts.get(id);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.prompts.delete(id);
    if (ok) {
      this.#host.mute();
      this.#emit('muted');
    }
    this.#host.send(p.fp, { t: 'mute-answer', id, ok });
    this.#line(ok ? 'You muted yourself' : 'You kept your microphone on');
    this.#emit('change');
  }

  // --- lock and admission (§8.2) ---------------------------------------------------------------

  /** @param {boolean} locked */
  setLocked(locked) {
    const s = this.lock.set(locked, this.#self(), Date.now());
    this.#toAll({ t: 'lock', ...s });
    this.#line(locked ? 'You locked the room' : 'You unlocked the room');
    if (!locked) this.#releaseAll();
    this.#emit('change');
  }

  /** @param {string} from @param {{locked: boolean, ts: number, by: string}} s */
  #onLock(from, s) {
    if (this.lock.waitingFor.delete(from)) {
      this.lock.known.add(from);
      this.#host.attach(from); // it lets us in: the call with it starts now
    }
    const was = this.lock.state.locked;
    if (!this.lock.merge(s, Date.now())) return;
    if (s.locked !== was) {
      // `by` is what the sender says (a relayed state names whoever set it); only `from` is
      // authenticated by the channel, so a relayed claim is shown as the sender's.
      const did = s.locked ? 'locked' : 'unlocked';
      this.#line(
        s.by === from
          ? `${this.#host.nameOf(from)} ${did} the room`
          : `The room is ${did} (set by ${this.#name(s.by)}, as ${this.#host.nameOf(from)} says)`,
      );
    }
    if (!s.locked) this.#releaseAll();
  }

  /** Lets the held newcomer `fp` in, and tells the other members to let it in too. @param {string} fp */
  admit(fp) {
    this.#toAll({ t: 'admit', fp });
    this.#admit(fp, null);
    this.#emit('change');
  }

  /** @param {string} fp the newcomer @param {string | null} by the member who let it in (null: us) */
  #admit(fp, by) {
    if (fp === this.#self()) return; // we are let in by the `lock` each member sends us
    this.lock.admitted.add(fp);
    if (this.lock.held.has(fp) || by === null)
      this.#line(`${by === null ? 'You' : this.#host.nameOf(by)} let ${this.#host.nameOf(fp)} in`);
    this.#release(fp);
  }

  #releaseAll() {
    for (const fp of [...this.lock.held]) this.#release(fp);
  }

  /** @param {string} fp */
  #release(fp) {
    if (!this.lock.held.delete(fp)) return;
    this.lock.known.add(fp);
    this.#host.attach(fp); // peerUp again: `lock` first, then the key and SDP
  }

  // --- removal (§8.3) --------------------------------------------------------------------------

  /**
   * Removes the member `fp`: a new room secret goes to every other member, `removed` to it, and
   * this call moves to the new room ('move'). Returns false if the link cannot be made. @param {string} fp
   */
  remove(fp) {
    const pin = this.#host.pin();
    if (pin === null || this.moved) return false;
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const fragment = formatLinkFragment(secret, pin);
    const encoded = base64UrlEncode(secret);
    secret.fill(0);
    for (const m of this.#host.members())
      if (m !== fp) this.#host.send(m, { t: 'remove', fp, secret: encoded });
    this.#host.send(fp, { t: 'removed' });
    this.#line(`You removed ${this.#host.nameOf(fp)}: everyone else moves to a new room`);
    this.moved = true;
    this.#emit('move', { fragment });
    return true;
  }

  /** @param {string} by @param {string} fp the removed member @param {string} encoded */
  #onRemove(by, fp, encoded) {
    const pin = this.#host.pin();
    const secret = base64UrlDecode(encoded);
    if (fp === this.#self() || pin === null || secret === null) return; // not for us to follow
    const who = this.#host.nameOf(by);
    if (this.moved) {
      this.#line(`${who} also removed ${this.#host.nameOf(fp)}; you stay where you moved first`);
      return;
    }
    this.#line(`${who} removed ${this.#host.nameOf(fp)}: moving everyone else to a new room`);
    const fragment = formatLinkFragment(secret, pin);
    secret.fill(0);
    this.moved = true;
    this.#emit('move', { fragment });
  }

  // --- recording -------------------------------------------------------------------------------

  /** We start or stop recording the call: everyone is told, and late joiners at peerUp. @param {boolean} on */
  setRecording(on) {
    const self = this.#self();
    if (on === this.recorders.has(self)) return;
    if (on) this.recorders.add(self);
    else this.recorders.delete(self);
    this.#toAll({ t: 'rec', on });
    this.#line(on ? 'You started recording' : 'You stopped recording');
    this.#emit('change');
  }

  /** Plain data for the test hook: key fps and names, no secret. */
  snapshot() {
    const names = (/** @type {Iterable<string>} */ fps) =>
      [...fps].map((fp) => (fp === this.#self() ? 'self' : this.#host.nameOf(fp)));
    return {
      lock: { ...this.lock.state },
      hands: names(this.hands),
      recorders: names(this.recorders),
      held: names(this.lock.held),
      waitingFor: names(this.lock.waitingFor),
      prompts: [...this.prompts.keys()],
      moved: this.moved,
    };
  }

  close() {
    for (const a of this.#asks.values()) clearTimeout(a.timer);
    for (const p of this.prompts.values()) clearTimeout(p.timer);
    this.#asks.clear();
    this.prompts.clear();
  }
}

// @ts-check
// Short join codes, the two sides of spec/short-codes.md: the creator opens a one-use slot at the
// gateway and shows "4-7392-81"; the joiner types it. Through the slot the two run CPace on the
// six secret digits (CK1-CK6), then the X-Wing peer handshake keyed by it, and the creator hands
// over the room link in the first peer record. Each side uses its own short-lived hop connection
// and per-session X-Wing key, both dropped when the exchange ends.
//
// SECURITY: the secret digits never leave this page: the gateway sees the slot number only. A
// failed exchange is reported to the gateway as burned (SLOT_DONE), and the code is dead: one
// guess per code.

import { concat, constantTimeEquals, wipe } from '../protocol/bytes.js';
import {
  CREATOR_ID,
  CodeParty,
  JOINER_ID,
  formatCode,
  newSecretDigits,
  parseCode,
} from '../protocol/code.js';
import { ProtocolError, errorName } from '../protocol/errors.js';
import { PeerInitiator, PeerResponder } from '../protocol/peer.js';
import { parseLinkFragment } from '../protocol/room.js';
import { XWingKeyPair } from '../protocol/xwingKeyPair.js';
import { GatewayConnection, fetchGatewayKey } from '../signal/gatewayConnection.js';
import { fetchGatewayFingerprint } from './link.js';

/** The bound on a paired exchange (spec/short-codes.md §4.2: the gateway's 30 s). */
const EXCHANGE_MS = 30_000;

/** Why a code exchange ended; `code` is an error name (ProtocolError, SignalError or local). */
export class CodeError extends Error {
  /** @param {string} code */
  constructor(code) {
    super(code);
    this.name = 'CodeError';
    this.code = code;
  }
}

/**
 * A hop connection used for one slot: decoded room messages in order, awaited one at a time.
 * @param {string} origin @param {Uint8Array} gatewayPublicKey
 */
async function slotConnection(origin, gatewayPublicKey) {
  const conn = new GatewayConnection({ origin, gatewayPublicKey });
  /** @type {any[]} */
  const queue = [];
  /** @type {((m: any) => void) | null} */
  let waiting = null;
  /** @type {CodeError | null} */
  let closed = null;
  conn.addEventListener('message', (/** @type {any} */ e) => {
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(e.detail.msg);
    } else queue.push(e.detail.msg);
  });
  conn.addEventListener('close', (/** @type {any} */ e) => {
    closed = new CodeError(e.detail.error?.code ?? 'CONNECTION_LOST');
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(null);
    }
  });
  await conn.open();
  return {
    conn,
    /** The next room message; an ERROR becomes a CodeError with its name. @param {number} ms */
    async next(ms) {
      let m = queue.shift();
      if (m === undefined) {
        if (closed) throw closed;
        /** @type {ReturnType<typeof setTimeout> | undefined} */
        let timer;
        m = await new Promise((resolve) => {
          waiting = resolve;
          timer = setTimeout(() => {
            waiting = null;
            resolve(undefined);
          }, ms);
        });
        clearTimeout(timer);
        if (m === undefined) throw new CodeError('HANDSHAKE_TIMEOUT');
        if (m === null) throw closed ?? new CodeError('CONNECTION_LOST');
      }
      if (m.type === 'ERROR') throw new CodeError(errorName(m.code) ?? 'UNKNOWN_ERROR');
      return m;
    },
    /** The next relayed envelope from the other member. @param {Uint8Array} from @param {number} ms */
    async envelope(from, ms) {
      for (;;) {
        const m = await this.next(ms);
        if (m.type === 'RELAYED' && constantTimeEquals(m.from, from)) return m.envelope;
        if (m.type !== 'RELAYED') throw new CodeError('UNEXPECTED_MESSAGE');
      }
    },
    /** @param {any} msg */
    send(msg) {
      return conn.send(msg);
    },
    close() {
      return conn.close(1000);
    },
  };
}

/** @param {unknown} e */
function codeOf(e) {
  if (e instanceof CodeError || e instanceof ProtocolError) return e.code;
  return /** @type {any} */ (e)?.code ?? 'INTERNAL';
}

/**
 * The creator's side. Opens a slot on `origin` for the room of `fragment` (its link), calls
 * onCode({code, ttl}) when the code is ready, and resolves when a joiner got the link. Rejects
 * with CodeError: SLOT_EXPIRED, SLOT_BURNED (a wrong attempt), SLOT_RATE_LIMITED,
 * TOO_MANY_SLOTS, CANCELLED, or a connection or protocol code.
 * @param {{origin: string, fragment: string, onCode: (c: {code: string, ttl: number}) => void,
 *          onPaired?: () => void, signal?: AbortSignal}} o
 */
export async function offerCode({ origin, fragment, onCode, onPaired, signal }) {
  const parsed = parseLinkFragment(fragment);
  if (parsed === null) throw new CodeError('BAD_LINK');
  parsed.secret.fill(0);
  const fp = parsed.fingerprint;
  const gatewayKey = await fetchGatewayKey(origin, fp);
  const slot = await slotConnection(origin, gatewayKey);
  const key = XWingKeyPair.generate();
  const digits = newSecretDigits();
  let paired = false;
  const onAbort = () => slot.send({ type: 'SLOT_DONE', outcome: 'burned' }).catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await slot.send({ type: 'SLOT_OPEN', publicKey: key.publicKey() });
    const opened = await slot.next(10_000);
    if (opened.type !== 'SLOT_OPENED') throw new CodeError('UNEXPECTED_MESSAGE');
    onCode({ code: formatCode(opened.slot, digits), ttl: opened.ttl });
    const pairedMsg = await slot.next(opened.ttl * 1000 + 5_000);
    if (pairedMsg.type !== 'SLOT_PAIRED') throw new CodeError('UNEXPECTED_MESSAGE');
    paired = true;
    onPaired?.();
    const party = CodeParty.creator(digits, fp, opened.slot, opened.sid);
    await slot.send({ type: 'RELAY', to: JOINER_ID, envelope: party.shareMessage() });
    const cp1 = await slot.envelope(JOINER_ID, EXCHANGE_MS);
    const init = await slot.envelope(JOINER_ID, EXCHANGE_MS);
    const accepted = PeerResponder.receive(party.receive(cp1), key, init);
    await slot.send({ type: 'RELAY', to: JOINER_ID, envelope: accepted.peerAccept });
    const session = accepted.next.receive(await slot.envelope(JOINER_ID, EXCHANGE_MS));
    const invite = new TextEncoder().encode(JSON.stringify({ t: 'invite', link: fragment }));
    await slot.send({ type: 'RELAY', to: JOINER_ID, envelope: await session.channel.seal(invite) });
    await slot.send({ type: 'SLOT_DONE', outcome: 'used' });
  } catch (e) {
    if (signal?.aborted) throw new CodeError('CANCELLED');
    if (paired) await slot.send({ type: 'SLOT_DONE', outcome: 'burned' }).catch(() => {});
    throw e instanceof CodeError ? e : new CodeError(codeOf(e));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    key.destroy();
    await slot.close();
  }
}

/**
 * The joiner's side: reads `text`, trusts the gateway key this origin serves now (there is no
 * link to pin it yet; the creator's link pins the same key, and CK1 binds it, so another key
 * fails the exchange), runs the exchange and resolves with the room link fragment. Rejects with
 * CodeError: INCOMPLETE_CODE (nothing sent), CONFIRMATION_FAILED (wrong code: the slot is now
 * burned), SLOT_UNKNOWN, SLOT_EXPIRED, SLOT_USED, SLOT_BURNED, SLOT_RATE_LIMITED, or a
 * connection or protocol code.
 * @param {{origin: string, text: string}} o
 */
export async function redeemCode({ origin, text }) {
  const code = parseCode(text);
  if (code === null) throw new CodeError('INCOMPLETE_CODE');
  const fp = await fetchGatewayFingerprint(origin);
  const gatewayKey = await fetchGatewayKey(origin, fp);
  const slot = await slotConnection(origin, gatewayKey);
  const key = XWingKeyPair.generate();
  let paired = false;
  try {
    await slot.send({ type: 'SLOT_JOIN', slot: code.slot, publicKey: key.publicKey() });
    const p = await slot.next(10_000);
    if (p.type !== 'SLOT_PAIRED') throw new CodeError('UNEXPECTED_MESSAGE');
    paired = true;
    const party = CodeParty.joiner(code.digits, fp, code.slot, p.sid);
    await slot.send({ type: 'RELAY', to: CREATOR_ID, envelope: party.shareMessage() });
    const ctx = party.receive(await slot.envelope(CREATOR_ID, EXCHANGE_MS));
    const started = PeerInitiator.start(ctx, key, p.publicKey);
    await slot.send({ type: 'RELAY', to: CREATOR_ID, envelope: started.peerInit });
    const established = started.next.receive(await slot.envelope(CREATOR_ID, EXCHANGE_MS));
    await slot.send({ type: 'RELAY', to: CREATOR_ID, envelope: established.peerFinish });
    const record = await slot.envelope(CREATOR_ID, EXCHANGE_MS);
    const plain = await established.session.channel.open(record);
    const link = readInvite(plain, fp);
    wipe(plain);
    await slot.send({ type: 'SLOT_DONE', outcome: 'used' }).catch(() => {});
    return link;
  } catch (e) {
    if (paired) await slot.send({ type: 'SLOT_DONE', outcome: 'burned' }).catch(() => {});
    throw e instanceof CodeError ? e : new CodeError(codeOf(e));
  } finally {
    key.destroy();
    await slot.close();
  }
}

/**
 * The invite record (spec/short-codes.md §4.2): {"t":"invite","link":fragment}, whose pinned
 * fingerprint must be the one bound into CK1.
 * @param {Uint8Array} plain @param {Uint8Array} fp
 */
function readInvite(plain, fp) {
  let msg;
  try {
    msg = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
  } catch {
    throw new CodeError('MALFORMED_MESSAGE');
  }
  if (msg === null || typeof msg !== 'object' || msg.t !== 'invite' || typeof msg.link !== 'string')
    throw new CodeError('MALFORMED_MESSAGE');
  const parsed = parseLinkFragment(msg.link);
  if (parsed === null) throw new CodeError('MALFORMED_MESSAGE');
  parsed.secret.fill(0);
  if (!constantTimeEquals(concat(parsed.fingerprint), fp))
    throw new CodeError('CONFIRMATION_FAILED');
  return /** @type {string} */ (msg.link);
}

/** What to tell the user for each way a code can fail (spec/short-codes.md §6). */
export const CODE_MESSAGES = Object.freeze({
  joiner: /** @type {Record<string, string>} */ ({
    INCOMPLETE_CODE: 'That code is incomplete: it looks like 4-7392-81.',
    CONFIRMATION_FAILED: 'That code did not match. It is used up now: ask for a new code.',
    SLOT_EXPIRED: 'That code has expired. Ask for a new one.',
    SLOT_USED: 'That code was already used. Ask for a new one.',
    SLOT_BURNED: 'That code is used up (a wrong attempt). Ask for a new one.',
    SLOT_UNKNOWN: 'No such code. Check the first number, or ask for a new code.',
    SLOT_RATE_LIMITED: 'Too many attempts from this network. Wait a minute.',
  }),
  creator: /** @type {Record<string, string>} */ ({
    SLOT_EXPIRED: 'The code expired. Create a new one.',
    SLOT_BURNED: 'Someone entered a wrong code. That code is used up: create a new one.',
    SLOT_RATE_LIMITED: 'Too many codes from this network. Wait a minute.',
    TOO_MANY_SLOTS: 'The gateway is busy. Try again in a minute.',
  }),
});

/** @param {'joiner' | 'creator'} side @param {string} code */
export function codeMessage(side, code) {
  return CODE_MESSAGES[side][code] ?? `The code exchange failed (${code}). Try a new code.`;
}

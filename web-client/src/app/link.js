// @ts-check
// Invite links: https://host/#<base64url secret>.<base64url gateway fingerprint>
// (spec/room-secret.md §2). The fragment is never part of an HTTP request (browsers do not send
// it, and the gateway's Referrer-Policy is no-referrer), so the gateway never learns the secret.

import {
  Fingerprint,
  RoomSecret,
  formatLinkFragment,
  parseLinkFragment,
} from '../protocol/index.js';
import { base64UrlDecode, constantTimeEquals, fromHex } from '../protocol/bytes.js';

export class AppError extends Error {
  /** @param {string} code one of the keys of src/messages.js @param {string} [detail] */
  constructor(code, detail) {
    super(code);
    this.code = code;
    this.detail = detail;
  }
}

/** WebCrypto (and so the whole client) only exists in a secure context. */
export function checkSecureContext() {
  if (!globalThis.isSecureContext || !globalThis.crypto?.subtle)
    throw new AppError('INSECURE_CONTEXT');
}

/**
 * The gateway's key fingerprint, read from /.well-known/hybridge.json of this origin. Used only
 * when creating a NEW room: whoever creates the link vouches for the gateway they see now; every
 * later join checks the gateway against the fingerprint in the link (CallSession.start()).
 * @param {string} origin @param {typeof fetch} [fetchImpl]
 */
export async function fetchGatewayFingerprint(
  origin,
  fetchImpl = globalThis.fetch.bind(globalThis),
) {
  let res;
  try {
    res = await fetchImpl(new URL('/.well-known/hybridge.json', origin), {
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new AppError('GATEWAY_UNREACHABLE');
  }
  if (!res.ok) throw new AppError('GATEWAY_UNREACHABLE', `HTTP ${res.status}`);
  const doc = await res.json().catch(() => null);
  const pk = typeof doc?.public_key === 'string' ? base64UrlDecode(doc.public_key) : null;
  const fp =
    typeof doc?.fingerprint === 'string' && /^[0-9a-f]{64}$/.test(doc.fingerprint)
      ? fromHex(doc.fingerprint)
      : null;
  if (pk === null || fp === null) throw new AppError('GATEWAY_BAD_DOCUMENT');
  // The document states both; they must agree, or it is not a Hybridge gateway we can pin.
  if (!constantTimeEquals(Fingerprint.of(pk), fp)) throw new AppError('GATEWAY_BAD_DOCUMENT');
  return fp;
}

/** A new room: 32 fresh random bytes, and the link that carries them with the pin. @param {string} origin @param {typeof fetch} [fetchImpl] */
export async function createRoomLink(origin, fetchImpl) {
  const fingerprint = await fetchGatewayFingerprint(origin, fetchImpl);
  const secret = RoomSecret.generate();
  const fragment = formatLinkFragment(secret, fingerprint);
  secret.fill(0);
  return { link: `${new URL('/', origin).href}#${fragment}`, fragment, fingerprint };
}

/**
 * Reads a pasted link or bare fragment. Returns { origin, fragment } or null. A link to another
 * origin is accepted only as a navigation target: the room lives on the gateway that serves it.
 * @param {string} text
 */
export function readPastedLink(text) {
  const s = String(text ?? '').trim();
  const hash = s.indexOf('#');
  const fragment = hash >= 0 ? s.slice(hash + 1) : s;
  const parsed = parseLinkFragment(fragment);
  if (parsed === null) return null;
  parsed.secret.fill(0);
  let origin = null;
  if (hash > 0) {
    try {
      const u = new URL(s.slice(0, hash));
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
      origin = u.origin;
    } catch {
      return null;
    }
  }
  return { origin, fragment };
}

export { parseLinkFragment };

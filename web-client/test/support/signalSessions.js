// Helpers for the signaling tests against the real gateway: CallSessions that record every
// event, and waiting for an event that may already have happened.

import { CallSession } from '../../src/signal/session.js';

const EVENTS = [
  'state',
  'peer-up',
  'peer-down',
  'peer-failed',
  'peer-state',
  'peer-message',
  'view-mismatch',
  'error',
  'warning',
  'message-dropped',
];

/** A CallSession on `gw` for `roomSecret`, with `s.log` = [{type, detail, at}] of all its events. */
export function session(gw, roomSecret, name, options = {}) {
  const s = new CallSession({
    origin: gw.url,
    roomSecret,
    pinnedFingerprint: gw.fingerprint,
    name,
    ...options,
  });
  s.log = [];
  s.label = name;
  for (const type of EVENTS) {
    s.addEventListener(type, (e) => {
      s.log.push({ type, detail: e.detail, at: performance.now() });
      if (process.env.HYBRIDGE_TEST_LOG) {
        const d = { ...e.detail };
        if (d.peer) d.peer = `${d.peer.name ?? d.peer.keyFp.slice(0, 8)}/${d.peer.state}`;
        console.error(`[${name}] ${type} ${JSON.stringify(d).slice(0, 160)}`);
      }
    });
  }
  return s;
}

/**
 * Resolves with the detail of the first event `type` of `s` (from log index `from` on) for which
 * `pred(detail)` holds; rejects after `timeout` ms with the events seen so far.
 */
export function waitFor(s, type, pred = () => true, { timeout = 20_000, from = 0 } = {}) {
  for (let i = from; i < s.log.length; i++) {
    if (s.log[i].type === type && pred(s.log[i].detail)) return Promise.resolve(s.log[i].detail);
  }
  return new Promise((resolve, reject) => {
    const listener = (e) => {
      if (!pred(e.detail)) return;
      clearTimeout(timer);
      s.removeEventListener(type, listener);
      resolve(e.detail);
    };
    const timer = setTimeout(() => {
      s.removeEventListener(type, listener);
      const seen = s.log
        .slice(-15)
        .map(
          (x) =>
            `${x.type}${x.detail?.code ? `(${x.detail.code})` : ''}${x.detail?.state ? `(${x.detail.state})` : ''}`,
        );
      reject(
        new Error(`${s.label}: no '${type}' within ${timeout} ms; last events: ${seen.join(', ')}`),
      );
    }, timeout);
    s.addEventListener(type, listener);
  });
}

/** Waits until `s` has a 'peer-up' for the peer whose key fingerprint is `keyFp` (after log index `from`). */
export function peerUp(s, keyFp, opts) {
  return waitFor(s, 'peer-up', (d) => d.peer.keyFp === keyFp, opts);
}

/** Every pair of `sessions` has its channel up, in both directions. */
export async function allConnected(sessions, opts) {
  const waits = [];
  for (const a of sessions) {
    for (const b of sessions) if (a !== b) waits.push(peerUp(a, b.selfKeyFp, opts));
  }
  await Promise.all(waits);
}

/** The 'peer-message' details of `s` from `peerFp` of type `t`, in arrival order. */
export function messages(s, peerFp, t) {
  return s.log
    .filter(
      (x) => x.type === 'peer-message' && x.detail.peer.keyFp === peerFp && x.detail.msg.t === t,
    )
    .map((x) => x.detail.msg);
}

export function events(s, type) {
  return s.log.filter((x) => x.type === type).map((x) => x.detail);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function chat(text) {
  const id = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  return { t: 'chat', id, text, kind: 'text', ts: Date.now() };
}

/** Leaves every session, ignoring ones already closed. */
export async function leaveAll(sessions) {
  await Promise.all(sessions.map((s) => s.leave().catch(() => {})));
}

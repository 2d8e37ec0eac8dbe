// What a working call is, checked on pages of any browser (Chromium pages from browser.js,
// Firefox pages from firefox.js): every pair connected with the same SAS, audio and video
// decoded both ways and rising, SFrame transforms and counters on every sender and receiver,
// chat in every direction. Used by the mixed-browser tests (firefox-*.test.js).

import assert from 'node:assert/strict';
import { inboundFrom, peerNamed, sleep, stats, summary, waitFor } from './browser.js';

const b64 = (u8) => Buffer.from(u8).toString('base64url');

/** A link to a new room on `gw` (what the landing page makes). */
export function newLink(gw) {
  return `${gw.url}/#${b64(crypto.getRandomValues(new Uint8Array(32)))}.${b64(gw.fingerprint)}`;
}

/** `s` (a page's stats) sees every name in `others` connected: channel, SAS and media connection. */
export function connectedTo(s, others) {
  return others.every((n) => {
    const fp = peerNamed(s, n);
    return (
      fp !== null &&
      s.peers[fp].state === 'connected' &&
      s.peers[fp].sas !== null &&
      s.peers[fp].media?.connectionState === 'connected'
    );
  });
}

/** frames and samples each named page receives from every other one. @param {Record<string, any>} pages */
export async function mediaMatrix(pages, names) {
  const m = {};
  for (const a of names) {
    const s = await stats(pages[a]);
    m[a] = {};
    for (const b of names) if (b !== a) m[a][b] = inboundFrom(s, peerNamed(s, b));
  }
  return m;
}

/** Waits until every page decodes more video and audio from every other page than in `before`. */
export async function waitRising(pages, names, before, what, { timeout = 30_000 } = {}) {
  for (const a of names) {
    const others = names.filter((b) => b !== a);
    await waitFor(
      pages[a],
      (s) =>
        others.every((b) => {
          const now = inboundFrom(s, peerNamed(s, b));
          return now.video > before[a][b].video && now.audio > before[a][b].audio;
        }),
      { timeout, what: `${what}: ${a} decodes video and audio from ${others}` },
    );
  }
}

/**
 * The whole check of a call between `names` (pages[name] are in the same room): connected, SAS
 * equal per pair, media decoded both ways on every pair and rising, SFrame on every sender and
 * receiver with non-zero counters, VP8/VP9 only, chat from each to all. Returns the key
 * fingerprints by name.
 * @param {Record<string, any>} pages @param {string[]} names @param {string} what
 */
export async function checkCall(pages, names, what) {
  for (const n of names) {
    const others = names.filter((x) => x !== n);
    await waitFor(pages[n], (s) => connectedTo(s, others), {
      timeout: 45_000,
      what: `${what}: ${n} connected to ${others}`,
    });
  }
  const all = {};
  for (const n of names) all[n] = await stats(pages[n]);
  /** fps[a][b]: b's key fingerprint as a sees it */
  const fp = (a, b) => peerNamed(all[a], b);
  for (const a of names)
    for (const b of names) {
      if (a >= b) continue;
      const sas = all[a].peers[fp(a, b)].sas;
      assert.match(sas, /^\d{4}-\d{4}-\d{4}$/);
      assert.equal(all[b].peers[fp(b, a)].sas, sas, `${what}: SAS ${a}-${b} equal at both ends`);
    }

  // Media both ways on every pair: decoded video frames and received audio samples rise.
  await waitRising(pages, names, await mediaMatrix(pages, names), what);

  // SFrame on every sender and receiver, counters non-zero, VP8/VP9 only.
  for (const n of names) {
    const s = await stats(pages[n]);
    assert.ok(['script', 'encoded-streams'].includes(s.transformApi), `${n}: ${s.transformApi}`);
    assert.ok(s.sframe.send.frames > 0 && s.sframe.send.kid !== null, `${what}: ${n} encrypts`);
    assert.ok(s.sframe.transforms.send >= 4, `${n}: a send transform per sender`);
    assert.ok(s.sframe.transforms.receive >= 4, `${n}: a receive transform per receiver`);
    for (const o of names.filter((x) => x !== n)) {
      const ofp = peerNamed(s, o);
      const p = s.peers[ofp];
      assert.ok(s.sframe.receive[ofp]?.frames > 0, `${what}: ${n} decrypts ${o}'s frames`);
      assert.ok(
        p.media.senderTransforms.length === 4 && p.media.senderTransforms.every(Boolean),
        `${what}: ${n}->${o} every sender transformed`,
      );
      assert.ok(
        p.media.receiverTransforms.length === 4 && p.media.receiverTransforms.every(Boolean),
        `${what}: ${n}<-${o} every receiver transformed`,
      );
      for (const i of p.media.inbound.filter((x) => x.kind === 'video' && x.framesDecoded > 0))
        assert.match(i.codec, /^video\/VP[89]$/i, 'whole-frame SFrame needs VP8/VP9');
      const refused = Object.keys(p.media.negotiation).filter((k) => k.startsWith('refused:'));
      assert.deepEqual(refused, [], `${what}: ${n} refused nothing from ${o}`);
    }
  }

  // Chat from each page to every other one.
  const stamp = Date.now().toString(36);
  for (const n of names) {
    await pages[n].fill('#chat-text', `${what}: hello from ${n} ${stamp}`);
    await pages[n].click('#chat-form button[type=submit]');
  }
  for (const n of names)
    await waitFor(
      pages[n],
      (s) => names.every((o) => s.chat.some((c) => c.text === `${what}: hello from ${o} ${stamp}`)),
      { what: `${what}: ${n} has every chat message` },
    );
  return Object.fromEntries(
    names.map((n) => [n, Object.fromEntries(names.map((o) => [o, fp(n, o)]))]),
  );
}

/** The page's room-control snapshot (spec/peer-messages.md §8), or null outside a call. */
export const room = (page) => page.evaluate(() => globalThis.__hybridge.room());

/**
 * Reads with `read` every 200 ms until `done(value)` holds and returns that value; after
 * `timeout` ms throws with `describe(last value)`.
 */
async function pollUntil(read, done, describe, timeout) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(await describe(v));
    await sleep(200);
  }
}

/** Polls the page's room-control snapshot until `predicate` holds (Chromium or Firefox pages). */
export function waitRoom(page, predicate, what, timeout = 60_000) {
  return pollUntil(
    () => room(page),
    (r) => r !== null && predicate(r),
    async (r) =>
      `timed out waiting for ${what}; last: ${JSON.stringify(r)}; stats: ${JSON.stringify(summary(await stats(page))).slice(0, 3000)}`,
    timeout,
  );
}

/**
 * Waits until the page's own recording has written `chunks` non-empty chunks (about a second
 * of the call each): something to record, without guessing how long the encoder takes to start.
 */
export function waitRecorded(page, chunks = 2, timeout = 30_000) {
  return pollUntil(
    () => page.evaluate(() => globalThis.__hybridge.recordingNow()),
    (r) => r !== null && r.chunks >= chunks,
    (r) => `timed out waiting for ${chunks} recorded chunks; last: ${JSON.stringify(r)}`,
    timeout,
  );
}

// SFrame (RFC 9605) tests: every RFC 9605 Appendix C vector, negative cases, the Hybridge KID
// scheme, and the worker driven through stand-in streams. Run: node --test web-client/test/
//
// Vectors come from <repo>/../shared/vectors/sframe-rfc9605/ and are never copied into the repo.
// Without ../shared the vector tests skip with a loud banner; with it, a file that is missing or
// holds zero vectors fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as sf from '../src/media/sframe.js';
import { concat } from '../src/protocol/bytes.js';
import {
  SenderKeyEpochs,
  makeKid,
  kidSenderTag,
  kidGeneration,
  GENERATION_MAX,
} from '../src/media/sframe-keys.js';
import { installSFrameWorker } from '../src/media/sframe-worker.js';

const { ErrorCode, SFrameContext, SFrameError } = sf;

// --- vector loading ----------------------------------------------------------------------------

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const sharedDir = path.resolve(repoRoot, '..', 'shared');
const vectorsDir = path.join(sharedDir, 'vectors', 'sframe-rfc9605');
const sharedPresent = fs.existsSync(sharedDir);

if (!sharedPresent) {
  console.error(
    '\n' +
      '!'.repeat(78) +
      '\n' +
      `!!! SFRAME VECTOR TESTS SKIPPED: ${sharedDir} is absent.\n` +
      '!!! RFC 9605 Appendix C vectors were NOT checked. Check out ../shared beside the repo.\n' +
      '!'.repeat(78) +
      '\n',
  );
}
const skipVectors = sharedPresent ? false : `../shared absent (${sharedDir})`;

const hex = (s) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (u8) => Buffer.from(u8).toString('hex');

/**
 * JSON.parse loses precision above 2^53, and the vectors hold 64-bit kid/ctr values. Quote every
 * kid/ctr literal first, then read it as BigInt.
 */
function loadCiscoVectors() {
  const text = fs.readFileSync(path.join(vectorsDir, 'cisco', 'test-vectors.json'), 'utf8');
  const quoted = text.replace(/"(kid|ctr)"(\s*):(\s*)(\d+)/g, '"$1"$2:$3"$4"');
  const data = JSON.parse(quoted);
  for (const v of [...data.header, ...data.sframe]) {
    assert.equal(typeof v.kid, 'string');
    assert.equal(typeof v.ctr, 'string');
    v.kid = BigInt(v.kid);
    v.ctr = BigInt(v.ctr);
  }
  return data;
}

/** `~~~ test-vectors` blocks of an RFC 9605 Appendix C markdown file as {field: hex-or-value}. */
function loadMarkdownBlocks(name) {
  const text = fs.readFileSync(path.join(vectorsDir, 'sframe-wg', name), 'utf8');
  const blocks = [];
  for (const m of text.matchAll(/~~~ test-vectors\n([\s\S]*?)~~~/g)) {
    const block = {};
    let field = null;
    for (const line of m[1].split('\n')) {
      if (line.trim() === '') continue;
      const kv = /^([a-z_]+):\s*(\S*)$/.exec(line);
      if (kv) {
        field = kv[1];
        block[field] = kv[2];
      } else {
        block[field] += line.trim(); // hex continued on the next line
      }
    }
    blocks.push(block);
  }
  return blocks;
}

let vectors = null;
function getVectors() {
  if (vectors === null) vectors = loadCiscoVectors();
  return vectors;
}

const RFC_SUITES = [1, 2, 3, 4, 5];

// --- vectors -------------------------------------------------------------------------------------

test('vectors: loaded, none missing (zero vectors is a failure)', { skip: skipVectors }, () => {
  const v = getVectors();
  // Pinned file, exactly RFC 9605 Appendix C (../shared/vectors/SOURCES.md).
  assert.equal(v.header.length, 289, 'header vectors');
  assert.equal(v.aes_ctr_hmac.length, 3, 'aes_ctr_hmac vectors');
  assert.equal(v.sframe.length, 5, 'sframe vectors');
  assert.deepEqual(
    v.sframe.map((x) => x.cipher_suite),
    RFC_SUITES,
  );
});

test(
  'vectors: all 289 headers encode and decode (RFC 9605 §4.3, Appendix C.1)',
  { skip: skipVectors },
  () => {
    const v = getVectors();
    let passed = 0;
    for (const h of v.header) {
      const encoded = hex(h.encoded);
      assert.equal(
        toHex(sf.encodeHeader(h.kid, h.ctr)),
        h.encoded,
        `encode kid=${h.kid} ctr=${h.ctr}`,
      );
      const d = sf.decodeHeader(encoded);
      assert.equal(d.kid, h.kid);
      assert.equal(d.ctr, h.ctr);
      assert.equal(d.length, encoded.length);
      // A header followed by ciphertext parses to the same values and length.
      const d2 = sf.decodeHeader(concat(encoded, Uint8Array.of(0xff, 0x00, 0x80)));
      assert.deepEqual(d2, d);
      // Every truncation of a multi-byte header is malformed.
      for (let n = 0; n < encoded.length; n++) {
        assert.throws(
          () => sf.decodeHeader(encoded.subarray(0, n)),
          (e) => e.code === ErrorCode.SFRAME_MALFORMED,
          `truncated to ${n}`,
        );
      }
      passed++;
    }
    assert.equal(passed, 289);
    console.log(`  sframe header vectors passed: ${passed}`);
  },
);

test(
  'vectors: all aes_ctr_hmac AEAD vectors, suites 0x0001-0x0003 (RFC 9605 §4.5.1, Appendix C.2)',
  { skip: skipVectors },
  async () => {
    const v = getVectors();
    const perSuite = {};
    for (const x of v.aes_ctr_hmac) {
      const key = hex(x.key);
      const sub = sf.deriveSubkeys(x.cipher_suite, key);
      assert.equal(toHex(sub.encKey), x.enc_key);
      assert.equal(toHex(sub.authKey), x.auth_key);
      const aead = await sf.importAeadKey(x.cipher_suite, key);
      const ct = await sf.aeadEncrypt(aead, hex(x.nonce), hex(x.aad), hex(x.pt));
      assert.equal(toHex(ct), x.ct, `encrypt suite ${x.cipher_suite}`);
      const pt = await sf.aeadDecrypt(aead, hex(x.nonce), hex(x.aad), hex(x.ct));
      assert.equal(toHex(pt), x.pt, `decrypt suite ${x.cipher_suite}`);
      perSuite[x.cipher_suite] = (perSuite[x.cipher_suite] ?? 0) + 1;
    }
    assert.deepEqual(perSuite, { 1: 1, 2: 1, 3: 1 });
    console.log(`  sframe aes_ctr_hmac vectors passed per suite: ${JSON.stringify(perSuite)}`);
  },
);

test(
  'vectors: all sframe vectors, suites 0x0001-0x0005, every intermediate (RFC 9605 §4.4, Appendix C.3)',
  { skip: skipVectors },
  async () => {
    const v = getVectors();
    const perSuite = {};
    for (const x of v.sframe) {
      const suite = x.cipher_suite;
      const baseKey = hex(x.base_key);
      const metadata = hex(x.metadata);
      assert.equal(toHex(sf.keyLabel(x.kid, suite)), x.sframe_key_label);
      assert.equal(toHex(sf.saltLabel(x.kid, suite)), x.sframe_salt_label);
      const d = await sf.deriveKeySalt(suite, x.kid, baseKey);
      assert.equal(toHex(d.sframeSecret), x.sframe_secret, `sframe_secret suite ${suite}`);
      assert.equal(toHex(d.sframeKey), x.sframe_key, `sframe_key suite ${suite}`);
      assert.equal(toHex(d.sframeSalt), x.sframe_salt, `sframe_salt suite ${suite}`);
      assert.equal(toHex(sf.formNonce(d.sframeSalt, x.ctr)), x.nonce, `nonce suite ${suite}`);
      assert.equal(
        toHex(concat(sf.encodeHeader(x.kid, x.ctr), metadata)),
        x.aad,
        `aad suite ${suite}`,
      );

      // encrypt gives ct
      const key = await sf.importSFrameKey(suite, x.kid, baseKey);
      const ct = await sf.sealFrame(key, x.ctr, metadata, hex(x.pt));
      assert.equal(toHex(ct), x.ct, `encrypt suite ${suite}`);

      // decrypt gives pt, through the public context API
      const ctx = new SFrameContext({ cipherSuite: suite, baseKeyLength: 0 });
      await ctx.addReceiveKey(x.kid, baseKey);
      const r = await ctx.decryptFrame(hex(x.ct), metadata);
      assert.equal(toHex(r.plaintext), x.pt, `decrypt suite ${suite}`);
      assert.equal(r.kid, x.kid);
      assert.equal(r.ctr, x.ctr);
      // The same frame again is a replay.
      await assert.rejects(
        ctx.decrypt(hex(x.ct), metadata),
        (e) => e.code === ErrorCode.SFRAME_REPLAYED,
      );
      perSuite[suite] = (perSuite[suite] ?? 0) + 1;
    }
    assert.deepEqual(perSuite, { 1: 1, 2: 1, 3: 1, 4: 1, 5: 1 });
    console.log(`  sframe vectors passed per suite: ${JSON.stringify(perSuite)}`);
  },
);

test(
  'vectors: the JSON equals the RFC 9605 Appendix C text (sframe-wg/*.md)',
  { skip: skipVectors },
  () => {
    const v = getVectors();
    const headers = loadMarkdownBlocks('header.md');
    assert.equal(headers.length, 289);
    headers.forEach((b, i) => {
      assert.equal(BigInt(b.kid), v.header[i].kid);
      assert.equal(BigInt(b.ctr), v.header[i].ctr);
      assert.equal(b.header, v.header[i].encoded);
    });
    const frames = loadMarkdownBlocks('sframe.md');
    assert.equal(frames.length, 5);
    frames.forEach((b, i) => {
      const j = v.sframe[i];
      assert.equal(Number(b.cipher_suite), j.cipher_suite);
      assert.equal(BigInt(b.kid), j.kid);
      assert.equal(BigInt(b.ctr), j.ctr);
      for (const f of [
        'base_key',
        'sframe_key_label',
        'sframe_salt_label',
        'sframe_secret',
        'sframe_key',
        'sframe_salt',
        'metadata',
        'nonce',
        'aad',
        'pt',
        'ct',
      ]) {
        assert.equal(b[f], j[f], `${f} suite ${j.cipher_suite}`);
      }
    });
    const aead = loadMarkdownBlocks('aes-ctr-hmac.md').filter((b) => Number(b.cipher_suite) <= 5);
    assert.equal(aead.length, 3);
    aead.forEach((b, i) => {
      for (const f of ['key', 'enc_key', 'auth_key', 'nonce', 'aad', 'pt', 'ct'])
        assert.equal(b[f], v.aes_ctr_hmac[i][f]);
    });
  },
);

// --- header edge cases ---------------------------------------------------------------------------

test('header: non-minimal encodings are malformed; u64 bounds', () => {
  const malformed = (bytes) =>
    assert.throws(
      () => sf.decodeHeader(Uint8Array.from(bytes)),
      (e) => e instanceof SFrameError && e.code === ErrorCode.SFRAME_MALFORMED,
    );
  malformed([]);
  malformed([0x80, 0x05]); // KID 5 in an extension byte: must sit in K
  malformed([0x08, 0x07]); // CTR 7 in an extension byte: must sit in C
  malformed([0x90, 0x00, 0x10]); // two-byte KID with a leading zero
  malformed([0x09, 0x00, 0xff]); // two-byte CTR with a leading zero
  malformed([0xf0, 1, 2, 3, 4, 5, 6, 7]); // 8-byte KID, 7 bytes present
  assert.equal(toHex(sf.encodeHeader(sf.U64_MAX, sf.U64_MAX)), 'ff' + 'ff'.repeat(16));
  assert.throws(() => sf.encodeHeader(1n << 64n, 0), RangeError);
  assert.throws(() => sf.encodeHeader(-1, 0), RangeError);
  assert.throws(() => sf.encodeHeader(1.5, 0), TypeError);
  assert.equal(sf.kidToHex('0x123'), '0x0000000000000123');
});

// --- negative tests on the context --------------------------------------------------------------

function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

async function pair(cipherSuite = sf.HYBRIDGE_SUITE, kid = makeKid(0x1234abcd, 7), opts = {}) {
  const baseKey = randomBytes(32);
  const sender = new SFrameContext({ cipherSuite, ...opts });
  const receiver = new SFrameContext({ cipherSuite, ...opts });
  await sender.addSendKey(kid, baseKey.slice());
  await receiver.addReceiveKey(kid, baseKey.slice());
  return { sender, receiver, kid, baseKey };
}

for (const suite of RFC_SUITES) {
  test(`negative: every single-bit flip is refused, suite 0x000${suite}`, async () => {
    const { sender, receiver } = await pair(suite);
    for (let i = 0; i < 9; i++) await sender.encrypt(randomBytes(3)); // CTR 9 needs an extension byte
    const frame = await sender.encrypt(randomBytes(24));
    const header = sf.decodeHeader(frame);
    const codes = { header: new Set(), body: new Set() };
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const bad = frame.slice();
      bad[bit >> 3] ^= 0x80 >> (bit & 7);
      let code = null;
      try {
        await receiver.decrypt(bad);
      } catch (e) {
        assert.ok(e instanceof SFrameError, 'typed error');
        code = e.code;
      }
      assert.notEqual(code, null, `bit ${bit} flipped and accepted`);
      (bit >> 3 < header.length ? codes.header : codes.body).add(code);
    }
    // Ciphertext and tag: authentication failure, always.
    assert.deepEqual([...codes.body], [ErrorCode.SFRAME_AUTH_FAILED]);
    // Header: the KID moves (unknown KID), the layout breaks (malformed) or the CTR moves (auth).
    assert.ok(codes.header.has(ErrorCode.SFRAME_AUTH_FAILED), 'a CTR bit flip is an auth failure');
    for (const c of codes.header) {
      assert.ok(
        [
          ErrorCode.SFRAME_AUTH_FAILED,
          ErrorCode.SFRAME_UNKNOWN_KID,
          ErrorCode.SFRAME_MALFORMED,
        ].includes(c),
      );
    }
    // The untouched frame still decrypts: failures did not move the replay window.
    assert.equal((await receiver.decrypt(frame)).length, 24);
  });
}

test('negative: wrong metadata is an auth failure', async () => {
  const { sender, receiver } = await pair();
  const frame = await sender.encrypt(randomBytes(10), Uint8Array.of(1, 2, 3));
  await assert.rejects(
    receiver.decrypt(frame, Uint8Array.of(1, 2, 4)),
    (e) => e.code === ErrorCode.SFRAME_AUTH_FAILED,
  );
  await assert.rejects(receiver.decrypt(frame), (e) => e.code === ErrorCode.SFRAME_AUTH_FAILED);
  assert.equal((await receiver.decrypt(frame, Uint8Array.of(1, 2, 3))).length, 10);
});

test('negative: a different base key under the same KID is an auth failure', async () => {
  const kid = makeKid(1, 1);
  const sender = new SFrameContext();
  const receiver = new SFrameContext();
  await sender.addSendKey(kid, randomBytes(32));
  await receiver.addReceiveKey(kid, randomBytes(32));
  await assert.rejects(
    receiver.decrypt(await sender.encrypt(randomBytes(5))),
    (e) => e.code === ErrorCode.SFRAME_AUTH_FAILED,
  );
});

test('negative: unknown KID, and a removed KID', async () => {
  const { sender, receiver, kid } = await pair();
  const other = new SFrameContext();
  await other.addSendKey(kid + 1n, randomBytes(32));
  await assert.rejects(
    receiver.decrypt(await other.encrypt(randomBytes(8))),
    (e) => e.code === ErrorCode.SFRAME_UNKNOWN_KID,
  );
  const frame = await sender.encrypt(randomBytes(8));
  assert.equal(receiver.removeReceiveKey(kid), true);
  assert.equal(receiver.removeReceiveKey(kid), false);
  await assert.rejects(receiver.decrypt(frame), (e) => e.code === ErrorCode.SFRAME_UNKNOWN_KID);
  // A KID names one key for good: adding it again (which would reset its window) is refused.
  await assert.rejects(
    receiver.addReceiveKey(kid, randomBytes(32)),
    (e) => e.code === ErrorCode.SFRAME_KEY_REJECTED,
  );
});

test('negative: every truncation is malformed or an auth failure, never accepted', async () => {
  for (const suite of RFC_SUITES) {
    const { sender, receiver } = await pair(suite);
    const frame = await sender.encrypt(randomBytes(20));
    const headerLength = sf.decodeHeader(frame).length;
    const nt = sf.suiteParams(suite).nt;
    for (let n = 0; n < frame.length; n++) {
      const expected =
        n < headerLength + nt ? ErrorCode.SFRAME_MALFORMED : ErrorCode.SFRAME_AUTH_FAILED;
      await assert.rejects(
        receiver.decrypt(frame.slice(0, n)),
        (e) => e.code === expected,
        `suite ${suite} length ${n}`,
      );
    }
    // Extension by a byte fails too.
    await assert.rejects(
      receiver.decrypt(concat(frame, Uint8Array.of(0))),
      (e) => e.code === ErrorCode.SFRAME_AUTH_FAILED,
    );
    assert.equal((await receiver.decrypt(frame)).length, 20);
  }
});

test('counters: CTR counts up from 0 and never repeats, also under concurrent encrypts', async () => {
  const { sender } = await pair();
  const frames = await Promise.all(
    Array.from({ length: 300 }, () => sender.encrypt(randomBytes(4))),
  );
  const ctrs = frames.map((f) => sf.decodeHeader(f).ctr);
  assert.deepEqual(
    ctrs,
    Array.from({ length: 300 }, (_, i) => BigInt(i)),
  );
  assert.equal(sender.sendCounter, 300n);
});

test('counters: counter reuse is impossible (KID reuse refused, limit enforced)', async () => {
  const kid = makeKid(0xfeed, 1);
  const baseKey = randomBytes(32);
  const ctx = new SFrameContext({ counterLimit: 3n });
  await assert.rejects(ctx.encrypt(randomBytes(1)), (e) => e.code === ErrorCode.SFRAME_NO_SEND_KEY);
  await ctx.addSendKey(kid, baseKey.slice());
  for (let i = 0; i < 3; i++) await ctx.encrypt(randomBytes(1));
  await assert.rejects(
    ctx.encrypt(randomBytes(1)),
    (e) => e.code === ErrorCode.SFRAME_COUNTER_EXHAUSTED,
  );
  // Re-adding the same KID would restart CTR at 0 under the same key: refused, whatever the key.
  await assert.rejects(
    ctx.addSendKey(kid, baseKey.slice()),
    (e) => e.code === ErrorCode.SFRAME_KEY_REJECTED,
  );
  await assert.rejects(
    ctx.addSendKey(kid, randomBytes(32)),
    (e) => e.code === ErrorCode.SFRAME_KEY_REJECTED,
  );
  // Concurrent adds of one KID: only one wins.
  const results = await Promise.allSettled([
    ctx.addSendKey(kid + 1n, randomBytes(32)),
    ctx.addSendKey(kid + 1n, randomBytes(32)),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  // A new KID starts a new CTR space.
  await ctx.addSendKey(kid + 2n, randomBytes(32));
  assert.equal(sf.decodeHeader(await ctx.encrypt(randomBytes(1))).ctr, 0n);
  // Send and receive keys never share a KID (RFC 9605 §4.4.1).
  await assert.rejects(
    ctx.addReceiveKey(kid, randomBytes(32)),
    (e) => e.code === ErrorCode.SFRAME_KEY_REJECTED,
  );
  await ctx.addReceiveKey(kid + 10n, randomBytes(32));
  await assert.rejects(
    ctx.addSendKey(kid + 10n, randomBytes(32)),
    (e) => e.code === ErrorCode.SFRAME_KEY_REJECTED,
  );
  await assert.rejects(
    ctx.addReceiveKey(kid + 10n, randomBytes(32)),
    (e) => e.code === ErrorCode.SFRAME_KEY_REJECTED,
  );
  // Base keys are 32 bytes in Hybridge.
  await assert.rejects(
    ctx.addSendKey(kid + 20n, randomBytes(16)),
    (e) => e.code === ErrorCode.SFRAME_KEY_REJECTED,
  );
  await assert.rejects(
    ctx.addReceiveKey(kid + 21n, new Uint8Array(0)),
    (e) => e.code === ErrorCode.SFRAME_KEY_REJECTED,
  );
});

test('replay window: reordering accepted, duplicates and too-old CTRs refused', async () => {
  const { sender, receiver } = await pair(sf.HYBRIDGE_SUITE, makeKid(9, 9), { replayWindow: 16 });
  const frames = [];
  for (let i = 0; i < 40; i++) frames.push(await sender.encrypt(Uint8Array.of(i)));
  const replayed = (f) =>
    assert.rejects(receiver.decrypt(f), (e) => e.code === ErrorCode.SFRAME_REPLAYED);
  assert.deepEqual(await receiver.decrypt(frames[5]), Uint8Array.of(5));
  assert.deepEqual(await receiver.decrypt(frames[2]), Uint8Array.of(2)); // late but inside the window
  await replayed(frames[5]);
  await replayed(frames[2]);
  assert.deepEqual(await receiver.decrypt(frames[30]), Uint8Array.of(30)); // jump ahead
  await replayed(frames[14]); // 30 - 16: below the window
  await replayed(frames[13]); // below the window, and its bitmap slot is clear: refused by age alone
  assert.deepEqual(await receiver.decrypt(frames[15]), Uint8Array.of(15)); // 30 - 15: inside
  await replayed(frames[15]);
  // Late frames whose bitmap slot was last used one window ago are accepted (slots are cleared).
  const w = new sf.ReplayWindow(16);
  for (const c of [1n, 10n, 20n]) assert.equal(w.accept(c), true);
  assert.equal(w.accept(17n), true);
  assert.equal(w.accept(17n), false);
  assert.equal(w.accept(4n), false);
  // Two copies of one frame decrypted concurrently: exactly one is accepted.
  const r = await Promise.allSettled([receiver.decrypt(frames[31]), receiver.decrypt(frames[31])]);
  assert.deepEqual(r.map((x) => x.status).sort(), ['fulfilled', 'rejected']);
  assert.equal(r.find((x) => x.status === 'rejected').reason.code, ErrorCode.SFRAME_REPLAYED);
});

test('inputs are not mutated; errors carry only their code', async () => {
  const { sender, receiver } = await pair();
  const pt = randomBytes(33);
  const ptCopy = pt.slice();
  const frame = await sender.encrypt(pt);
  assert.deepEqual(pt, ptCopy);
  const frameCopy = frame.slice();
  await receiver.decrypt(frame);
  assert.deepEqual(frame, frameCopy);
  const e = new SFrameError(ErrorCode.SFRAME_AUTH_FAILED);
  assert.equal(e.message, 'SFRAME_AUTH_FAILED');
  assert.equal(e.code, 32);
});

// --- Hybridge KID scheme -------------------------------------------------------------------------

test('KID scheme: tag || generation, one fresh base key per epoch', () => {
  let n = 0;
  const fake = (a) => {
    const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let i = 0; i < b.length; i++) b[i] = (n++ * 37 + 11) & 0xff;
    return a;
  };
  const epochs = new SenderKeyEpochs({ getRandomValuesForTestingOnly: fake });
  const tag = epochs.senderTag;
  const a = epochs.next();
  const b = epochs.next();
  assert.equal(a.generation, 0n);
  assert.equal(b.generation, 1n);
  assert.equal(kidSenderTag(a.kid), tag);
  assert.equal(kidGeneration(b.kid), 1n);
  assert.equal(b.kid, (tag << 16n) | 1n);
  assert.equal(a.baseKey.length, 32);
  assert.notDeepEqual(a.baseKey, b.baseKey);
  assert.ok(sf.encodeHeader(b.kid, 0).length <= 7); // config byte + at most 6 KID bytes
  epochs.generation = GENERATION_MAX - 1n;
  assert.equal(epochs.next().generation, GENERATION_MAX);
  const wrapped = epochs.next();
  assert.equal(wrapped.generation, 0n);
  assert.notEqual(kidSenderTag(wrapped.kid), tag);
  assert.throws(() => makeKid(1n << 32n, 0), RangeError);

  const real = new SenderKeyEpochs();
  const kids = new Set(Array.from({ length: 100 }, () => real.next().kid));
  assert.equal(kids.size, 100);
});

// --- worker --------------------------------------------------------------------------------------

function fakeScope() {
  const messages = [];
  const waiters = [];
  const scope = {
    postMessage(m) {
      messages.push(m);
      const i = waiters.findIndex((w) => w.match(m));
      if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
    },
  };
  scope.messages = messages;
  scope.request = (msg) =>
    new Promise((resolve) => {
      const requestId = Math.random();
      waiters.push({ match: (m) => m.requestId === requestId, resolve });
      scope.onmessage({ data: { ...msg, requestId } });
    });
  return scope;
}

/** Runs `frames` through a transform installed with `options`; resolves with the frames written. */
function runTransform(scope, options, frames, { legacy = false } = {}) {
  const out = [];
  let i = 0;
  const readable = new ReadableStream({
    pull(c) {
      if (i < frames.length) c.enqueue(frames[i++]);
      else c.close();
    },
  });
  return new Promise((resolve, reject) => {
    const writable = new WritableStream({
      write(f) {
        out.push(f);
      },
      close() {
        resolve(out);
      },
      abort: reject,
    });
    if (legacy) scope.onmessage({ data: { type: 'transform', ...options, readable, writable } });
    else scope.onrtctransform({ transformer: { readable, writable, options } });
  });
}

const videoFrame = (bytes, type = 'delta') => ({ type, data: Uint8Array.from(bytes).buffer });
const audioFrame = (bytes) => ({ data: Uint8Array.from(bytes).buffer });

test('worker: send and receive through RTCRtpScriptTransform and the legacy path; stats; drops', async () => {
  const alice = fakeScope();
  const bob = fakeScope();
  installSFrameWorker(alice);
  installSFrameWorker(bob, { unknownKidHoldMs: 50 });
  const epochs = new SenderKeyEpochs();
  const k1 = epochs.next();

  // No send key yet: frames are dropped, never sent in the clear.
  assert.equal((await runTransform(alice, { role: 'send' }, [audioFrame([1, 2, 3])])).length, 0);

  const ack = await alice.request({ type: 'setSendKey', kid: k1.kid, key: k1.baseKey.slice() });
  assert.deepEqual([ack.type, ack.op], ['ack', 'setSendKey']);
  const bad = await bob.request({
    type: 'addReceiveKey',
    peerId: 'alice',
    kid: k1.kid,
    key: new Uint8Array(31),
  });
  assert.deepEqual([bad.type, bad.name], ['error', 'SFRAME_KEY_REJECTED']);
  const keyCopy = k1.baseKey.slice();
  await bob.request({
    type: 'addReceiveKey',
    peerId: 'alice',
    kid: k1.kid.toString(),
    key: keyCopy,
  });
  assert.ok(
    keyCopy.every((b) => b === 0),
    'the posted key copy is wiped after import',
  );

  const plain = [videoFrame([0, 1, 2, 3, 4], 'key'), videoFrame([5, 6, 7]), videoFrame([])];
  const sealed = await runTransform(
    alice,
    { role: 'send' },
    plain.map((f) => ({ ...f, data: f.data.slice(0) })),
  );
  assert.equal(sealed.length, 3);
  assert.equal(sf.decodeHeader(new Uint8Array(sealed[0].data)).kid, k1.kid);
  // frame + header (its KID's length depends on the random sender tag; CTR 0 fits the config byte) + tag
  assert.equal(sealed[0].data.byteLength, 5 + sf.encodeHeader(k1.kid, 0n).length + 16);

  // A tampered frame and a replayed frame are dropped and counted.
  const tampered = { ...sealed[1], data: sealed[1].data.slice(0) };
  new Uint8Array(tampered.data)[10] ^= 1;
  // A zero-byte frame (Chromium emits some on receive) passes untouched: there is nothing in it.
  const opened = await runTransform(bob, { role: 'receive', peerId: 'alice' }, [
    tampered,
    sealed[0],
    audioFrame([]),
    sealed[1],
    sealed[2],
    { ...sealed[2] },
  ]);
  assert.deepEqual(
    opened.map((f) => [...new Uint8Array(f.data)]),
    [[0, 1, 2, 3, 4], [], [5, 6, 7], []],
  );
  // A frame too short to be SFrame is dropped as malformed.
  assert.equal(
    (await runTransform(bob, { role: 'receive', peerId: 'alice' }, [audioFrame([0x00, 1, 2])]))
      .length,
    0,
  );

  // Legacy createEncodedStreams path, and a frame with an unknown KID (held 50 ms, then dropped).
  const stranger = new SFrameContext();
  await stranger.addSendKey(makeKid(77, 0), randomBytes(32));
  const more = await runTransform(alice, { role: 'send' }, [audioFrame([9, 9])], { legacy: true });
  const opened2 = await runTransform(
    bob,
    { role: 'receive', peerId: 'alice' },
    [audioFrame(await stranger.encrypt(Uint8Array.of(1))), more[0]],
    { legacy: true },
  );
  assert.deepEqual(
    opened2.map((f) => [...new Uint8Array(f.data)]),
    [[9, 9]],
  );

  const sa = await alice.request({ type: 'stats' });
  assert.equal(sa.cipherSuite, 5);
  assert.equal(sa.send.kid, sf.kidToHex(k1.kid));
  assert.equal(sa.send.frames, 4);
  assert.equal(sa.send.droppedNoKey, 1);
  assert.equal(sa.send.byKid[sf.kidToHex(k1.kid)], 4);
  const sb = (await bob.request({ type: 'stats' })).receive.alice;
  assert.equal(sb.kid, sf.kidToHex(k1.kid));
  assert.equal(sb.frames, 4);
  assert.equal(sb.empty, 1);
  assert.deepEqual(sb.dropped, { malformed: 1, unknownKid: 1, authFailed: 1, replayed: 1 });
  assert.deepEqual(sb.byKid[sf.kidToHex(k1.kid)], { frames: 4, authFailed: 1, replayed: 1 });
  assert.deepEqual(sb.keys, [sf.kidToHex(k1.kid)]);
  JSON.stringify(sb); // stats are plain JSON (no BigInt), so browser tests can read them

  // Rekey: a frame under the new KID that arrives before its key is held until the key comes.
  const k2 = epochs.next();
  await alice.request({ type: 'setSendKey', kid: k2.kid, key: k2.baseKey.slice() });
  const sealed2 = await runTransform(alice, { role: 'send' }, [audioFrame([4, 2])]);
  const bobSlow = fakeScope();
  installSFrameWorker(bobSlow, { unknownKidHoldMs: 5000 });
  const pending = runTransform(bobSlow, { role: 'receive', peerId: 'alice' }, sealed2);
  await new Promise((r) => setTimeout(r, 20));
  await bobSlow.request({
    type: 'addReceiveKey',
    peerId: 'alice',
    kid: k2.kid,
    key: k2.baseKey.slice(),
  });
  assert.deepEqual(
    (await pending).map((f) => [...new Uint8Array(f.data)]),
    [[4, 2]],
  );

  // removePeer forgets the keys: later frames of that peer no longer decrypt.
  await bob.request({ type: 'removePeer', peerId: 'alice' });
  const none = await runTransform(bob, { role: 'receive', peerId: 'alice' }, [
    await runTransform(alice, { role: 'send' }, [audioFrame([1])]).then((f) => f[0]),
  ]);
  assert.equal(none.length, 0);

  // Unknown messages and an unknown role are refused.
  assert.equal((await alice.request({ type: 'nonsense' })).type, 'error');
  await assert.rejects(runTransform(alice, { role: 'sideways' }, [audioFrame([1])]));
});

test('worker: asks for a rekey when the send counter reaches the threshold', async () => {
  const w = fakeScope();
  installSFrameWorker(w, { sendRekeyFrames: 2n, counterLimit: 3n });
  const k = new SenderKeyEpochs().next();
  await w.request({ type: 'setSendKey', kid: k.kid, key: k.baseKey });
  const out = await runTransform(
    w,
    { role: 'send' },
    [1, 2, 3, 4].map((b) => audioFrame([b])),
  );
  assert.equal(out.length, 3);
  assert.deepEqual(
    w.messages.filter((m) => m.type === 'rekeyNeeded').map((m) => m.reason),
    ['counter', 'exhausted'],
  );
});

test('worker: a peer keeps its previous key for the grace time only, and at most two keys', async () => {
  const w = fakeScope();
  installSFrameWorker(w, { receiveGraceMs: 40 });
  const epochs = new SenderKeyEpochs();
  const [k1, k2, k3, k4] = [epochs.next(), epochs.next(), epochs.next(), epochs.next()];
  const keys = async () => (await w.request({ type: 'stats' })).receive.bob.keys;
  await w.request({ type: 'addReceiveKey', peerId: 'bob', kid: k1.kid, key: k1.baseKey });
  await w.request({ type: 'addReceiveKey', peerId: 'bob', kid: k2.kid, key: k2.baseKey });
  assert.deepEqual(await keys(), [k1.kid, k2.kid].map(sf.kidToHex)); // k1 in its grace time
  await w.request({ type: 'addReceiveKey', peerId: 'bob', kid: k3.kid, key: k3.baseKey });
  assert.deepEqual(await keys(), [k2.kid, k3.kid].map(sf.kidToHex)); // a third key: oldest out at once
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(await keys(), [k3.kid].map(sf.kidToHex)); // grace over
  await w.request({ type: 'addReceiveKey', peerId: 'bob', kid: k4.kid, key: k4.baseKey });
  await w.request({ type: 'removeReceiveKey', peerId: 'bob', kid: k3.kid });
  assert.deepEqual(await keys(), [k4.kid].map(sf.kidToHex));
  const bad = await w.request({
    type: 'addReceiveKey',
    peerId: 'bob',
    kid: -1,
    key: randomBytes(32),
  });
  assert.deepEqual([bad.type, bad.code, bad.name], ['error', 30 + 6, 'SFRAME_KEY_REJECTED']);
  const again = await w.request({
    type: 'addReceiveKey',
    peerId: 'bob',
    kid: k1.kid,
    key: randomBytes(32),
  });
  assert.equal(again.name, 'SFRAME_KEY_REJECTED'); // a KID the peer used before
});

test('worker: an SFU receive slot opens frames with the keys of the peer bound to it, and only those', async () => {
  const alice = fakeScope();
  const carol = fakeScope();
  const bob = fakeScope();
  for (const w of [alice, carol, bob]) installSFrameWorker(w, { unknownKidHoldMs: 0 });
  const epochs = new SenderKeyEpochs();
  const ka = epochs.next();
  const kc = epochs.next();
  await alice.request({ type: 'setSendKey', kid: ka.kid, key: ka.baseKey.slice() });
  await carol.request({ type: 'setSendKey', kid: kc.kid, key: kc.baseKey.slice() });
  await bob.request({
    type: 'addReceiveKey',
    peerId: 'alice',
    kid: ka.kid,
    key: ka.baseKey.slice(),
  });
  await bob.request({
    type: 'addReceiveKey',
    peerId: 'carol',
    kid: kc.kid,
    key: kc.baseKey.slice(),
  });
  const [a1, a2, a3] = await runTransform(
    alice,
    { role: 'send' },
    [1, 2, 3].map((b) => audioFrame([b])),
  );
  const [c1, c2] = await runTransform(
    carol,
    { role: 'send' },
    [7, 8].map((b) => audioFrame([b])),
  );
  const through = async (frames) =>
    (await runTransform(bob, { role: 'receive', slot: 'sfu1:0' }, frames)).map(
      (f) => new Uint8Array(f.data)[0],
    );

  // Not bound yet: nothing passes, not even undecrypted.
  assert.deepEqual(await through([a1]), []);
  // Bound to alice: her frames open, carol's (forwarded under alice's feed) do not.
  await bob.request({ type: 'bindSlot', slot: 'sfu1:0', peerId: 'alice' });
  assert.deepEqual(await through([a2, c1]), [2]);
  // The SFU reused the m-line for carol: now only her frames open.
  await bob.request({ type: 'bindSlot', slot: 'sfu1:0', peerId: 'carol' });
  assert.deepEqual(await through([a3, c2]), [8]);
  // Unbound again (the feed went): dropped.
  await bob.request({ type: 'bindSlot', slot: 'sfu1:0', peerId: null });
  assert.deepEqual(await through([a1]), []);

  const st = await bob.request({ type: 'stats' });
  assert.equal(st.unboundFrames, 2);
  assert.equal(st.receive.alice.frames, 1);
  assert.equal(st.receive.carol.frames, 1);
  const refused = await bob.request({ type: 'bindSlot', slot: 'x'.repeat(65), peerId: 'alice' });
  assert.deepEqual([refused.type, refused.name], ['error', 'BAD_REQUEST']);
});

test('sealFrame: the per-frame header and nonce equal encodeHeader/formNonce at every CTR width, and the key is untouched', async () => {
  for (const kid of [0n, 7n, 8n, 0x1234_5678_0001n, sf.U64_MAX]) {
    const key = await sf.importSFrameKey(
      sf.HYBRIDGE_SUITE,
      kid,
      crypto.getRandomValues(new Uint8Array(32)),
    );
    const salt = key.salt.slice();
    const kidHeader = key.kidHeader.slice();
    for (const ctr of [
      0n,
      7n,
      8n,
      255n,
      256n,
      65535n,
      65536n,
      (1n << 24n) - 1n,
      1n << 24n,
      (1n << 32n) - 1n,
      1n << 32n,
      sf.U64_MAX,
    ]) {
      const pt = crypto.getRandomValues(new Uint8Array(37));
      const out = await sf.sealFrame(key, ctr, new Uint8Array(0), pt);
      const header = sf.encodeHeader(kid, ctr);
      assert.equal(
        toHex(out.subarray(0, header.length)),
        toHex(header),
        `header kid=${kid} ctr=${ctr}`,
      );
      const nonce = sf.formNonce(key.salt, ctr);
      const expected = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: 'AES-GCM', iv: nonce, additionalData: header, tagLength: 128 },
          key.aead.enc,
          pt,
        ),
      );
      assert.equal(
        toHex(out.subarray(header.length)),
        toHex(expected),
        `body kid=${kid} ctr=${ctr}`,
      );
      assert.equal(toHex(sf.decodeHeader(out).ctr === ctr ? pt : new Uint8Array(0)), toHex(pt));
    }
    assert.equal(toHex(key.salt), toHex(salt), 'salt unchanged');
    assert.equal(toHex(key.kidHeader), toHex(kidHeader), 'KID header unchanged');
  }
});

// --- VP8 through the SFU: the clear bytes (spec/media-sframe.md §7.5) ------------------------------

/** A VP8 key frame: frame tag with P = 0, the start code, 640x360, then `n` payload bytes. */
function vp8Key(n) {
  return concat(
    Uint8Array.of(0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01),
    randomBytes(n),
  );
}
/** A VP8 interframe: frame tag with P = 1, then `n` payload bytes. */
function vp8Delta(n) {
  return concat(Uint8Array.of(0x31, 0x07, 0x00), randomBytes(n));
}

test('vp8 layout: 10 clear bytes of a key frame, 3 of an interframe, the rest sealed; round trip', async () => {
  const { sender, receiver, kid } = await pair();
  for (const [frame, clear] of [
    [vp8Key(200), 10],
    [vp8Delta(50), 3],
    [vp8Key(0), 10], // nothing after the clear bytes: an empty plaintext, still authenticated
    [vp8Delta(0), 3],
  ]) {
    assert.equal(sf.vp8ClearLength(frame), clear);
    const sealed = await sf.sealVp8Frame(sender, frame);
    // clear bytes first, as the VP8 packetizer, Janus and the receiving browser read them
    assert.deepEqual(sealed.subarray(0, clear), frame.subarray(0, clear));
    const header = sf.decodeHeader(sealed.subarray(clear));
    assert.equal(header.kid, kid);
    assert.equal(sealed.length, clear + header.length + (frame.length - clear) + 16);
    // the rest is sealed with the clear bytes as metadata: plain decrypt with them opens it
    const copy = await receiver.decrypt(sealed.subarray(clear), sealed.subarray(0, clear));
    assert.deepEqual(copy, frame.subarray(clear));
  }
  const again = await sf.sealVp8Frame(sender, vp8Key(30));
  const opened = await sf.openVp8Frame(receiver, again);
  assert.equal(opened.kid, kid);
  assert.equal(sf.vp8ClearLength(opened.plaintext), 10);
  assert.equal(opened.plaintext.length, 40);
});

test('vp8 layout: a changed clear byte, a key frame made an interframe, or a short frame is refused', async () => {
  const { sender, receiver } = await pair();
  const key = vp8Key(64);
  const sealed = await sf.sealVp8Frame(sender, key);
  // every bit of the clear bytes is authenticated: a flip is refused (bit 7 is the frame tag's
  // key-frame bit, below)
  for (let bit = 0; bit < 80; bit++) {
    if (bit === 7) continue;
    const bad = sealed.slice();
    bad[bit >> 3] ^= 0x80 >> (bit & 7);
    await assert.rejects(
      sf.openVp8Frame(receiver, bad),
      (e) => e.code === ErrorCode.SFRAME_AUTH_FAILED,
      `bit ${bit}`,
    );
  }
  // bit 0 of the frame tag decides the layout: flipped, the frame reads as an interframe with 3
  // clear bytes, and the "header" after them is the start code: refused, never accepted
  const flipped = sealed.slice();
  flipped[0] ^= 0x01;
  await assert.rejects(sf.openVp8Frame(receiver, flipped), (e) => e instanceof SFrameError);
  // too short for its own clear bytes: malformed, on both sides
  await assert.rejects(
    sf.sealVp8Frame(sender, key.subarray(0, 9)),
    (e) => e.code === ErrorCode.SFRAME_MALFORMED,
  );
  await assert.rejects(
    sf.sealVp8Frame(sender, new Uint8Array(0)),
    (e) => e.code === ErrorCode.SFRAME_MALFORMED,
  );
  await assert.rejects(
    sf.openVp8Frame(receiver, sealed.subarray(0, 2)),
    (e) => e.code === ErrorCode.SFRAME_MALFORMED,
  );
  // a frame sealed whole (mesh layout) does not open as VP8, nor the other way round
  const whole = await sender.encrypt(key);
  await assert.rejects(sf.openVp8Frame(receiver, whole), (e) => e instanceof SFrameError);
  const vp8 = await sf.sealVp8Frame(sender, key);
  await assert.rejects(receiver.decrypt(vp8), (e) => e instanceof SFrameError);
  // none of it moved the window: the untouched frame still opens
  assert.deepEqual((await sf.openVp8Frame(receiver, sealed)).plaintext, key);
});

test('worker: a transform with layout vp8 seals and opens video in the VP8 layout, audio whole; an unknown layout carries nothing', async () => {
  const alice = fakeScope();
  const bob = fakeScope();
  installSFrameWorker(alice);
  installSFrameWorker(bob, { unknownKidHoldMs: 0 });
  const k = new SenderKeyEpochs().next();
  await alice.request({ type: 'setSendKey', kid: k.kid, key: k.baseKey.slice() });
  await bob.request({ type: 'addReceiveKey', peerId: 'alice', kid: k.kid, key: k.baseKey.slice() });
  const key = vp8Key(40);
  const delta = vp8Delta(20);
  const sent = await runTransform(alice, { role: 'send', layout: 'vp8' }, [
    videoFrame(key, 'key'),
    videoFrame(delta),
    audioFrame([9, 9, 9, 9]),
  ]);
  const bytes = sent.map((f) => new Uint8Array(f.data));
  assert.deepEqual(bytes[0].subarray(0, 10), key.subarray(0, 10));
  assert.deepEqual(bytes[1].subarray(0, 3), delta.subarray(0, 3));
  assert.equal(sf.decodeHeader(bytes[2]).kid, k.kid); // audio: sealed whole, header first
  await bob.request({ type: 'bindSlot', slot: 'sfu1:1', peerId: 'alice' });
  const opened = await runTransform(
    bob,
    { role: 'receive', slot: 'sfu1:1', layout: 'vp8' },
    sent.slice(0, 2).map((f, i) => videoFrame(new Uint8Array(f.data), i === 0 ? 'key' : 'delta')),
  );
  assert.deepEqual(
    opened.map((f) => new Uint8Array(f.data)),
    [key, delta],
  );
  // the same frames on a receiver without the layout (a mesh one) do not open
  const wrong = await runTransform(bob, { role: 'receive', peerId: 'alice' }, [
    videoFrame(bytes[1]),
  ]);
  assert.equal(wrong.length, 0);
  // a layout this worker does not know: no media either way
  const unknown = await runTransform(alice, { role: 'send', layout: 'h264' }, [
    videoFrame(key),
  ]).catch(() => 'refused');
  assert.equal(unknown, 'refused');
});

test('worker: keyFrame asks a key frame of every SFU video sender (layout vp8), not of mesh senders or audio', async () => {
  const w = fakeScope();
  installSFrameWorker(w);
  const k = new SenderKeyEpochs().next();
  await w.request({ type: 'setSendKey', kid: k.kid, key: k.baseKey.slice() });
  /** A send transform that stays open after one video frame, with a counting generateKeyFrame. */
  const open = (options, frame) => {
    const asked = { n: 0, rids: [] };
    let push;
    const readable = new ReadableStream({
      start(c) {
        push = c;
      },
    });
    const written = new Promise((resolve) => {
      const writable = new WritableStream({ write: () => resolve() });
      w.onrtctransform({
        transformer: {
          readable,
          writable,
          options,
          generateKeyFrame: (rid) => {
            asked.n++;
            asked.rids.push(rid);
            // resolves a moment later, as an encoder's key frame: the next layer waits for it
            return new Promise((r) => setTimeout(r, 5));
          },
        },
      });
    });
    push.enqueue(frame);
    return { asked, written, close: () => push.close() };
  };
  const sfu = open({ role: 'send', layout: 'vp8' }, videoFrame(vp8Key(20), 'key'));
  const mesh = open({ role: 'send' }, videoFrame([1, 2, 3, 4]));
  const audio = open({ role: 'send', layout: 'vp8' }, audioFrame([5, 6, 7]));
  await Promise.all([sfu.written, mesh.written, audio.written]);
  const before = [sfu.asked.n, mesh.asked.n, audio.asked.n];
  await w.request({ type: 'keyFrame' });
  assert.deepEqual(
    [sfu.asked.n - before[0], mesh.asked.n - before[1], audio.asked.n - before[2]],
    [1, 0, 0],
  );
  let st = await w.request({ type: 'stats' });
  assert.equal(st.send.keyFramesAsked, 1);
  // named layers: each in turn, the next once the previous key frame is made; bad names ignored
  sfu.asked.rids.length = 0;
  await w.request({ type: 'keyFrame', rids: ['h', 'm', 'no spaces', 7] });
  assert.deepEqual(sfu.asked.rids, ['h'], 'the second layer waits for the first key frame');
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(sfu.asked.rids, ['h', 'm']);
  st = await w.request({ type: 'stats' });
  assert.equal(st.send.keyFramesAsked, 3);
  assert.deepEqual(st.send.keyFramesRefused, {});
  for (const t of [sfu, mesh, audio]) t.close();
});

// Published vectors through the JS wrappers (primitives.js), read from ../shared/vectors beside
// the checkout (never copied here; see its SOURCES.md): X-Wing draft-10, RFC 5869 HKDF,
// Wycheproof X25519 (our low-order check against every case), AES-256-GCM (the WebCrypto path
// the record layer uses) and ML-KEM-768 encapsulation keys with CCTV's modulus cases (our
// modulus check). Without ../shared each test is SKIPPED with a loud banner, so a run without
// the vectors cannot pass for a run with them; a file missing from a present directory FAILS.
// Every loader fails when it loaded zero vectors, and each test checks its exact count.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { concat, fromHex, isAllZero, toHex } from '../src/protocol/bytes.js';
import { ProtocolError } from '../src/protocol/errors.js';
import {
  XWING_CT_LEN,
  XWING_PK_LEN,
  gcmImportKey,
  gcmOpen,
  gcmSeal,
  hkdfExpand,
  hkdfExtract,
  mlkemPublicKeyValid,
  x25519,
  x25519IsLowOrder,
  xwingDecapsulate,
  xwingEncapsulate,
  xwingPublicKey,
} from '../src/protocol/primitives.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Where the shared directory is: $HYBRIDGE_SHARED_DIR (Maven sets it), else ../shared beside
// the checkout; the first that holds a vectors/ directory wins, as in Java's SharedVectors.
const CANDIDATES = [process.env.HYBRIDGE_SHARED_DIR, join(ROOT, '..', 'shared')]
  .filter(Boolean)
  .map((d) => join(d, 'vectors'));
const VECTORS = CANDIDATES.find((d) => existsSync(d)) ?? CANDIDATES.at(-1);
const PRESENT = existsSync(VECTORS);
const SKIP_BANNER =
  '!!! SKIPPED: ../shared/vectors not found — published-vector tests did not run !!!';

if (!PRESENT) {
  console.error(`\n${SKIP_BANNER}\n!!! looked in: ${CANDIDATES.join(', ')}\n`);
}

function published(name, fn) {
  test(name, { skip: PRESENT ? false : SKIP_BANNER }, fn);
}

function read(file) {
  const path = join(VECTORS, file);
  assert.ok(existsSync(path), `${path} is missing from a present shared/vectors directory`);
  return readFileSync(path);
}

function json(file) {
  return JSON.parse(read(file).toString('utf8'));
}

/** Wycheproof cases of the groups that pass `groupFilter`; fails on zero. */
function wycheproof(file, groupFilter = () => true) {
  const doc = json(file);
  const cases = doc.testGroups
    .filter(groupFilter)
    .flatMap((g) => g.tests.map((t) => ({ group: g, t })));
  assert.ok(cases.length > 0, `${file}: no vectors loaded`);
  return cases;
}

/** NIST-style "KEY = value" records separated by blank lines (comments start with #). */
function nistRecords(file) {
  const records = [];
  let cur = {};
  for (const raw of read(file).toString('utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    if (line === '') {
      if (Object.keys(cur).length > 0 && cur.OKM !== undefined) {
        records.push(cur);
        cur = {};
      }
      continue;
    }
    const m = line.match(/^(\w+)\s*=\s*(.*)$/);
    if (m) cur[m[1]] = m[2];
  }
  if (Object.keys(cur).length > 0) records.push(cur);
  assert.ok(records.length > 0, `${file}: no vectors loaded`);
  return records;
}

function expectCode(code, fn) {
  assert.throws(fn, (e) => e instanceof ProtocolError && e.code === code, `expected ${code}`);
}

published('X-Wing draft-10 vectors: keygen, encapsulation, decapsulation', () => {
  const vectors = json('xwing/test-vectors.json');
  assert.equal(vectors.length, 3, 'xwing/test-vectors.json: expected 3 vectors');
  for (const v of vectors) {
    const [seed, eseed, sk, pk, ct, ss] = ['seed', 'eseed', 'sk', 'pk', 'ct', 'ss'].map((k) =>
      fromHex(v[k]),
    );
    assert.deepEqual(sk, seed, 'sk must equal seed in draft-10');
    assert.equal(toHex(xwingPublicKey(seed)), toHex(pk));
    const enc = xwingEncapsulate(pk, eseed);
    assert.equal(toHex(enc.ciphertext), toHex(ct));
    assert.equal(toHex(enc.sharedSecret), toHex(ss));
    assert.equal(toHex(xwingDecapsulate(seed, ct)), toHex(ss));
  }
});

// filippo.io/mlkem's TestBadLengths: every truncation and the one-byte extension of pk and ct is
// refused with the documented code, never an unmapped library error, never a result.
published('X-Wing: every truncation and one-byte extension of pk and ct is rejected', () => {
  const vectors = json('xwing/test-vectors.json');
  let checked = 0;
  for (const v of vectors) {
    const seed = fromHex(v.seed);
    const eseed = fromHex(v.eseed);
    const pk = fromHex(v.pk);
    const ct = fromHex(v.ct);
    for (let len = 0; len <= XWING_PK_LEN + 1; len++) {
      if (len === XWING_PK_LEN) continue;
      const bad = new Uint8Array(len);
      bad.set(pk.subarray(0, Math.min(len, pk.length)));
      expectCode('INVALID_PUBLIC_KEY', () => xwingEncapsulate(bad, eseed));
      checked++;
    }
    for (let len = 0; len <= XWING_CT_LEN + 1; len++) {
      if (len === XWING_CT_LEN) continue;
      const bad = new Uint8Array(len);
      bad.set(ct.subarray(0, Math.min(len, ct.length)));
      expectCode('MALFORMED_MESSAGE', () => xwingDecapsulate(seed, bad));
      checked++;
    }
  }
  assert.equal(checked, 3 * (XWING_PK_LEN + 1 + (XWING_CT_LEN + 1)));
});

published('HKDF-SHA256: RFC 5869 Appendix A.1-A.3', () => {
  const records = nistRecords('rfc5869-hkdf/rfc-5869-HKDF-SHA256.txt');
  assert.equal(records.length, 3);
  for (const r of records) {
    assert.equal(r.Hash, 'SHA-256');
    const prk = hkdfExtract(fromHex(r.salt ?? ''), fromHex(r.IKM));
    assert.equal(toHex(prk), r.PRK.toLowerCase(), `A.${r.COUNT} PRK`);
    assert.equal(
      toHex(hkdfExpand(prk, fromHex(r.info ?? ''), Number(r.L))),
      r.OKM.toLowerCase(),
      `A.${r.COUNT} OKM`,
    );
  }
});

published(
  'Wycheproof X25519: the low-order check flags exactly the all-zero shared secrets',
  () => {
    const cases = wycheproof('wycheproof/x25519_test.json', (g) => g.curve === 'curve25519');
    assert.equal(cases.length, 518);
    let zero = 0;
    for (const { t } of cases) {
      const pub = fromHex(t.public);
      const shared = fromHex(t.shared);
      const lowOrder = x25519IsLowOrder(pub);
      assert.equal(
        lowOrder,
        isAllZero(shared),
        `tc ${t.tcId}: low-order check vs all-zero shared secret`,
      );
      if (lowOrder) {
        zero++;
        assert.equal(t.result, 'acceptable', `tc ${t.tcId}`);
        expectCode('INVALID_PUBLIC_KEY', () => x25519(fromHex(t.private), pub));
      } else {
        assert.equal(toHex(x25519(fromHex(t.private), pub)), t.shared, `tc ${t.tcId}`);
      }
    }
    assert.equal(zero, 31, 'Wycheproof has 31 zero-shared-secret cases');
  },
);

published('Wycheproof AES-256-GCM (96-bit nonce, 128-bit tag) through WebCrypto', async () => {
  const cases = wycheproof(
    'wycheproof/aes_gcm_test.json',
    (g) => g.keySize === 256 && g.ivSize === 96 && g.tagSize === 128,
  );
  assert.equal(cases.length, 66);
  for (const { t } of cases) {
    const key = fromHex(t.key);
    const iv = fromHex(t.iv);
    const aad = fromHex(t.aad);
    const body = concat(fromHex(t.ct), fromHex(t.tag));
    if (t.result === 'valid') {
      const sealed = await gcmSeal(await gcmImportKey(key, 'encrypt'), iv, aad, fromHex(t.msg));
      assert.equal(toHex(sealed), toHex(body), `tc ${t.tcId} seal`);
      assert.equal(
        toHex(await gcmOpen(await gcmImportKey(key, 'decrypt'), iv, aad, body)),
        t.msg,
        `tc ${t.tcId} open`,
      );
    } else {
      const dk = await gcmImportKey(key, 'decrypt');
      await assert.rejects(
        gcmOpen(dk, iv, aad, body),
        (e) => e instanceof ProtocolError && e.code === 'RECORD_AUTH_FAILED',
        `tc ${t.tcId}`,
      );
    }
  }
});

published(
  'ML-KEM-768 encapsulation keys (Wycheproof, CCTV modulus): our modulus check and X-Wing refusal',
  () => {
    const xwingPk = fromHex(json('xwing/test-vectors.json')[0].pk);
    const x25519Part = xwingPk.subarray(1184);
    const eseed = new Uint8Array(64).fill(0x42);
    const cases = wycheproof('wycheproof/mlkem_768_encaps_test.json');
    assert.equal(cases.length, 265);
    let refused = 0;
    for (const { t } of cases) {
      const ek = fromHex(t.ek);
      const valid = ek.length === 1184 && mlkemPublicKeyValid(ek);
      assert.equal(valid, t.result === 'valid', `tc ${t.tcId}`);
      if (ek.length === 1184 && !valid) {
        expectCode('INVALID_PUBLIC_KEY', () => xwingEncapsulate(concat(ek, x25519Part), eseed));
        refused++;
      }
    }
    assert.equal(refused, 112);
    const cctv = gunzipSync(read('cctv-mlkem/modulus-ML-KEM-768.txt.gz'))
      .toString('utf8')
      .split('\n')
      .filter(Boolean);
    assert.equal(cctv.length, 780, 'CCTV modulus file: expected 780 keys');
    for (const [i, hex] of cctv.entries()) {
      const ek = fromHex(hex);
      assert.equal(ek.length, 1184);
      assert.equal(mlkemPublicKeyValid(ek), false, `CCTV key ${i}`);
      expectCode('INVALID_PUBLIC_KEY', () => xwingEncapsulate(concat(ek, x25519Part), eseed));
    }
  },
);

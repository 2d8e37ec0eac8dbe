// Runs EVERY file in test-vectors/ through the JS implementation, exactly as pq-crypto's
// VectorFilesTest runs them through Java (see vectorVerifiers.js), and fails if a file has no
// vectors, if its count is wrong, or if a file exists that this test does not know.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEPS, VERIFIERS, verifyOne } from './vectorVerifiers.js';

const VECTORS_DIR =
  process.env.HYBRIDGE_VECTORS_DIR ??
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-vectors');

function load(file) {
  return JSON.parse(readFileSync(join(VECTORS_DIR, file), 'utf8'));
}

/** VectorFile.verifyIn's guard: zero vectors, or a count that does not match, is a failure. */
function checkDocument(file, doc) {
  assert.ok(Array.isArray(doc.tests) && doc.tests.length > 0, `${file}: no vectors loaded`);
  assert.equal(doc.number_of_tests, doc.tests.length, `${file}: number_of_tests does not match`);
  assert.equal(doc.protocol_version, 1, `${file}: protocol_version`);
}

test('every vector file is known and every known file exists', () => {
  const onDisk = readdirSync(VECTORS_DIR)
    .filter((n) => n.endsWith('.json'))
    .sort();
  assert.deepEqual(
    onDisk,
    Object.keys(VERIFIERS).sort(),
    'test-vectors/ and web-client/test/vectorVerifiers.js must list the same files',
  );
});

for (const file of Object.keys(VERIFIERS)) {
  test(file, async (t) => {
    const doc = load(file);
    checkDocument(file, doc);
    let ran = 0;
    for (const v of doc.tests) {
      if (v.step !== undefined)
        assert.ok(STEPS[file].includes(v.step), `${file}: unknown step ${v.step}`);
      await t.test(`tc ${v.tc_id} (${v.comment})${v.expect ? ` -> ${v.expect}` : ''}`, async () => {
        assert.equal(await verifyOne(file, v), null);
        ran++;
      });
    }
    assert.equal(ran, doc.tests.length, `${file}: not every vector ran`);
    t.diagnostic(`${file}: ${ran} vectors verified`);
  });
}

test('every step kind of the handshake files is exercised', () => {
  for (const file of Object.keys(STEPS)) {
    const used = new Set(
      load(file)
        .tests.map((v) => v.step)
        .filter((s) => s !== undefined),
    );
    assert.deepEqual([...used].sort(), [...STEPS[file]].sort(), `${file}: steps`);
  }
});

/** VectorFilesTest.tamperedVectorsFail: the verifier is not a rubber stamp. */
test('every tampered vector fails', async () => {
  const flip = (hex) => hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');
  for (const file of Object.keys(VERIFIERS)) {
    const doc = load(file);
    for (const v of doc.tests) {
      const t = structuredClone(v);
      if (t.expect !== undefined) {
        t.expect = t.expect === 'MALFORMED_MESSAGE' ? 'UNEXPECTED_MESSAGE' : 'MALFORMED_MESSAGE';
      } else if (t.messages) {
        const k = Object.keys(t.messages)[0];
        t.messages[k] = flip(t.messages[k]);
      } else if (t.records) {
        t.records[0].record = flip(t.records[0].record);
      } else if (t.room_id) {
        t.room_id = flip(t.room_id);
      } else if (t.numbers) {
        t.numbers[0] += 1;
      } else if (t.message_hex) {
        t.message_hex = flip(t.message_hex);
      } else if (t.frame) {
        t.frame = flip(t.frame);
      } else if (t.plaintext) {
        t.plaintext = flip(t.plaintext);
      } else {
        assert.fail(`${file} tc ${v.tc_id}: nothing to tamper`);
      }
      assert.notEqual(
        await verifyOne(file, t),
        null,
        `${file} tc ${v.tc_id}: tampered vector passed`,
      );
    }
  }
});

test('a file with zero vectors, or a wrong count, is a failure', () => {
  assert.throws(
    () => checkDocument('x.json', { protocol_version: 1, number_of_tests: 0, tests: [] }),
    /no vectors loaded/,
  );
  assert.throws(() => checkDocument('x.json', { protocol_version: 1 }), /no vectors loaded/);
  const one = load('room-secret.json').tests.slice(0, 1);
  assert.throws(
    () => checkDocument('x.json', { protocol_version: 1, number_of_tests: 2, tests: one }),
    /number_of_tests/,
  );
});

// Labels and error codes are defined once (STYLE: spec table, Java constants, JS constants) and
// this test keeps the JS side equal to both others, like pq-crypto's SpecAgreementTest: the
// label table of spec/labels.md, the error tables of spec/errors.md (and room-protocol.md rows if
// present), and the Java enums kdf/Labels.java, ErrorCode.java and RoomError.java, parsed from source.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ascii, toHex } from '../src/protocol/bytes.js';
import {
  ChannelError,
  ErrorCode,
  ProtocolError,
  RoomError,
  errorName,
} from '../src/protocol/errors.js';
import { ErrorCode as SFrameErrorCode } from '../src/media/sframeFormat.js';
import { Labels } from '../src/protocol/labels.js';
import { sha256 } from '../src/protocol/primitives.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SPEC = process.env.HYBRIDGE_SPEC_DIR ?? join(ROOT, 'spec');
const JAVA = join(ROOT, 'pq-crypto', 'src', 'main', 'java', 'dev', 'hybridge', 'crypto');

const LABEL_ROW = /^\| ([A-Z0-9_]+) \| `([^`]+)` \|/gm;
const ERROR_ROW = /^\| (\d+) \| ([A-Z0-9_]+) \|/gm;

function rows(text, re) {
  return [...text.matchAll(re)].map((m) => [m[1], m[2]]);
}

test('labels: JS equals pq-crypto kdf/Labels.java exactly', () => {
  const java = readFileSync(join(JAVA, 'kdf', 'Labels.java'), 'utf8');
  const inJava = [...java.matchAll(/^\s+([A-Z0-9_]+)\("([^"]+)"\)[,;]/gm)].map((m) => [m[1], m[2]]);
  assert.ok(inJava.length > 0, 'no labels parsed from Labels.java');
  assert.deepEqual(Object.entries(Labels), inJava);
});

test('labels: JS equals the table of spec/labels.md', () => {
  const inSpec = rows(readFileSync(join(SPEC, 'labels.md'), 'utf8'), LABEL_ROW);
  assert.ok(inSpec.length > 0, 'no label rows parsed from spec/labels.md');
  const specMap = new Map(inSpec);
  assert.equal(specMap.size, inSpec.length, 'a constant is listed twice in spec/labels.md');
  assert.deepEqual(
    Object.entries(Labels),
    inSpec,
    'spec/labels.md and labels.js (same rows, same order)',
  );
  // One tree, one use: every label is under hybridge/v1/ and no two are equal.
  const values = Object.values(Labels);
  assert.equal(new Set(values).size, values.length, 'two labels are equal');
  for (const v of values) assert.match(v, /^hybridge\/v1\/[a-z0-9/ ]+$/);
});

test('labels: check values of spec/labels.md', () => {
  const text = readFileSync(join(SPEC, 'labels.md'), 'utf8');
  const checks = [...text.matchAll(/`H\("([^"]+)"\)` = `([0-9a-f]{64})`/g)];
  assert.ok(checks.length >= 2, 'no check values parsed from spec/labels.md');
  for (const [, label, hex] of checks) assert.equal(toHex(sha256(ascii(label))), hex, label);
});

/** The enum constants NAME(number) of a Java enum, parsed from its source. */
function javaCodes(file) {
  const java = readFileSync(file, 'utf8');
  const codes = [...java.matchAll(/^\s+([A-Z0-9_]+)\((\d+)\)[,;]/gm)].map((m) => [
    m[1],
    Number(m[2]),
  ]);
  assert.ok(codes.length > 0, `no codes parsed from ${file}`);
  return codes;
}

test('errors: JS equals pq-crypto ErrorCode.java and RoomError.java exactly', () => {
  assert.deepEqual(Object.entries(ChannelError), javaCodes(join(JAVA, 'ErrorCode.java')));
  assert.deepEqual(
    Object.entries(RoomError),
    javaCodes(join(JAVA, '..', 'protocol', 'RoomError.java')),
  );
});

/** @param {string} doc */
function specCodes(doc) {
  const inSpec = rows(readFileSync(join(SPEC, doc), 'utf8'), ERROR_ROW).map(([n, name]) => [
    name,
    Number(n),
  ]);
  assert.ok(inSpec.length > 0, `no error rows parsed from spec/${doc}`);
  return inSpec.sort((a, b) => a[1] - b[1]);
}

test('errors: the JS table of each layer equals its spec table', () => {
  const sorted = (o) => Object.entries(o).sort((a, b) => a[1] - b[1]);
  assert.deepEqual(sorted(ChannelError), specCodes('errors.md'));
  assert.deepEqual(sorted(RoomError), specCodes('room-protocol.md'));
  assert.deepEqual(sorted(SFrameErrorCode), specCodes('media-sframe.md'));
  const all = [...Object.values(ErrorCode), ...Object.values(SFrameErrorCode)];
  assert.equal(new Set(all).size, all.length, 'a code is used by two layers');
});

test('errors: ProtocolError carries the name, the number and nothing else', () => {
  for (const [name, number] of Object.entries(ErrorCode)) {
    const e = new ProtocolError(name);
    assert.equal(e.code, name);
    assert.equal(e.number, number);
    assert.equal(e.message, name);
    assert.equal(e.closeCode, 4000 + number);
    assert.equal(errorName(number), name);
    assert.equal(ProtocolError.fromCloseCode(4000 + number).code, name);
  }
  assert.throws(() => new ProtocolError('NO_SUCH_CODE'), TypeError);
  assert.equal(ProtocolError.fromCloseCode(1000), null);
  assert.equal(ProtocolError.fromCloseCode(4000), null);
  assert.equal(ProtocolError.fromCloseCode(4099), null); // unknown code: failure of unknown cause
  assert.equal(errorName(0), null);
});

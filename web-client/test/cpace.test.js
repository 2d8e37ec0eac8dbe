// CPace (src/protocol/cpace.js) against the published vectors of draft-irtf-cfrg-cpace, read from
// ../shared/vectors/cpace beside the checkout (never copied here; see its SOURCES.md): the G_25519
// group of testvectors.json (generator, shares, K, ISK in both modes, sid outputs) and the
// low-order points of the appendix "Test vectors for G_X25519.scalar_mult_vfy" (the scalar s and
// the expected results q0..qb are read from the draft's Markdown, the points from the JSON).
// Without ../shared each test is SKIPPED with a loud banner; a missing file in a present
// directory FAILS.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '../src/protocol/bytes.js';
import { ProtocolError } from '../src/protocol/errors.js';
import {
  calculateGenerator,
  generatorString,
  isk,
  lvCat,
  prependLen,
  scalarMultVfy,
  sidOutput,
  transcriptIr,
  transcriptOc,
} from '../src/protocol/cpace.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CANDIDATES = [process.env.HYBRIDGE_SHARED_DIR, join(ROOT, '..', 'shared')]
  .filter(Boolean)
  .map((d) => join(d, 'vectors'));
const VECTORS = CANDIDATES.find((d) => existsSync(d)) ?? CANDIDATES.at(-1);
const PRESENT = existsSync(VECTORS);
const SKIP_BANNER =
  '!!! SKIPPED: ../shared/vectors not found — published CPace vectors did not run !!!';
if (!PRESENT) console.error(`\n${SKIP_BANNER}\n!!! looked in: ${CANDIDATES.join(', ')}\n`);

function published(name, fn) {
  test(name, { skip: PRESENT ? false : SKIP_BANNER }, fn);
}

function read(file) {
  const path = join(VECTORS, 'cpace', file);
  assert.ok(existsSync(path), `${path} is missing from a present shared/vectors directory`);
  return readFileSync(path, 'utf8');
}

const h = (s) => fromHex(s.toLowerCase());

published('CPace G_25519 (CPACE-X25519-SHA512): generator, shares, K, ISK, sid outputs', () => {
  const v = JSON.parse(read('testvectors.json')).G_25519;
  assert.ok(v, 'no G_25519 group in testvectors.json');
  const prs = h(v.PRS);
  const ci = h(v.CI);
  const sid = h(v.sid);
  const g = calculateGenerator(prs, ci, sid);
  assert.equal(toHex(g), v.g.toLowerCase(), 'g');
  const ya = scalarMultVfy(h(v.ya), g);
  const yb = scalarMultVfy(h(v.yb), g);
  assert.equal(toHex(ya), v.Ya.toLowerCase(), 'Ya');
  assert.equal(toHex(yb), v.Yb.toLowerCase(), 'Yb');
  const ka = scalarMultVfy(h(v.ya), yb);
  const kb = scalarMultVfy(h(v.yb), ya);
  assert.equal(toHex(ka), v.K.toLowerCase(), 'K from A');
  assert.equal(toHex(kb), v.K.toLowerCase(), 'K from B');
  const ada = h(v.ADa);
  const adb = h(v.ADb);
  const ir = transcriptIr(ya, ada, yb, adb);
  const oc = transcriptOc(ya, ada, yb, adb);
  assert.equal(toHex(isk(sid, ka, ir)), v.ISK_IR.toLowerCase(), 'ISK_IR');
  assert.equal(toHex(isk(sid, kb, oc)), v.ISK_SY.toLowerCase(), 'ISK_SY');
  assert.equal(toHex(sidOutput(ir)), v.sid_output_ir.toLowerCase(), 'sid_output_ir');
  assert.equal(toHex(sidOutput(oc)), v.sid_output_oc.toLowerCase(), 'sid_output_oc');
});

published('CPace generator_string and prepend_len as printed in the draft appendix', () => {
  const md = read('draft-irtf-cfrg-cpace.md');
  // The X25519 generator-string block: "(length: 170 bytes)" then hex lines.
  const at = md.indexOf('generator_string(G.DSI,PRS,CI,sid,H.s_in_bytes):');
  assert.ok(at > 0, 'generator_string block not found in the draft');
  const block = md.slice(at, md.indexOf('hash generator string', at));
  const expected = block
    .split('\n')
    .slice(2)
    .map((l) => l.trim())
    .join('');
  const v = JSON.parse(read('testvectors.json')).G_25519;
  assert.equal(toHex(generatorString(h(v.PRS), h(v.CI), h(v.sid))), expected);
  assert.equal(toHex(prependLen(new Uint8Array(0))), '00');
  assert.equal(toHex(prependLen(new TextEncoder().encode('1234'))), '0431323334');
  assert.equal(toHex(prependLen(new Uint8Array(128)).subarray(0, 2)), '8001');
  assert.equal(toHex(lvCat(new Uint8Array(0), Uint8Array.of(1))), '000101');
});

published('CPace G_X25519.scalar_mult_vfy: low-order and non-canonical points', () => {
  const points = JSON.parse(read('testvectors.json')).X25519_points;
  const md = read('draft-irtf-cfrg-cpace.md');
  const at = md.indexOf('### Test vectors for G\\_X25519.scalar\\_mult\\_vfy: low order points');
  assert.ok(at > 0, 'low-order section not found in the draft');
  const section = md.slice(at, md.indexOf('####', at));
  const s = /^s = ([0-9a-f]{64})$/m.exec(section)?.[1];
  assert.ok(s, 'scalar s not found');
  const q = new Map(
    [...section.matchAll(/^q([0-9a-b]): ([0-9a-f]{64})$/gm)].map((m) => [m[1], m[2]]),
  );
  const u = new Map(
    [...section.matchAll(/^u([0-9a-b]): ([0-9a-f]{64})$/gm)].map((m) => [m[1], m[2]]),
  );
  assert.equal(q.size, 12, 'q0..qb');
  assert.equal(u.size, 12, 'u0..ub');
  let aborted = 0;
  for (let i = 0; i < 12; i++) {
    const name = i.toString(16);
    const point = points[`Invalid Y${i}`];
    assert.equal(
      point.toLowerCase(),
      u.get(name),
      `JSON Invalid Y${i} equals the draft's u${name}`,
    );
    const expected = q.get(name);
    if (/^0{64}$/.test(expected)) {
      assert.throws(
        () => scalarMultVfy(h(s), h(point)),
        (e) => e instanceof ProtocolError && e.code === 'INVALID_PUBLIC_KEY',
        `u${name} must abort`,
      );
      aborted++;
    } else {
      assert.equal(toHex(scalarMultVfy(h(s), h(point))), expected, `q${name}`);
    }
  }
  assert.equal(aborted, 7, 'u0..u5 and u7 abort');
});

// Short codes in JS (src/protocol/code.js, spec/short-codes.md): the code's text form and
// lenient reading, and fast random loops over the whole exchange (CPace CK1-CK6, then the X-Wing
// peer handshake): the same code always agrees, any other code always ends in
// CONFIRMATION_FAILED at the joiner's check of PeerAccept.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CodeParty, formatCode, newSecretDigits, parseCode } from '../src/protocol/code.js';
import { ProtocolError } from '../src/protocol/errors.js';
import { PeerInitiator, PeerResponder } from '../src/protocol/peer.js';
import { XWingKeyPair } from '../src/protocol/xwingKeyPair.js';

const bytes = (n) => new Uint8Array(randomBytes(n));
const digits = (v) => String(v).padStart(6, '0');

function exchange(joinerCode, creatorCode, slot, fp, sid) {
  const j = CodeParty.joiner(joinerCode, fp, slot, sid);
  const c = CodeParty.creator(creatorCode, fp, slot, sid);
  const cp1 = j.shareMessage();
  const cp2 = c.shareMessage();
  const jk = XWingKeyPair.generate();
  const ck = XWingKeyPair.generate();
  const s = PeerInitiator.start(j.receive(cp2), jk, ck.publicKey());
  const a = PeerResponder.receive(c.receive(cp1), ck, s.peerInit);
  const e = s.next.receive(a.peerAccept);
  const r = a.next.receive(e.peerFinish);
  return [e.session, r];
}

test('formatCode and parseCode: the shown form reads back; separators and spaces are free', () => {
  assert.equal(formatCode(4, '739281'), '4-7392-81');
  assert.deepEqual(parseCode('4-7392-81'), { slot: 4, digits: '739281' });
  assert.deepEqual(parseCode(' 4 7392 81 '), { slot: 4, digits: '739281' });
  assert.deepEqual(parseCode('1234567890'), { slot: 1234, digits: '567890' });
  assert.deepEqual(parseCode('4294967295-0000-00'), { slot: 4294967295, digits: '000000' });
  for (const bad of ['', '4-7392-8', '739281', '0-7392-81', '04-7392-81', '4294967296-0000-00']) {
    assert.equal(parseCode(bad), null, bad);
  }
});

test('newSecretDigits: six digits, spread over all values', () => {
  const seen = new Set();
  for (let i = 0; i < 2000; i++) {
    const d = newSecretDigits();
    assert.match(d, /^[0-9]{6}$/);
    seen.add(d[0]);
  }
  assert.equal(seen.size, 10, 'every leading digit occurs');
});

test('random codes: the same code agrees (SAS, records), 25 runs', async () => {
  for (let i = 0; i < 25; i++) {
    const code = digits(Math.floor(Math.random() * 1e6));
    const slot = 1 + Math.floor(Math.random() * 0xfffffffe);
    const [joiner, creator] = exchange(code, code, slot, bytes(32), bytes(16));
    assert.equal(joiner.sas.decimal(), creator.sas.decimal());
    const pt = new TextEncoder().encode('invite');
    assert.deepEqual(await joiner.channel.open(await creator.channel.seal(pt)), pt);
  }
});

test('random codes: any other code fails with CONFIRMATION_FAILED, 25 runs', () => {
  for (let i = 0; i < 25; i++) {
    const v = Math.floor(Math.random() * 1e6);
    const other = (v + 1 + Math.floor(Math.random() * 999_999)) % 1e6;
    assert.notEqual(other, v);
    assert.throws(
      () => exchange(digits(other), digits(v), 7, bytes(32), bytes(16)),
      (e) => e instanceof ProtocolError && e.code === 'CONFIRMATION_FAILED',
    );
  }
});

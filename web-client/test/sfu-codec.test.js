// SFU_REQUEST and SFU_EVENT (spec/sfu.md §2) in the JS room codec: the same bytes as the Java
// codec (dev.hybridge.protocol.SfuMessageCodecTest), and the decoder's refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Direction, decodeRoomMessage, encodeRoomMessage } from '../src/protocol/roomCodec.js';

const txn = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
const json = new TextEncoder().encode('{"janus":"message"}');
const code = (/** @type {() => unknown} */ f) => {
  try {
    f();
  } catch (e) {
    return /** @type {{code?: string}} */ (e).code;
  }
  return 'no error';
};

test('SFU_REQUEST: 0x28 || handle || txn || json, and back', () => {
  const wire = encodeRoomMessage({ type: 'SFU_REQUEST', handle: 2, txn, json });
  assert.equal(Buffer.from(wire.slice(0, 10)).toString('hex'), '28020102030405060708');
  assert.equal(wire.length, 10 + json.length);
  const m = decodeRoomMessage(wire, Direction.CLIENT_TO_GATEWAY);
  assert.deepEqual(m, { type: 'SFU_REQUEST', handle: 2, txn, json });
});

test('SFU_EVENT: 0x38, the zero txn allowed for events Janus sent on its own', () => {
  const wire = encodeRoomMessage({ type: 'SFU_EVENT', handle: 1, txn: new Uint8Array(8), json });
  assert.equal(wire[0], 0x38);
  const m = decodeRoomMessage(wire, Direction.GATEWAY_TO_CLIENT);
  assert.equal(m.type, 'SFU_EVENT');
});

test('bad handle, zero txn, no json, wrong direction; 0x26/0x36 stay unknown', () => {
  const ok = encodeRoomMessage({ type: 'SFU_REQUEST', handle: 1, txn, json });
  for (const h of [0, 3, 0xff]) {
    const bad = ok.slice();
    bad[1] = h;
    assert.equal(
      code(() => decodeRoomMessage(bad, Direction.CLIENT_TO_GATEWAY)),
      'MALFORMED_MESSAGE',
    );
  }
  const zero = ok.slice();
  zero.fill(0, 2, 10);
  assert.equal(
    code(() => decodeRoomMessage(zero, Direction.CLIENT_TO_GATEWAY)),
    'MALFORMED_MESSAGE',
  );
  assert.equal(
    code(() => decodeRoomMessage(ok.slice(0, 10), Direction.CLIENT_TO_GATEWAY)),
    'MALFORMED_MESSAGE',
  );
  assert.equal(
    code(() => decodeRoomMessage(ok, Direction.GATEWAY_TO_CLIENT)),
    'UNEXPECTED_MESSAGE',
  );
  for (const t of [0x26, 0x36]) {
    const unknown = ok.slice();
    unknown[0] = t;
    assert.equal(
      code(() => decodeRoomMessage(unknown, Direction.CLIENT_TO_GATEWAY)),
      'UNKNOWN_MESSAGE',
    );
  }
});

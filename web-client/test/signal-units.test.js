// The signaling layer's logic without a gateway: the well-known checks, close-code mapping,
// peer-message rules, the membership comparison and its stability window, the backoff, the
// client-side hop handshake timeout, and peer channels end to end in memory (wrong psk, key
// mismatch, records). The behaviour against the real gateway is in signal-gateway.test.js.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64UrlEncode } from '../src/protocol/bytes.js';
import { ProtocolError } from '../src/protocol/errors.js';
import { Fingerprint } from '../src/protocol/fingerprint.js';
import { RoomSecret } from '../src/protocol/room.js';
import { XWingKeyPair } from '../src/protocol/xwingKeyPair.js';
import { Backoff } from '../src/signal/backoff.js';
import { LOCAL_CODES, SignalError, describeError } from '../src/signal/errors.js';
import {
  GatewayConnection,
  checkWellKnown,
  fetchGatewayKey,
  webSocketUrl,
} from '../src/signal/gatewayConnection.js';
import { MembershipCheck, sortView } from '../src/signal/membership.js';
import { RoomView } from '../src/signal/roomView.js';
import { PeerChannelState, PeerChannel } from '../src/signal/peerChannel.js';
import {
  PeerLimits,
  decodePeerMessage,
  encodePeerMessage,
  newChatId,
  peerMessageProblem,
} from '../src/signal/peerMessages.js';
import { CallSession } from '../src/signal/session.js';

const signalCode = (c) => (e) => e instanceof SignalError && e.code === c;
const hex = (n, c) => c.repeat(n);

// ------------------------------------------------------------------ gateway key and URLs

test('webSocketUrl: ws: for http, wss: for https, path /ws', () => {
  assert.equal(webSocketUrl('http://127.0.0.1:8080'), 'ws://127.0.0.1:8080/ws');
  assert.equal(webSocketUrl('https://call.example.org'), 'wss://call.example.org/ws');
  assert.equal(webSocketUrl('https://call.example.org/some/page'), 'wss://call.example.org/ws');
  assert.throws(() => webSocketUrl('ftp://x'), TypeError);
});

test('checkWellKnown: spec/hop-handshake.md §3 in order, pin compared as bytes', () => {
  const key = XWingKeyPair.generate();
  const pk = key.publicKey();
  const pin = Fingerprint.of(pk);
  const doc = {
    versions: [1],
    suites: [1],
    public_key: base64UrlEncode(pk),
    fingerprint: 'ignored',
  };
  assert.deepEqual(checkWellKnown(doc, pin), pk);
  assert.deepEqual(checkWellKnown({ ...doc, versions: [2, 1], extra: 'ignored' }, pin), pk);
  const other = Fingerprint.of(XWingKeyPair.generate().publicKey());
  assert.throws(() => checkWellKnown(doc, other), signalCode('UNKNOWN_GATEWAY_KEY'));
  // The informational member is never used in place of the computation.
  assert.throws(
    () => checkWellKnown({ ...doc, fingerprint: Fingerprint.toHex(other) }, other),
    signalCode('UNKNOWN_GATEWAY_KEY'),
  );
  for (const bad of [
    null,
    [],
    'x',
    { ...doc, public_key: `${base64UrlEncode(pk)}=` },
    { ...doc, public_key: base64UrlEncode(pk.subarray(1)) },
    { ...doc, public_key: undefined },
  ]) {
    assert.throws(() => checkWellKnown(bad, pin), signalCode(LOCAL_CODES.GATEWAY_INCOMPATIBLE));
  }
  // The pin is checked before versions: a wrong key is reported as such even if also incompatible.
  assert.throws(
    () => checkWellKnown({ ...doc, versions: [2] }, other),
    signalCode('UNKNOWN_GATEWAY_KEY'),
  );
  assert.throws(
    () => checkWellKnown({ ...doc, versions: [2] }, pin),
    signalCode(LOCAL_CODES.GATEWAY_INCOMPATIBLE),
  );
  assert.throws(
    () => checkWellKnown({ ...doc, suites: [] }, pin),
    signalCode(LOCAL_CODES.GATEWAY_INCOMPATIBLE),
  );
  assert.throws(
    () => checkWellKnown({ ...doc, suites: '1' }, pin),
    signalCode(LOCAL_CODES.GATEWAY_INCOMPATIBLE),
  );
});

test('checkWellKnown: a pin listed as retired is GATEWAY_KEY_RETIRED with the date, never a fallback (§3.1)', () => {
  const pk = XWingKeyPair.generate().publicKey();
  const old = Fingerprint.of(XWingKeyPair.generate().publicKey());
  const oldHex = Fingerprint.toHex(old);
  const doc = {
    versions: [1],
    suites: [1],
    public_key: base64UrlEncode(pk),
    retired: [
      { fingerprint: 'ab'.repeat(32), retired_at: '2026-01-01T00:00:00Z' },
      7,
      null,
      { fingerprint: oldHex, retired_at: '2026-11-26T09:00:00Z' },
    ],
  };
  let err;
  assert.throws(
    () => checkWellKnown(doc, old),
    (e) => {
      err = e;
      return e.code === LOCAL_CODES.GATEWAY_KEY_RETIRED;
    },
  );
  assert.equal(err.detail.retiredAt, '2026-11-26T09:00:00.000Z');
  assert.match(err.message, /retired on .*new link/);
  // No parseable date: the message says so without one.
  assert.throws(
    () => checkWellKnown({ ...doc, retired: [{ fingerprint: oldHex, retired_at: 'soon' }] }, old),
    (e) =>
      e.code === LOCAL_CODES.GATEWAY_KEY_RETIRED &&
      e.detail.retiredAt === null &&
      !/retired on/.test(e.message),
  );
  // Not listed, or a malformed list: the plain mismatch.
  const other = Fingerprint.of(XWingKeyPair.generate().publicKey());
  assert.throws(() => checkWellKnown(doc, other), signalCode('UNKNOWN_GATEWAY_KEY'));
  assert.throws(
    () => checkWellKnown({ ...doc, retired: 'x' }, old),
    signalCode('UNKNOWN_GATEWAY_KEY'),
  );
});

test('fetchGatewayKey: network failure is GATEWAY_UNREACHABLE, bad JSON GATEWAY_INCOMPATIBLE', async () => {
  const pin = new Uint8Array(32);
  await assert.rejects(
    fetchGatewayKey('http://127.0.0.1:9', pin, () => Promise.reject(new TypeError('fetch failed'))),
    signalCode(LOCAL_CODES.GATEWAY_UNREACHABLE),
  );
  await assert.rejects(
    fetchGatewayKey('http://127.0.0.1:9', pin, async () => new Response('not json')),
    signalCode(LOCAL_CODES.GATEWAY_INCOMPATIBLE),
  );
  await assert.rejects(
    fetchGatewayKey('http://127.0.0.1:9', pin, async () => new Response('', { status: 503 })),
    signalCode(LOCAL_CODES.GATEWAY_UNREACHABLE),
  );
  await assert.rejects(
    fetchGatewayKey('http://127.0.0.1:9', pin, async () => new Response('', { status: 404 })),
    signalCode(LOCAL_CODES.GATEWAY_INCOMPATIBLE),
  );
});

test('close codes map to the one error list (spec/errors.md)', () => {
  assert.equal(SignalError.fromClose(4005, 'UNKNOWN_GATEWAY_KEY').code, 'UNKNOWN_GATEWAY_KEY');
  assert.equal(SignalError.fromClose(4008, 'CONFIRMATION_FAILED').code, 'CONFIRMATION_FAILED');
  assert.equal(SignalError.fromClose(4009, '').code, 'HANDSHAKE_TIMEOUT');
  assert.equal(SignalError.fromClose(4104, 'RATE_LIMITED').code, 'RATE_LIMITED');
  assert.equal(SignalError.fromClose(4112, 'SLOW_CONSUMER').code, 'SLOW_CONSUMER');
  assert.equal(SignalError.fromClose(4999, 'X').code, LOCAL_CODES.UNKNOWN_FAILURE); // unknown code in 4000-4999
  assert.equal(SignalError.fromClose(4000, '').code, LOCAL_CODES.CONNECTION_LOST);
  assert.equal(SignalError.fromClose(1001, 'SHUTTING_DOWN').code, 'SHUTTING_DOWN');
  assert.equal(SignalError.fromClose(1009, 'MESSAGE_TOO_LARGE').code, 'MESSAGE_TOO_LARGE');
  assert.equal(SignalError.fromClose(1006, '').code, LOCAL_CODES.CONNECTION_LOST);
  assert.equal(SignalError.from(new ProtocolError('RECORD_REPLAYED')).code, 'RECORD_REPLAYED');
  assert.equal(SignalError.from(new Error('x')).code, LOCAL_CODES.UNKNOWN_FAILURE);
  for (const c of [
    'ROOM_FULL',
    'UNKNOWN_GATEWAY_KEY',
    'CONFIRMATION_FAILED',
    ...Object.values(LOCAL_CODES),
  ]) {
    assert.ok(describeError(c).length > 10, c);
  }
});

/** A WebSocket that opens and then never says anything (a gateway that does not answer HS1). */
class SilentWebSocket {
  static instances = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.closedWith = null;
    SilentWebSocket.instances.push(this);
    setTimeout(() => this.onopen?.(), 5);
  }
  send(b) {
    this.sent.push(b);
  }
  close(code, reason) {
    this.closedWith = { code, reason };
    setTimeout(() => this.onclose?.({ code: 1005, reason: '' }), 0);
  }
}

test('client-side hop handshake timeout: HANDSHAKE_TIMEOUT, the WebSocket is closed with 4009', async () => {
  const pk = XWingKeyPair.generate().publicKey();
  const conn = new GatewayConnection({
    origin: 'http://127.0.0.1:1',
    gatewayPublicKey: pk,
    WebSocketImpl: SilentWebSocket,
    handshakeTimeoutMs: 150,
  });
  const t0 = performance.now();
  await assert.rejects(conn.open(), signalCode('HANDSHAKE_TIMEOUT'));
  assert.ok(performance.now() - t0 >= 140);
  const ws = SilentWebSocket.instances.at(-1);
  assert.equal(ws.url, 'ws://127.0.0.1:1/ws');
  assert.equal(ws.binaryType, 'arraybuffer');
  assert.equal(ws.sent.length, 1);
  assert.equal(ws.sent[0].length, 2372); // HS1 went out, HS2 never came
  assert.deepEqual(ws.closedWith, { code: 4009, reason: 'HANDSHAKE_TIMEOUT' });
  assert.equal(conn.closed, true);
});

test('a text WebSocket message during the handshake is MALFORMED_MESSAGE (spec/hop-handshake.md §2)', async () => {
  class TextWebSocket extends SilentWebSocket {
    send(b) {
      super.send(b);
      setTimeout(() => this.onmessage?.({ data: 'hello' }), 0);
    }
  }
  const pk = XWingKeyPair.generate().publicKey();
  const conn = new GatewayConnection({
    origin: 'http://127.0.0.1:1',
    gatewayPublicKey: pk,
    WebSocketImpl: TextWebSocket,
  });
  await assert.rejects(conn.open(), signalCode('MALFORMED_MESSAGE'));
  assert.deepEqual(SilentWebSocket.instances.at(-1).closedWith, {
    code: 4001,
    reason: 'MALFORMED_MESSAGE',
  });
});

test('CallSession refuses bad options at construction', () => {
  const ok = {
    origin: 'http://127.0.0.1:1',
    roomSecret: new Uint8Array(32),
    pinnedFingerprint: new Uint8Array(32),
    name: 'Ada',
  };
  assert.ok(new CallSession(ok));
  assert.throws(() => new CallSession({ ...ok, roomSecret: new Uint8Array(31) }), TypeError);
  assert.throws(() => new CallSession({ ...ok, pinnedFingerprint: new Uint8Array(16) }), TypeError);
  assert.throws(
    () => new CallSession({ ...ok, name: '' }),
    signalCode(LOCAL_CODES.INVALID_PEER_MESSAGE),
  );
  assert.throws(
    () => new CallSession({ ...ok, name: 'x'.repeat(65) }),
    signalCode(LOCAL_CODES.INVALID_PEER_MESSAGE),
  );
  assert.ok(new CallSession({ ...ok, name: '😀'.repeat(64) })); // 64 characters, 128 UTF-16 units
});

test('a pin mismatch stops start() before any WebSocket exists', async () => {
  const key = XWingKeyPair.generate();
  const doc = { versions: [1], suites: [1], public_key: base64UrlEncode(key.publicKey()) };
  let sockets = 0;
  class CountingWebSocket {
    constructor() {
      sockets++;
      throw new Error('must not be called');
    }
  }
  const s = new CallSession({
    origin: 'https://gw.example',
    roomSecret: new Uint8Array(32),
    pinnedFingerprint: new Uint8Array(32).fill(7),
    name: 'Ada',
    WebSocketImpl: CountingWebSocket,
    fetchImpl: async () => new Response(JSON.stringify(doc)),
  });
  const errors = [];
  s.addEventListener('error', (e) => errors.push(e.detail));
  await assert.rejects(s.start(), signalCode('UNKNOWN_GATEWAY_KEY'));
  assert.equal(sockets, 0);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'UNKNOWN_GATEWAY_KEY');
  assert.match(errors[0].message, /does not match the link/);
  assert.equal(s.state, 'closed');
});

// ------------------------------------------------------------------ peer messages

test('peer messages: every type of spec/peer-messages.md §2 and its rules', () => {
  const ok = [
    { t: 'hello', name: 'Ada', agent: 'x' },
    { t: 'hello', name: 'x'.repeat(64) },
    { t: 'view', members: [{ id: hex(16, 'a'), fp: hex(64, 'b') }] },
    { t: 'sdp', description: { type: 'offer', sdp: 'v=0' } },
    { t: 'sdp', description: { type: 'rollback' } },
    { t: 'ice', candidate: { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host', sdpMid: '0' } },
    { t: 'ice', candidate: null },
    { t: 'key', kid: 0, key: base64UrlEncode(new Uint8Array(32)) },
    { t: 'key', kid: Number.MAX_SAFE_INTEGER, key: base64UrlEncode(new Uint8Array(32)) },
    { t: 'tracks', screen: null },
    { t: 'tracks', screen: 'stream-1' },
    { t: 'media', audio: true, video: false },
    { t: 'media', audio: false, video: true },
    {
      t: 'chat',
      id: newChatId(),
      text: 'x'.repeat(PeerLimits.MAX_CHAT_CHARS),
      kind: 'code',
      ts: 1,
    },
    { t: 'bye' },
    { t: 'sfu-seen' },
    { t: 'keyframe' },
    { t: 'future-type', anything: 1 },
  ];
  for (const m of ok) assert.equal(peerMessageProblem(m), null, JSON.stringify(m).slice(0, 80));
  const bad = [
    [null, /JSON object/],
    [[], /JSON object/],
    [{ x: 1 }, /member t/],
    [{ t: 'hello', name: '' }, /1 to 64/],
    [{ t: 'hello', name: 'x'.repeat(65) }, /1 to 64/],
    [{ t: 'hello' }, /string/],
    [{ t: 'view', members: [{ id: 'A'.repeat(16), fp: hex(64, 'b') }] }, /16 hex/],
    [
      { t: 'view', members: new Array(65).fill({ id: hex(16, 'a'), fp: hex(64, 'b') }) },
      /too many/,
    ],
    [{ t: 'sdp', description: { type: 'pranswer', sdp: '' } }, /offer, answer or rollback/],
    [{ t: 'ice', candidate: 'x' }, /object or null/],
    [{ t: 'media', video: true }, /media.audio must be true or false/],
    [{ t: 'media', audio: 'yes', video: true }, /media.audio must be true or false/],
    [{ t: 'media', audio: true, video: 1 }, /media.video must be true or false/],
    [{ t: 'media', audio: true, video: null }, /media.video must be true or false/],
    [{ t: 'key', kid: -1, key: base64UrlEncode(new Uint8Array(32)) }, /kid/],
    [{ t: 'key', kid: 1.5, key: base64UrlEncode(new Uint8Array(32)) }, /kid/],
    [{ t: 'key', kid: 1, key: base64UrlEncode(new Uint8Array(16)) }, /32 bytes/],
    [
      {
        t: 'chat',
        id: newChatId(),
        text: 'x'.repeat(PeerLimits.MAX_CHAT_CHARS + 1),
        kind: 'text',
        ts: 1,
      },
      /at most 8000/,
    ],
    [{ t: 'chat', id: 'xyz', text: 'a', kind: 'text', ts: 1 }, /chat.id/],
    [{ t: 'chat', id: newChatId(), text: 'a', kind: 'html', ts: 1 }, /kind/],
    [{ t: 'chat', id: newChatId(), text: 'a', kind: 'text' }, /ts/],
  ];
  for (const [m, why] of bad) {
    assert.match(peerMessageProblem(m), why);
    assert.throws(
      () => encodePeerMessage(m),
      (e) => signalCode(LOCAL_CODES.INVALID_PEER_MESSAGE)(e) && why.test(e.message),
    );
  }
  // 8000 characters of 4-byte UTF-8 is 32000 bytes: over the record, refused by size with a clear reason.
  assert.throws(
    () =>
      encodePeerMessage({
        t: 'chat',
        id: newChatId(),
        text: '😀'.repeat(8000),
        kind: 'text',
        ts: 1,
      }),
    (e) =>
      e.code === LOCAL_CODES.INVALID_PEER_MESSAGE && /more than the 16384 bytes/.test(e.message),
  );
  // Exactly at the record limit passes; one byte over does not.
  const base = JSON.stringify({ t: 'sdp', description: { type: 'offer', sdp: '' } }).length;
  assert.equal(
    encodePeerMessage({ t: 'sdp', description: { type: 'offer', sdp: 'a'.repeat(16384 - base) } })
      .length,
    16384,
  );
  assert.throws(
    () =>
      encodePeerMessage({
        t: 'sdp',
        description: { type: 'offer', sdp: 'a'.repeat(16385 - base) },
      }),
    /16384/,
  );
});

test('decodePeerMessage: drops what breaks a rule, returns unknown types', () => {
  const enc = new TextEncoder();
  assert.deepEqual(decodePeerMessage(enc.encode('{"t":"bye"}')), { msg: { t: 'bye' } });
  assert.deepEqual(decodePeerMessage(enc.encode('{"t":"new","x":1}')), { msg: { t: 'new', x: 1 } });
  assert.match(decodePeerMessage(enc.encode('not json')).drop, /JSON/);
  assert.match(decodePeerMessage(new Uint8Array([0x22, 0xff, 0x22])).drop, /UTF-8/);
  assert.match(decodePeerMessage(enc.encode('[1]')).drop, /object/);
  assert.match(decodePeerMessage(enc.encode('{"t":"hello","name":""}')).drop, /1 to 64/);
  // media (app/mediaPresence.js): both flags, booleans only; a malformed one is dropped, not guessed.
  assert.deepEqual(decodePeerMessage(enc.encode('{"t":"media","audio":false,"video":true}')), {
    msg: { t: 'media', audio: false, video: true },
  });
  assert.match(decodePeerMessage(enc.encode('{"t":"media","audio":0,"video":true}')).drop, /audio/);
  assert.match(decodePeerMessage(enc.encode('{"t":"media","audio":true}')).drop, /video/);
});

// ------------------------------------------------------------------ membership cross-check

const m = (id, fp) => ({ id: id.padEnd(16, '0'), fp: fp.padEnd(64, '0') });

test('membership: compared only after both views were stable for the window', () => {
  const c = new MembershipCheck({ stableMs: 3000 });
  const v = [m('a', '1'), m('b', '2')];
  c.setMine(v, 0);
  assert.equal(c.nextCheckAt(), null); // no peer view yet
  c.setTheirs('P', [m('a', '1')], 1000); // differs: but not yet stable
  assert.equal(c.nextCheckAt(), 4000);
  assert.deepEqual(c.evaluate(3999), []);
  assert.equal(c.verdict('P'), null);
  // Their view catches up before the window ends (a join seen a bit later): no warning.
  c.setTheirs('P', [m('b', '2'), m('a', '1')], 2000); // order does not matter
  assert.equal(c.nextCheckAt(), 5000);
  assert.deepEqual(c.evaluate(4999), []);
  assert.deepEqual(c.evaluate(5000), []);
  assert.equal(c.verdict('P'), 'match');
  assert.equal(c.nextCheckAt(), null);
});

test('membership: a difference that stays reports once, with what each side has alone', () => {
  const c = new MembershipCheck({ stableMs: 3000 });
  c.setMine([m('a', '1'), m('b', '2')], 0);
  c.setTheirs('P', [m('a', '1'), m('b', '2'), m('h', '9')], 100); // a hidden member on their side
  c.setTheirs('Q', [m('a', '1'), m('b', '2')], 100);
  const out = c.evaluate(3100);
  assert.equal(out.length, 1);
  assert.equal(out[0].key, 'P');
  assert.deepEqual(out[0].onlyTheirs, [m('h', '9')]);
  assert.deepEqual(out[0].onlyMine, []);
  assert.equal(c.verdict('Q'), 'match');
  assert.deepEqual(c.evaluate(10_000), []); // once
  // The same view again changes nothing; a new one is compared again after its window.
  assert.equal(c.setTheirs('P', [m('h', '9'), m('a', '1'), m('b', '2')], 11_000), false);
  assert.deepEqual(c.evaluate(20_000), []);
  c.setTheirs('P', [m('a', '1'), m('b', '3')], 21_000); // same id, another key: also a difference
  assert.deepEqual(c.evaluate(23_999), []);
  const again = c.evaluate(24_000);
  assert.deepEqual(again[0].onlyMine, [m('b', '2')]);
  assert.deepEqual(again[0].onlyTheirs, [m('b', '3')]);
});

test('membership: our own change restarts the window for every peer; not joined means no comparison', () => {
  const c = new MembershipCheck({ stableMs: 3000 });
  c.setMine([m('a', '1')], 0);
  c.setTheirs('P', [m('a', '1')], 0);
  assert.deepEqual(c.evaluate(3000), []);
  assert.equal(c.verdict('P'), 'match');
  assert.equal(c.setMine([m('a', '1')], 4000), false); // unchanged
  assert.equal(c.setMine([m('a', '1'), m('c', '3')], 5000), true); // a join we saw
  assert.equal(c.verdict('P'), null);
  assert.deepEqual(c.evaluate(7999), []);
  assert.equal(c.evaluate(8000).length, 1); // they never sent the new member: mismatch
  c.clearMine();
  c.setTheirs('P', [m('z', '1')], 9000);
  assert.equal(c.nextCheckAt(), null);
  assert.deepEqual(c.evaluate(100_000), []);
  c.setMine([m('z', '1')], 100_000);
  c.removePeer('P');
  assert.deepEqual(c.evaluate(200_000), []);
});

test('room view: losing the gateway tells the peers so (an empty view); a peer that sends one is not compared', async () => {
  const sent = [];
  const mismatches = [];
  const view = new RoomView({
    stableMs: 20,
    now: () => performance.now(),
    onMismatch: (x) => mismatches.push(x),
    sendToAll: (bytes) => sent.push(decodePeerMessage(bytes).msg),
  });
  const a = { id: 'a'.repeat(16), fp: '1'.repeat(64) };
  const b = { id: 'b'.repeat(16), fp: '2'.repeat(64) };
  const old = { id: 'c'.repeat(16), fp: '2'.repeat(64) };
  view.set(a.id, a.fp);
  view.set(b.id, b.fp);
  view.changed();
  view.setTheirs('P', [a, old]); // the view P had before it lost the gateway...
  view.setTheirs('P', []); // ...and its word that it has none now
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(mismatches, [], 'nothing compared with a peer that has no view');
  view.setTheirs('P', [a, old]); // a real view again: compared
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(mismatches.length, 1);
  assert.deepEqual(mismatches[0].onlyTheirs, [old]);
  view.lost();
  assert.deepEqual(sent.at(-1), { t: 'view', members: [] });
  assert.deepEqual(view.members(), []);
  view.close();
});

test('sortView sorts by id as spec/peer-messages.md §2 sends them', () => {
  assert.deepEqual(
    sortView([m('b', '1'), m('a', '2')]).map((x) => x.id[0]),
    ['a', 'b'],
  );
});

// ------------------------------------------------------------------ backoff

test('backoff: 0.5 s doubling to 8 s, each delay jittered within [d/2, d], reset after success', () => {
  const lo = new Backoff({ random: () => 0 });
  const hi = new Backoff({ random: () => 0.999999 });
  assert.deepEqual(
    Array.from({ length: 7 }, () => lo.next()),
    [250, 500, 1000, 2000, 4000, 4000, 4000],
  );
  assert.deepEqual(
    Array.from({ length: 7 }, () => hi.next()),
    [500, 1000, 2000, 4000, 8000, 8000, 8000],
  );
  lo.reset();
  assert.equal(lo.next(), 250);
  const r = new Backoff();
  for (let i = 0; i < 100; i++) {
    const d = r.next();
    assert.ok(d >= 250 && d <= 8000);
  }
});

// ------------------------------------------------------------------ peer channels in memory

function channelPair({ psk2 } = {}) {
  const room = RoomSecret.of(RoomSecret.generate());
  const idI = crypto.getRandomValues(new Uint8Array(8));
  const idR = crypto.getRandomValues(new Uint8Array(8));
  const kI = XWingKeyPair.generate();
  const kR = XWingKeyPair.generate();
  const { channel: init, peerInit } = PeerChannel.initiate({
    roomId: room.roomId(),
    psk: room.psk(),
    ownId: idI,
    remoteId: idR,
    ownKey: kI,
    remoteKey: kR.publicKey(),
  });
  const resp = PeerChannel.respond({
    roomId: room.roomId(),
    psk: psk2 ?? room.psk(),
    ownId: idR,
    remoteId: idI,
    ownKey: kR,
    remoteKey: kI.publicKey(),
  });
  return { init, resp, peerInit, kI, kR, room, idI, idR };
}

test('PeerChannel: initiator and responder establish, equal SAS, records both ways', async () => {
  const { init, resp, peerInit } = channelPair();
  assert.equal(init.state, PeerChannelState.WAIT_PEER_ACCEPT);
  assert.equal(resp.state, PeerChannelState.WAIT_PEER_INIT);
  const a = resp.receiveHandshake(peerInit);
  assert.equal(a.established, false);
  assert.equal(resp.state, PeerChannelState.WAIT_PEER_FINISH);
  const f = init.receiveHandshake(a.reply);
  assert.equal(f.established, true);
  const r = resp.receiveHandshake(f.reply);
  assert.deepEqual(r, { reply: null, established: true });
  assert.match(init.sas, /^\d{4}-\d{4}-\d{4}$/);
  assert.equal(init.sas, resp.sas);
  assert.deepEqual(init.handshakeHash(), resp.handshakeHash());
  const pt = encodePeerMessage({ t: 'bye' });
  assert.deepEqual(await resp.openRecord(await init.seal(pt)), pt);
  assert.deepEqual(await init.openRecord(await resp.seal(pt)), pt);
  // A handshake message on an established channel is a failed record: terminal for the pair.
  await assert.rejects(init.openRecord(peerInit), (e) => e.code === 'UNEXPECTED_MESSAGE');
  assert.equal(init.state, PeerChannelState.FAILED);
  assert.equal(init.failure, 'UNEXPECTED_MESSAGE');
});

test('PeerChannel: a wrong psk fails at the initiator with CONFIRMATION_FAILED; the responder gets nothing more', () => {
  const { init, resp, peerInit } = channelPair({
    psk2: crypto.getRandomValues(new Uint8Array(32)),
  });
  const a = resp.receiveHandshake(peerInit);
  assert.throws(
    () => init.receiveHandshake(a.reply),
    (e) => e.code === 'CONFIRMATION_FAILED',
  );
  assert.equal(init.state, PeerChannelState.FAILED);
  assert.equal(init.failure, 'CONFIRMATION_FAILED');
  assert.equal(resp.state, PeerChannelState.WAIT_PEER_FINISH); // it would time out
});

test('PeerChannel: the responder refuses a PeerInit made with another key than the announced one (KEY_MISMATCH)', () => {
  const room = RoomSecret.of(RoomSecret.generate());
  const idI = new Uint8Array(8).fill(1);
  const idR = new Uint8Array(8).fill(2);
  const kI = XWingKeyPair.generate();
  const kR = XWingKeyPair.generate();
  const announcedForI = XWingKeyPair.generate().publicKey(); // the gateway announced another key for I
  const { peerInit } = PeerChannel.initiate({
    roomId: room.roomId(),
    psk: room.psk(),
    ownId: idI,
    remoteId: idR,
    ownKey: kI,
    remoteKey: kR.publicKey(),
  });
  const resp = PeerChannel.respond({
    roomId: room.roomId(),
    psk: room.psk(),
    ownId: idR,
    remoteId: idI,
    ownKey: kR,
    remoteKey: announcedForI,
  });
  assert.throws(() => resp.receiveHandshake(peerInit), signalCode(LOCAL_CODES.KEY_MISMATCH));
  assert.equal(resp.state, PeerChannelState.FAILED);
  assert.equal(resp.failure, LOCAL_CODES.KEY_MISMATCH);
});

test('PeerChannel: a PeerInit where we initiate, or twice, fails that pair with UNEXPECTED_MESSAGE', () => {
  const { init, resp, peerInit } = channelPair();
  assert.throws(
    () => init.receiveHandshake(peerInit),
    (e) => e.code === 'UNEXPECTED_MESSAGE',
  );
  assert.equal(init.state, PeerChannelState.FAILED);
  resp.receiveHandshake(peerInit);
  assert.throws(
    () => resp.receiveHandshake(peerInit),
    (e) => e.code === 'UNEXPECTED_MESSAGE',
  );
  assert.equal(resp.state, PeerChannelState.FAILED);
  assert.throws(
    () => resp.receiveHandshake(peerInit),
    (e) => e.code === 'UNEXPECTED_MESSAGE',
  ); // terminal
});

test('a WebSocket that cannot even be created is GATEWAY_UNREACHABLE, and close fires', async () => {
  class Throwing {
    constructor() {
      throw new SyntaxError('bad url');
    }
  }
  const conn = new GatewayConnection({
    origin: 'http://127.0.0.1:1',
    gatewayPublicKey: new Uint8Array(1216),
    WebSocketImpl: Throwing,
  });
  let closed = null;
  conn.addEventListener('close', (e) => {
    closed = e.detail;
  });
  await assert.rejects(conn.open(), signalCode(LOCAL_CODES.GATEWAY_UNREACHABLE));
  assert.equal(closed.error.code, LOCAL_CODES.GATEWAY_UNREACHABLE);
  assert.equal(conn.closed, true);
});

test('no WebCrypto (not a secure context): start() fails with INSECURE_CONTEXT before any request', async () => {
  let fetched = 0;
  const s = new CallSession({
    origin: 'http://192.0.2.1',
    roomSecret: new Uint8Array(32),
    pinnedFingerprint: new Uint8Array(32),
    name: 'Ada',
    fetchImpl: async () => {
      fetched++;
      throw new Error('no');
    },
  });
  const errors = [];
  s.addEventListener('error', (e) => errors.push(e.detail));
  const desc = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  Object.defineProperty(globalThis, 'crypto', {
    value: { getRandomValues: (a) => desc.get.call(globalThis).getRandomValues(a) },
    configurable: true,
  });
  let started;
  try {
    started = s.start(); // the check runs synchronously, before the first await
  } finally {
    Object.defineProperty(globalThis, 'crypto', desc);
  }
  await assert.rejects(
    started,
    (e) => e.code === LOCAL_CODES.INSECURE_CONTEXT && /secure context/.test(e.message),
  );
  assert.equal(fetched, 0);
  assert.equal(errors[0].code, LOCAL_CODES.INSECURE_CONTEXT);
  assert.equal(errors[0].fatal, true);
});

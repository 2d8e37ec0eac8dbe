// Behaviour the vectors cannot show: real (random) handshakes end to end, inputs are never
// mutated, secrets are wiped on error and on success, states are single-use, record-layer
// terminality and ordering under async use, strict encodings, and the spec's worked examples.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  base64UrlDecode,
  base64UrlEncode,
  fromHex,
  getU64,
  isAllZero,
  toHex,
} from '../src/protocol/bytes.js';
import { ProtocolError } from '../src/protocol/errors.js';
import { Fingerprint } from '../src/protocol/fingerprint.js';
import { HopClient, pinnedGatewayKey } from '../src/protocol/hopClient.js';
import { HopServer } from '../src/protocol/hopServer.js';
import { PeerContext, PeerInitiator, PeerResponder } from '../src/protocol/peer.js';
import { EpochSecrets, RecordFormat, RecordOpener, RecordSealer } from '../src/protocol/record.js';
import { RoomSecret, formatLinkFragment, parseLinkFragment } from '../src/protocol/room.js';
import { Sas } from '../src/protocol/sas.js';
import { XWingKeyPair } from '../src/protocol/xwingKeyPair.js';

const enc = new TextEncoder();

function code(c) {
  return (e) => e instanceof ProtocolError && e.code === c;
}

function allWiped(secrets) {
  assert.ok(secrets.length > 0, 'no secrets exposed');
  for (const s of secrets) assert.ok(isAllZero(s), 'a secret was not wiped');
}

/** Runs fn and checks that none of the arrays changed. */
function unchanged(arrays, fn) {
  const before = arrays.map((a) => a.slice());
  const out = fn();
  const check = () =>
    arrays.forEach((a, i) => assert.deepEqual(a, before[i], `input ${i} was mutated`));
  if (out instanceof Promise)
    return out.then(
      (v) => {
        check();
        return v;
      },
      (e) => {
        check();
        throw e;
      },
    );
  check();
  return out;
}

function hopPair() {
  const gateway = XWingKeyPair.generate();
  const server = new HopServer([gateway]);
  return { gateway, server };
}

function peerSetup() {
  const room = RoomSecret.of(RoomSecret.generate());
  const idI = crypto.getRandomValues(new Uint8Array(8));
  const idR = crypto.getRandomValues(new Uint8Array(8));
  const ctx = () => new PeerContext(room.roomId(), room.psk(), idI, idR);
  return { room, ctx, kI: XWingKeyPair.generate(), kR: XWingKeyPair.generate() };
}

test('hop handshake with fresh randomness, records both ways', async () => {
  const { gateway, server } = hopPair();
  const s = HopClient.start(gateway.publicKey());
  const a = server.receiveClientHello(s.clientHello);
  const e = s.next.receive(a.serverHello);
  const g = a.next.receive(e.clientFinished);
  assert.deepEqual(e.channel.handshakeHash(), g.handshakeHash());
  for (const msg of ['', 'hello', 'x'.repeat(1000)]) {
    assert.equal(
      new TextDecoder().decode(await g.open(await e.channel.seal(enc.encode(msg)))),
      msg,
    );
    assert.equal(
      new TextDecoder().decode(await e.channel.open(await g.seal(enc.encode(msg)))),
      msg,
    );
  }
  // Two runs never repeat a ClientHello (fresh esk and eseed).
  assert.notDeepEqual(HopClient.start(gateway.publicKey()).clientHello, s.clientHello);
});

test('peer handshake with fresh randomness: same SAS, same handshake hash, records both ways', async () => {
  const { ctx, kI, kR } = peerSetup();
  const s = PeerInitiator.start(ctx(), kI, kR.publicKey());
  const a = PeerResponder.receive(ctx(), kR, s.peerInit);
  assert.deepEqual(a.next.initiatorPublicKey(), kI.publicKey());
  const e = s.next.receive(a.peerAccept);
  const r = a.next.receive(e.peerFinish);
  assert.ok(e.session.sas.equals(r.sas));
  assert.match(e.session.sas.decimal(), /^[1-9]\d{3}-[1-9]\d{3}-[1-9]\d{3}$/);
  assert.deepEqual(e.session.channel.handshakeHash(), r.channel.handshakeHash());
  assert.deepEqual(e.session.remotePublicKey, kR.publicKey());
  assert.deepEqual(r.remotePublicKey, kI.publicKey());
  const pt = enc.encode('v=0 offer');
  assert.deepEqual(await r.channel.open(await e.session.channel.seal(pt)), pt);
  assert.deepEqual(await e.session.channel.open(await r.channel.seal(pt)), pt);
  // The per-session keys serve other pairs: the handshake does not destroy them.
  assert.equal(kI.isDestroyed(), false);
  assert.equal(kR.isDestroyed(), false);
});

test('no input is mutated: hop handshake and records', async () => {
  const { gateway, server } = hopPair();
  const pk = gateway.publicKey();
  const eph = new Uint8Array(32).fill(1);
  const eseed = new Uint8Array(64).fill(2);
  const gEseed = new Uint8Array(64).fill(3);
  const s = unchanged([pk, eph, eseed], () => HopClient.startForTestingOnly(pk, eph, eseed));
  const hello = s.clientHello;
  const a = unchanged([hello, gEseed], () =>
    server.receiveClientHelloForTestingOnly(hello, gEseed),
  );
  const sh = a.serverHello;
  const e = unchanged([sh], () => s.next.receive(sh));
  const cf = e.clientFinished;
  const g = unchanged([cf], () => a.next.receive(cf));
  const pt = enc.encode('plaintext');
  const rec = await unchanged([pt], () => e.channel.seal(pt));
  await unchanged([rec], () => g.open(rec));
});

test('no input is mutated: peer handshake and room secret', () => {
  const secret = RoomSecret.generate();
  const room = unchanged([secret], () => RoomSecret.of(secret));
  const roomId = room.roomId();
  const psk = room.psk();
  const idI = new Uint8Array(8).fill(1);
  const idR = new Uint8Array(8).fill(2);
  const ctxI = unchanged([roomId, psk, idI, idR], () => new PeerContext(roomId, psk, idI, idR));
  const ctxR = new PeerContext(roomId, psk, idI, idR);
  const kI = XWingKeyPair.generate();
  const kR = XWingKeyPair.generate();
  const pkR = kR.publicKey();
  const eseedI = new Uint8Array(64).fill(4);
  const nonce = new Uint8Array(32).fill(5);
  const eseedR = new Uint8Array(64).fill(6);
  const s = unchanged([pkR, eseedI, nonce], () =>
    PeerInitiator.startForTestingOnly(ctxI, kI, pkR, eseedI, nonce),
  );
  const init = s.peerInit;
  const a = unchanged([init, eseedR], () =>
    PeerResponder.receiveForTestingOnly(ctxR, kR, init, eseedR),
  );
  const accept = a.peerAccept;
  const e = unchanged([accept], () => s.next.receive(accept));
  const finish = e.peerFinish;
  unchanged([finish], () => a.next.receive(finish));
  // The caller's psk is not wiped by the handshake: the handshake wipes only its own copy.
  assert.deepEqual(psk, room.psk());
  assert.ok(!isAllZero(psk));
});

test('secrets are wiped on error and on success: hop client and gateway', () => {
  const { gateway, server } = hopPair();
  // Client: a ServerHello with a flipped confirm fails CONFIRMATION_FAILED and wipes esk and the schedule.
  const s1 = HopClient.start(gateway.publicKey());
  const a1 = server.receiveClientHello(s1.clientHello);
  const bad = a1.serverHello.slice();
  bad[bad.length - 1] ^= 1;
  assert.throws(() => s1.next.receive(bad), code('CONFIRMATION_FAILED'));
  allWiped(s1.next.secretsForTestingOnly());
  // Gateway: a wrong ClientFinished wipes the schedule and the expected confirmation.
  const s2 = HopClient.start(gateway.publicKey());
  const a2 = server.receiveClientHello(s2.clientHello);
  assert.throws(() => a2.next.receive(new Uint8Array(33).fill(3)), code('CONFIRMATION_FAILED'));
  allWiped(a2.next.secretsForTestingOnly());
  // Early failures (framing) wipe too.
  const s3 = HopClient.start(gateway.publicKey());
  assert.throws(() => s3.next.receive(new Uint8Array(0)), code('MALFORMED_MESSAGE'));
  allWiped(s3.next.secretsForTestingOnly());
  // Success wipes the handshake secrets as well (§7: only traffic secrets and th4 remain).
  const s4 = HopClient.start(gateway.publicKey());
  const a4 = server.receiveClientHello(s4.clientHello);
  const e4 = s4.next.receive(a4.serverHello);
  a4.next.receive(e4.clientFinished);
  allWiped(s4.next.secretsForTestingOnly());
  allWiped(a4.next.secretsForTestingOnly());
  // The gateway's static key is not connection state.
  assert.equal(gateway.isDestroyed(), false);
});

test('secrets are wiped on error and on success: peer initiator and responder', () => {
  const { ctx, kI, kR } = peerSetup();
  const s1 = PeerInitiator.start(ctx(), kI, kR.publicKey());
  const a1 = PeerResponder.receive(ctx(), kR, s1.peerInit);
  const bad = a1.peerAccept.slice();
  bad[10] ^= 1;
  assert.throws(() => s1.next.receive(bad), code('CONFIRMATION_FAILED'));
  allWiped(s1.next.secretsForTestingOnly());
  const finish = new Uint8Array(65);
  finish[0] = 0x13;
  assert.throws(() => a1.next.receive(finish), code('CONFIRMATION_FAILED'));
  allWiped(a1.next.secretsForTestingOnly());
  const s2 = PeerInitiator.start(ctx(), kI, kR.publicKey());
  const a2 = PeerResponder.receive(ctx(), kR, s2.peerInit);
  const e2 = s2.next.receive(a2.peerAccept);
  a2.next.receive(e2.peerFinish);
  allWiped(s2.next.secretsForTestingOnly());
  allWiped(a2.next.secretsForTestingOnly());
  // abandon() (timeout, peer left) wipes too.
  const s3 = PeerInitiator.start(ctx(), kI, kR.publicKey());
  s3.next.abandon();
  allWiped(s3.next.secretsForTestingOnly());
  assert.throws(() => s3.next.receive(new Uint8Array(1156)), code('UNEXPECTED_MESSAGE'));
});

test('handshake states are used once', () => {
  const { gateway, server } = hopPair();
  const s = HopClient.start(gateway.publicKey());
  const a = server.receiveClientHello(s.clientHello);
  const e = s.next.receive(a.serverHello);
  assert.throws(() => s.next.receive(a.serverHello), code('UNEXPECTED_MESSAGE'));
  a.next.receive(e.clientFinished);
  assert.throws(() => a.next.receive(e.clientFinished), code('UNEXPECTED_MESSAGE'));
  // A failed state stays failed: the genuine message after a bad one is refused.
  const s2 = HopClient.start(gateway.publicKey());
  const a2 = server.receiveClientHello(s2.clientHello);
  assert.throws(() => s2.next.receive(a2.serverHello.subarray(1)), code('UNEXPECTED_MESSAGE'));
  assert.throws(() => s2.next.receive(a2.serverHello), code('UNEXPECTED_MESSAGE'));
});

test('a WebSocket text message (a string) is MALFORMED_MESSAGE, never an unchecked error', () => {
  const { gateway, server } = hopPair();
  assert.throws(() => server.receiveClientHello('hello'), code('MALFORMED_MESSAGE'));
  const s = HopClient.start(gateway.publicKey());
  assert.throws(() => s.next.receive('{"t":"x"}'), code('MALFORMED_MESSAGE'));
});

test('initiator refuses an announced responder key of the wrong length or an invalid one', () => {
  const { ctx, kI, kR } = peerSetup();
  const pk = kR.publicKey();
  assert.throws(() => PeerInitiator.start(ctx(), kI, pk.subarray(1)), code('INVALID_PUBLIC_KEY'));
  const zeroX = pk.slice();
  zeroX.fill(0, 1184);
  assert.throws(() => PeerInitiator.start(ctx(), kI, zeroX), code('INVALID_PUBLIC_KEY'));
  const badMod = pk.slice();
  badMod[0] = 0xff;
  badMod[1] |= 0x0f;
  assert.throws(() => PeerInitiator.start(ctx(), kI, badMod), code('INVALID_PUBLIC_KEY'));
  assert.throws(() => HopClient.start(pk.subarray(0, 1215)), code('INVALID_PUBLIC_KEY'));
});

// ---------------------------------------------------------------- record layer

test('record failure is terminal and wipes the keys; the same code repeats', async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const sealer = new RecordSealer(secret, RecordFormat.HOP_MAX_PLAINTEXT);
  const opener = new RecordOpener(secret, RecordFormat.HOP_MAX_PLAINTEXT);
  const r0 = await sealer.seal(enc.encode('a'));
  const r1 = await sealer.seal(enc.encode('b'));
  const bad = r0.slice();
  bad[12] ^= 1;
  await assert.rejects(opener.open(bad), code('RECORD_AUTH_FAILED'));
  assert.ok(opener.isFailed());
  allWiped(opener.secretsForTestingOnly());
  await assert.rejects(opener.open(r0), code('RECORD_AUTH_FAILED'));
  await assert.rejects(opener.open(r1), code('RECORD_AUTH_FAILED'));
  assert.equal(opener.expectedSeq(), 0);
});

test('seal options: headroom leaves zero bytes in front of the same record; an owned plaintext is not copied and is wiped', async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const plain = new RecordSealer(secret, RecordFormat.PEER_DC_MAX_PLAINTEXT);
  const framed = new RecordSealer(secret, RecordFormat.PEER_DC_MAX_PLAINTEXT);
  const pt = crypto.getRandomValues(new Uint8Array(65536));
  const r0 = await plain.seal(pt);
  const given = pt.slice();
  const out = await framed.seal(given, { owned: true, headroom: 8 });
  assert.equal(out.length, 8 + r0.length);
  assert.deepEqual(out.subarray(0, 8), new Uint8Array(8));
  assert.deepEqual(out.subarray(8), r0); // the same bytes as a record sealed without options
  assert.ok(
    given.every((b) => b === 0),
    'the owned plaintext is wiped once sealed',
  );
  assert.ok(
    pt.some((b) => b !== 0),
    'a plaintext not given away is left alone',
  );
  // an owned record opens to the same plaintext
  const opener = new RecordOpener(secret, RecordFormat.PEER_DC_MAX_PLAINTEXT);
  assert.deepEqual(await opener.open(out.subarray(8), { owned: true }), pt);
  // headroom out of range: refused before a seq is used
  for (const headroom of [-1, 65, 1.5, NaN])
    await assert.rejects(framed.seal(pt, { headroom }), RangeError);
  assert.equal(framed.nextSeq(), 1);
});

test('records opened back to back are decrypted side by side but given out in order, none after a failure', async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const sealer = new RecordSealer(secret, RecordFormat.PEER_MAX_PLAINTEXT);
  const pts = Array.from({ length: 8 }, (_, i) => new Uint8Array(2000 * (8 - i)).fill(i)); // later ones decrypt faster
  const records = await Promise.all(pts.map((p) => sealer.seal(p)));

  // All valid: every result in call order.
  const ok = new RecordOpener(secret, RecordFormat.PEER_MAX_PLAINTEXT);
  const order = [];
  await Promise.all(records.map((r, i) => ok.open(r).then((pt) => order.push([i, pt[0]]))));
  assert.deepEqual(
    order,
    pts.map((_, i) => [i, i]),
  );
  assert.equal(ok.expectedSeq(), 8);

  // Record 3 tampered: 0-2 are given out; 3 fails; 4-7, valid and already decrypting, fail with 3's code.
  const bad = records.map((r) => r.slice());
  bad[3][20] ^= 1;
  const opener = new RecordOpener(secret, RecordFormat.PEER_MAX_PLAINTEXT);
  const settled = await Promise.allSettled(bad.map((r) => opener.open(r)));
  assert.deepEqual(
    settled.map((x) => (x.status === 'fulfilled' ? x.value[0] : x.reason.code)),
    [0, 1, 2, ...Array(5).fill('RECORD_AUTH_FAILED')],
  );
  assert.equal(opener.expectedSeq(), 3);
  allWiped(opener.secretsForTestingOnly());

  // A replay checked while earlier records are still decrypting: those come out, then the replay fails.
  const replay = new RecordOpener(secret, RecordFormat.PEER_MAX_PLAINTEXT);
  const r = await Promise.allSettled([
    replay.open(records[0]),
    replay.open(records[1]),
    replay.open(records[0]),
  ]);
  assert.deepEqual(
    r.map((x) => (x.status === 'fulfilled' ? x.value[0] : x.reason.code)),
    [0, 1, 'RECORD_REPLAYED'],
  );
  await assert.rejects(replay.open(records[2]), code('RECORD_REPLAYED'));

  // Destroyed while records are decrypting: none of them is given out.
  const gone = new RecordOpener(secret, RecordFormat.PEER_MAX_PLAINTEXT);
  const inFlight = records.slice(0, 3).map((rec) => gone.open(rec));
  gone.destroy();
  for (const p of inFlight) await assert.rejects(p, code('UNEXPECTED_MESSAGE'));
});

test('plaintexts sealed back to back are encrypted side by side but come out in seq order', async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const sealer = new RecordSealer(secret, RecordFormat.PEER_MAX_PLAINTEXT);
  const pts = Array.from({ length: 8 }, (_, i) => new Uint8Array(2000 * (8 - i)).fill(i)); // later ones encrypt faster
  const out = [];
  const calls = pts.map((p, i) =>
    i === 4
      ? sealer.seal(new Uint8Array(RecordFormat.PEER_MAX_PLAINTEXT + 1)).catch((e) => {
          out.push(e.code); // a refusal in between: in its place, and no seq used up
        })
      : sealer.seal(p).then((r) => {
          out.push(r);
        }),
  );
  assert.equal(sealer.nextSeq(), 7, 'the seqs are taken at call time');
  await Promise.all(calls);
  assert.equal(out[4], 'RECORD_TOO_LARGE');
  const records = out.filter((r) => r instanceof Uint8Array);
  assert.deepEqual(
    records.map((r) => Number(getU64(r, 1))),
    [0, 1, 2, 3, 4, 5, 6],
  );
  const opener = new RecordOpener(secret, RecordFormat.PEER_MAX_PLAINTEXT);
  const opened = [];
  for (const r of records) opened.push((await opener.open(r))[0]);
  assert.deepEqual(opened, [0, 1, 2, 3, 5, 6, 7]);

  // Destroyed while records are being sealed: none of them is given out.
  const gone = new RecordSealer(secret, RecordFormat.PEER_MAX_PLAINTEXT);
  const inFlight = pts.slice(0, 3).map((p) => gone.seal(p));
  gone.destroy();
  for (const p of inFlight) await assert.rejects(p, code('UNEXPECTED_MESSAGE'));
});

test('sender refusals: too large is local and consumes no seq; peer maximum is 16384', async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const sealer = new RecordSealer(secret, RecordFormat.PEER_MAX_PLAINTEXT);
  const opener = new RecordOpener(secret, RecordFormat.PEER_MAX_PLAINTEXT);
  await assert.rejects(sealer.seal(new Uint8Array(16385)), code('RECORD_TOO_LARGE'));
  assert.equal(sealer.nextSeq(), 0);
  const full = await sealer.seal(new Uint8Array(16384).fill(7));
  assert.equal(full.length, RecordFormat.maxRecord(RecordFormat.PEER_MAX_PLAINTEXT));
  assert.deepEqual(await opener.open(full), new Uint8Array(16384).fill(7));
  const hop = new RecordSealer(secret, RecordFormat.HOP_MAX_PLAINTEXT);
  await assert.rejects(hop.seal(new Uint8Array(65537)), code('RECORD_TOO_LARGE'));
  assert.equal((await hop.seal(new Uint8Array(65536))).length, 65561);
  assert.throws(() => new RecordSealer(secret, 1000), RangeError);
});

test('sender refuses seq 2^32 (RECORD_LIMIT_REACHED) before deriving any key for it', async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const sealer = RecordSealer.startingAtForTestingOnly(
    secret,
    RecordFormat.HOP_MAX_PLAINTEXT,
    RecordFormat.MAX_RECORDS,
  );
  await assert.rejects(sealer.seal(enc.encode('one more')), code('RECORD_LIMIT_REACHED'));
  assert.equal(sealer.nextSeq(), RecordFormat.MAX_RECORDS);
  // The largest seq a sender may use is written as a u64 header correctly.
  const near = RecordSealer.startingAtForTestingOnly(
    secret,
    RecordFormat.HOP_MAX_PLAINTEXT,
    3 * 65536 - 1,
  );
  assert.equal(toHex((await near.seal(enc.encode('x'))).subarray(1, 9)), '000000000002ffff');
});

test('seq is unsigned 64-bit: a top-bit seq is far ahead (RECORD_OUT_OF_ORDER)', async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const rec = await new RecordSealer(secret, RecordFormat.HOP_MAX_PLAINTEXT).seal(enc.encode('x'));
  rec[1] = 0x80;
  await assert.rejects(
    new RecordOpener(secret, RecordFormat.HOP_MAX_PLAINTEXT).open(rec),
    code('RECORD_OUT_OF_ORDER'),
  );
});

test('un-awaited seals and opens run in call order', async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const sealer = RecordSealer.startingAtForTestingOnly(
    secret,
    RecordFormat.HOP_MAX_PLAINTEXT,
    65530,
  );
  const opener = RecordOpener.startingAtForTestingOnly(
    secret,
    RecordFormat.HOP_MAX_PLAINTEXT,
    65530,
  );
  const pts = Array.from({ length: 12 }, (_, i) => enc.encode(`m${i}`)); // crosses the epoch boundary
  const records = await Promise.all(pts.map((p) => sealer.seal(p)));
  records.forEach((r, i) =>
    assert.equal(Number(new DataView(r.buffer).getBigUint64(1)), 65530 + i),
  );
  const opened = await Promise.all(records.map((r) => opener.open(r)));
  assert.deepEqual(opened, pts);
  // A refusal in the middle does not disturb the queue.
  const [a, b, c] = await Promise.allSettled([
    sealer.seal(pts[0]),
    sealer.seal(new Uint8Array(70000)),
    sealer.seal(pts[1]),
  ]);
  assert.equal(a.status, 'fulfilled');
  assert.ok(b.status === 'rejected' && b.reason.code === 'RECORD_TOO_LARGE');
  assert.equal(c.status, 'fulfilled');
  assert.equal(sealer.nextSeq(), 65544);
});

test('a plaintext changed after seal() was called is sealed as it was at the call', async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const sealer = new RecordSealer(secret, RecordFormat.HOP_MAX_PLAINTEXT);
  const pt = enc.encode('original');
  const p = sealer.seal(pt);
  pt.fill(0);
  assert.deepEqual(
    await new RecordOpener(secret, RecordFormat.HOP_MAX_PLAINTEXT).open(await p),
    enc.encode('original'),
  );
});

test('record-layer.md §3 example: s_0 = 0^32 gives iv_0 = 220a7d80..., nonce of seq 5 ends in ...4b', () => {
  const e = EpochSecrets.deriveForTestingOnly(new Uint8Array(32), 0);
  assert.equal(toHex(e.iv), '220a7d80a7ce7e427f4b364e');
  const nonce = e.iv.slice();
  nonce[11] ^= 5;
  assert.equal(toHex(nonce), '220a7d80a7ce7e427f4b364b');
});

// ---------------------------------------------------------------- room, link, SAS, fingerprint

test('room-secret.md §4 example', () => {
  const secret = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const room = RoomSecret.of(secret);
  assert.equal(
    toHex(room.roomId()),
    '0fea137da903e2f3fd63b6c05d483769d36b0c8c55b80aa5a58176c862f40c35',
  );
  assert.equal(
    toHex(room.psk()),
    '6f685ec302e2f8f3a975273d27f7d62707816ebb27f4813f5afec8f94d47f708',
  );
  const fp = Uint8Array.from({ length: 32 }, (_, i) => 0x20 + i);
  const fragment = formatLinkFragment(secret, fp);
  assert.equal(
    fragment,
    'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8.ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8',
  );
  assert.deepEqual(parseLinkFragment(fragment), { secret, fingerprint: fp });
  assert.equal(String(room), 'RoomSecret[hidden]');
  assert.equal(JSON.stringify({ room }), '{"room":"RoomSecret[hidden]"}');
});

test('link fragments are parsed strictly', () => {
  const good =
    'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8.ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8';
  assert.notEqual(parseLinkFragment(good), null);
  for (const bad of [
    '',
    '#' + good,
    good + '=',
    good.slice(0, -1),
    good + 'A',
    good.replace('.', '_'),
    good.replace('.', '..'),
    good.slice(0, -1) + 'B', // non-zero unused bits: a second encoding of a different byte string
    'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9.ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8',
    good.replace('A', '+'),
    good.replace('A', '/'),
    good.replace('A', ' '),
    good.toUpperCase() + '\n',
    null,
    42,
  ]) {
    assert.equal(parseLinkFragment(bad), null, `accepted ${JSON.stringify(bad)}`);
  }
  // Exactly the 16 final characters primitives.md §7 lists are canonical for 32 bytes.
  const canonical = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].filter(
    (c) => parseLinkFragment(good.slice(0, 42) + c + good.slice(43)) !== null,
  );
  assert.equal(canonical.join(''), 'AEIMQUYcgkosw048');
});

test('base64url: round trips and strict rejection', () => {
  for (let n = 0; n < 40; n++) {
    const b = crypto.getRandomValues(new Uint8Array(n));
    const s = base64UrlEncode(b);
    assert.equal(s, Buffer.from(b).toString('base64url'));
    assert.deepEqual(base64UrlDecode(s), b);
  }
  for (const bad of ['A', 'AB=', 'AB==', 'A+', 'A/', 'AB C', 'AQ=', 'AR', 'AAB']) {
    assert.equal(base64UrlDecode(bad), null, bad);
  }
  assert.equal(base64UrlEncode(new Uint8Array(1216)).length, 1622);
});

test('SAS: worked example and edge cases of peer-handshake.md §7', () => {
  assert.equal(new Sas(fromHex('123456789a')).decimal(), '1582-5441-8245');
  assert.deepEqual(new Sas(fromHex('123456789a')).numbers(), [1582, 5441, 8245]);
  assert.equal(new Sas(fromHex('0000000000')).decimal(), '1000-1000-1000');
  assert.equal(new Sas(fromHex('ffffffffff')).decimal(), '9191-9191-9191');
  assert.equal(new Sas(fromHex('fffffffffe')).decimal(), '9191-9191-9191'); // the last bit is unused
  assert.throws(() => new Sas(new Uint8Array(4)), TypeError);
});

test('fingerprint forms', () => {
  const fp = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  assert.equal(Fingerprint.toHex(fp), Buffer.from(fp).toString('hex'));
  const display = Fingerprint.toDisplay(fp);
  assert.match(display, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  assert.equal(display.replaceAll(' ', ''), Fingerprint.toHex(fp));
  assert.equal(Fingerprint.toBase64Url(fp).length, 43);
  const k = XWingKeyPair.generate();
  assert.equal(toHex(k.fingerprint()), toHex(Fingerprint.of(k.publicKey())));
  assert.doesNotMatch(String(k) + JSON.stringify(k), /seed/i);
});

test('pinnedGatewayKey: the pin, not the document, decides (hop-handshake.md §3)', () => {
  const k = XWingKeyPair.generate();
  const pk = k.publicKey();
  const doc = {
    versions: [1],
    suites: [1],
    public_key: base64UrlEncode(pk),
    fingerprint: 'ignored',
    extra: true,
  };
  assert.deepEqual(pinnedGatewayKey(doc, k.fingerprint()), pk);
  const other = XWingKeyPair.generate();
  assert.throws(() => pinnedGatewayKey(doc, other.fingerprint()), /does not match the link/);
  assert.throws(
    () => pinnedGatewayKey({ ...doc, public_key: doc.public_key + '=' }, k.fingerprint()),
    /no valid public key/,
  );
  assert.throws(
    () => pinnedGatewayKey({ ...doc, public_key: doc.public_key.slice(0, -2) }, k.fingerprint()),
    /no valid public key/,
  );
  assert.throws(() => pinnedGatewayKey({ ...doc, versions: [2] }, k.fingerprint()), /version 1/);
  assert.throws(() => pinnedGatewayKey({ ...doc, suites: [] }, k.fingerprint()), /suite 1/);
  assert.throws(() => pinnedGatewayKey(null, k.fingerprint()), /not a JSON object/);
});

test('peer-handshake.md §7 SAS derivation example (commitment, sas_key, sas)', async () => {
  const { PeerSchedule } = await import('../src/protocol/peerSchedule.js');
  const { Kdf } = await import('../src/protocol/kdf.js');
  const nonce = fromHex('c98927e1d41da913a4e13e034da1a27a6f691f56ee9b904a7d4f2244d32b4509');
  assert.equal(
    toHex(PeerSchedule.commitment(nonce)),
    'cd4f0c98a551b1f6fcdd7209a89ffe15f658c63375d505abf7e0ce57d19622ec',
  );
  const prk = fromHex('bd081299e8ae0405829de59cf560d906349e1009ff3800e22e50d82696844977');
  const sasKey = Kdf.extract(nonce, prk);
  assert.equal(toHex(sasKey), 'f600298621761f9d592d070fcaf9afb46588d64194fd7a8928a0ab468740b450');
  const sas = Kdf.expand(sasKey, 'hybridge/v1/peer/sas', 5);
  assert.equal(toHex(sas), '6128ab3613');
  assert.equal(new Sas(sas).decimal(), '4109-1684-7921');
  // The derivation before the commitment gives another value, as the spec warns.
  assert.equal(toHex(Kdf.expand(prk, 'hybridge/v1/peer/sas', 5)), '15f6512a8d');
});

test('a receive failure ends both directions of a channel (record-layer.md §4)', async () => {
  const { gateway, server } = hopPair();
  const s = HopClient.start(gateway.publicKey());
  const a = server.receiveClientHello(s.clientHello);
  const e = s.next.receive(a.serverHello);
  const g = a.next.receive(e.clientFinished);
  const rec = await e.channel.seal(enc.encode('x'));
  rec[rec.length - 1] ^= 1;
  await assert.rejects(g.open(rec), code('RECORD_AUTH_FAILED'));
  await assert.rejects(g.seal(enc.encode('y')), code('UNEXPECTED_MESSAGE'));
  allWiped(g.sealer.secretsForTestingOnly());
  allWiped(g.opener.secretsForTestingOnly());
  // A sender refusal is local: the channel stays usable.
  await assert.rejects(e.channel.seal(new Uint8Array(65537)), code('RECORD_TOO_LARGE'));
  assert.ok((await e.channel.seal(enc.encode('z'))).length > 0);
});

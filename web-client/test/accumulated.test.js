// Accumulated interop test (the idea of filippo.io/mlkem768's TestAccumulated): a deterministic
// generator drives N hop handshakes, peer handshakes, records across epoch boundaries and one
// bit-flip failure of each kind through the JS implementation, and every output (messages,
// records, handshake hashes, SAS, error codes) is hashed into one digest. pq-crypto's
// dev.hybridge.crypto.interop.AccumulatedTest runs the same construction through Java and
// asserts the same constant, each computed by its own implementation: if either side drifts,
// its own build fails. The construction is specified in test-vectors/README.md
// ("Accumulated interop digest"); change it there, here and in Java together.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ascii, concat, toHex, u16, u32 } from '../src/protocol/bytes.js';
import { ProtocolError } from '../src/protocol/errors.js';
import { HopClient } from '../src/protocol/hopClient.js';
import { HopServer } from '../src/protocol/hopServer.js';
import { PeerContext, PeerInitiator, PeerResponder } from '../src/protocol/peer.js';
import { sha256 } from '../src/protocol/primitives.js';
import { RecordFormat, RecordOpener, RecordSealer } from '../src/protocol/record.js';
import { RoomSecret } from '../src/protocol/room.js';
import { XWingKeyPair } from '../src/protocol/xwingKeyPair.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

const N = 200;
const EXPECTED = '6c6b493bf36e8cc043abc9b68250a0ad48a969b6707c7dac29e50acf5888a3e6';

/** draw(n): the next n bytes of SHA-256("hybridge accumulated v1" || u64be(counter)) blocks. */
class Generator {
  #prefix = ascii('hybridge accumulated v1');
  #counter = 0;

  draw(n) {
    const blocks = [];
    for (let got = 0; got < n; got += 32) {
      const c = new Uint8Array(8);
      new DataView(c.buffer).setBigUint64(0, BigInt(this.#counter++), false);
      blocks.push(sha256(this.#prefix, c));
    }
    return concat(...blocks).slice(0, n);
  }

  u16() {
    const b = this.draw(2);
    return (b[0] << 8) | b[1];
  }

  u32() {
    const b = this.draw(4);
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  }
}

/** SHA-256 over u32be(len(x)) || x for every absorbed x. */
class Accumulator {
  #h = nobleSha256.create();

  absorb(x) {
    this.#h.update(u32(x.length));
    this.#h.update(x);
  }

  /** A failure that must happen: absorbs u16be(code number). */
  async absorbFailure(what, scenario) {
    try {
      await scenario();
    } catch (e) {
      assert.ok(e instanceof ProtocolError, `${what}: unchecked ${e}`);
      this.absorb(u16(e.number));
      return;
    }
    assert.fail(`${what}: accepted`);
  }

  hex() {
    return toHex(this.#h.digest());
  }
}

function flipBit(msg, bit) {
  const m = msg.slice();
  m[bit >> 3] ^= 1 << (bit & 7);
  return m;
}

async function exchange(gen, acc, sealers, openers, count) {
  for (let j = 0; j < count; j++) {
    const pt = gen.draw(gen.u16() % 300);
    const rec = await sealers[j % 2].seal(pt);
    acc.absorb(rec);
    assert.deepEqual(await openers[j % 2].open(rec), pt);
  }
}

async function accumulated(n) {
  const gen = new Generator();
  const acc = new Accumulator();
  for (let i = 0; i < n; i++) {
    // Hop handshake, four records alternating c2s/s2c, one ServerHello bit flip.
    const gwSeed = gen.draw(32);
    const ephSeed = gen.draw(32);
    const cEseed = gen.draw(64);
    const gEseed = gen.draw(64);
    const gw = XWingKeyPair.fromSeed(gwSeed);
    acc.absorb(gw.publicKey());
    const s = HopClient.startForTestingOnly(gw.publicKey(), ephSeed, cEseed);
    acc.absorb(s.clientHello);
    const a = new HopServer([gw]).receiveClientHelloForTestingOnly(s.clientHello, gEseed);
    acc.absorb(a.serverHello);
    const e = s.next.receive(a.serverHello);
    acc.absorb(e.clientFinished);
    const g = a.next.receive(e.clientFinished);
    assert.deepEqual(g.handshakeHash(), e.channel.handshakeHash());
    acc.absorb(e.channel.handshakeHash());
    await exchange(gen, acc, [e.channel, g], [g, e.channel], 4);
    const hopBit = gen.u32() % (a.serverHello.length * 8);
    await acc.absorbFailure(`iteration ${i} ServerHello bit ${hopBit}`, () =>
      HopClient.startForTestingOnly(gw.publicKey(), ephSeed, cEseed).next.receive(
        flipBit(a.serverHello, hopBit),
      ),
    );

    // Peer handshake, four records alternating i2r/r2i, one PeerAccept bit flip.
    const roomSecret = gen.draw(32);
    const idI = gen.draw(8);
    const idR = gen.draw(8);
    const seedI = gen.draw(32);
    const seedR = gen.draw(32);
    const eseedI = gen.draw(64);
    const eseedR = gen.draw(64);
    const nonce = gen.draw(32);
    const room = RoomSecret.of(roomSecret);
    acc.absorb(room.roomId());
    acc.absorb(room.psk());
    const ctx = () => new PeerContext(room.roomId(), room.psk(), idI, idR);
    const kI = XWingKeyPair.fromSeed(seedI);
    const kR = XWingKeyPair.fromSeed(seedR);
    const ps = PeerInitiator.startForTestingOnly(ctx(), kI, kR.publicKey(), eseedI, nonce);
    acc.absorb(ps.peerInit);
    const pa = PeerResponder.receiveForTestingOnly(ctx(), kR, ps.peerInit, eseedR);
    acc.absorb(pa.peerAccept);
    const pe = ps.next.receive(pa.peerAccept);
    acc.absorb(pe.peerFinish);
    const pr = pa.next.receive(pe.peerFinish);
    assert.deepEqual(pr.channel.handshakeHash(), pe.session.channel.handshakeHash());
    assert.ok(pr.sas.equals(pe.session.sas));
    acc.absorb(pe.session.channel.handshakeHash());
    acc.absorb(pe.session.sas.bytes());
    acc.absorb(ascii(pe.session.sas.decimal()));
    await exchange(gen, acc, [pe.session.channel, pr.channel], [pr.channel, pe.session.channel], 4);
    const peerBit = gen.u32() % (pa.peerAccept.length * 8);
    await acc.absorbFailure(`iteration ${i} PeerAccept bit ${peerBit}`, () =>
      PeerInitiator.startForTestingOnly(ctx(), kI, kR.publicKey(), eseedI, nonce).next.receive(
        flipBit(pa.peerAccept, peerBit),
      ),
    );

    // Record layer from 0 or just before an epoch boundary, two records, one record bit flip.
    const secret = gen.draw(32);
    const k = gen.draw(1)[0] % 4;
    const start = k === 0 ? 0 : k * RecordFormat.REKEY_INTERVAL - 1;
    const sealer = RecordSealer.startingAtForTestingOnly(
      secret,
      RecordFormat.HOP_MAX_PLAINTEXT,
      start,
    );
    const opener = RecordOpener.startingAtForTestingOnly(
      secret,
      RecordFormat.HOP_MAX_PLAINTEXT,
      start,
    );
    await exchange(gen, acc, [sealer, sealer], [opener, opener], 2);
    const last = await sealer.seal(gen.draw(16));
    const recBit = gen.u32() % (last.length * 8);
    await acc.absorbFailure(`iteration ${i} record bit ${recBit}`, () =>
      opener.open(flipBit(last, recBit)),
    );
  }
  return acc.hex();
}

test(`accumulated interop digest over ${N} iterations equals the Java constant`, async (t) => {
  const digest = await accumulated(N);
  t.diagnostic(`accumulated digest (N=${N}): ${digest}`);
  assert.equal(digest, EXPECTED);
});

test('the generator is the specified counter-mode SHA-256', () => {
  const gen = new Generator();
  const prefix = ascii('hybridge accumulated v1');
  const first = gen.draw(40); // blocks 0 and 1, 8 bytes of block 1 used, the rest dropped
  assert.deepEqual(first.subarray(0, 32), sha256(prefix, new Uint8Array(8)));
  assert.deepEqual(
    first.subarray(32),
    sha256(prefix, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1])).subarray(0, 8),
  );
  assert.equal(gen.draw(0).length, 0);
  assert.deepEqual(gen.draw(32), sha256(prefix, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 2])));
});

// Unit tests of file transfer (spec/files.md): the binary chunk codec and its example, the file
// messages' rules, chunking and reassembly (property-style: random sizes, random chunk
// boundaries), the SHA-256 check, cancel from either side, the size cap, malformed or
// misplaced chunks, and interruptions. Two FileTransfers talk through the real peer-message
// codec (encodePeerMessage / decodePeerMessage): every message crosses as the bytes a record
// would carry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ACK_EVERY_BYTES, FileTransfers } from '../src/app/fileTransfer.js';
import {
  FILE_CHUNK_MAX_DATA,
  decodeFileChunk,
  encodeFileChunk,
  fileMessageProblem,
} from '../src/signal/fileMessages.js';
import { decodePeerMessage, encodePeerMessage } from '../src/signal/peerMessages.js';

const hex = (/** @type {Uint8Array} */ b) => Buffer.from(b).toString('hex');
const sha = (/** @type {Uint8Array} */ b) => createHash('sha256').update(b).digest('hex');

/** A seeded generator (xorshift32), so that a failure can be rerun. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** @param {number} n @param {() => number} r */
function bytes(n, r) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (r() * 256) | 0;
  return b;
}

/**
 * Alice and Bob, each a FileTransfers; what one sends reaches the other through the real codec,
 * asynchronously and in order. `direct: false` gives Alice no direct path to Bob.
 */
function pair({ maxBytes, direct = true, directWaitMs, offerWaitMs, onChange = () => {} } = {}) {
  const log = [];
  const sides = {};
  let queue = Promise.resolve();
  const deliver = (to, from, plaintext) => {
    queue = queue.then(() => {
      const d = decodePeerMessage(plaintext);
      if (d.drop !== undefined) {
        log.push({ to, drop: d.drop });
        return;
      }
      log.push({ to, t: d.msg.t });
      sides[to].onMessage(from, d.msg);
    });
    return queue.then(() => true);
  };
  const host = (me, other, canDirect) => ({
    send: (keyFp, msg) => {
      assert.equal(keyFp, other);
      deliver(other, me, encodePeerMessage(msg));
      return true;
    },
    direct: () =>
      canDirect()
        ? {
            open: () => true,
            send: (b) => deliver(other, me, b),
            buffered: () => 0,
            drained: async () => {},
          }
        : null,
    changed: (item) => onChange(me, item),
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
  });
  sides.alice = new FileTransfers(
    host('alice', 'bob', () => direct),
    { maxBytes, directWaitMs, offerWaitMs },
  );
  sides.bob = new FileTransfers(
    host('bob', 'alice', () => true),
    { maxBytes },
  );
  return { alice: sides.alice, bob: sides.bob, log, settle: () => queue };
}

/** Resolves once `pred()` holds (polling the event loop), or fails after `ms`. */
async function until(pred, ms = 5000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail('timed out waiting');
    await new Promise((r) => setTimeout(r, 1));
  }
}

const incoming = (side) => [...side.items.values()].filter((i) => i.dir === 'in');

test('the binary chunk: the example of spec/files.md §2, and its decoding', () => {
  const chunk = encodeFileChunk('0123456789abcdef', 2, new Uint8Array([0x68, 0x69]));
  assert.equal(hex(chunk), '010123456789abcdef000000026869');
  const d = decodeFileChunk(chunk);
  assert.deepEqual(d.msg, {
    t: 'file-chunk',
    id: '0123456789abcdef',
    index: 2,
    data: new Uint8Array([0x68, 0x69]),
  });
  // peerMessages.js passes a plaintext that starts with 0x01 to the chunk decoder.
  assert.deepEqual(decodePeerMessage(chunk).msg, d.msg);
  const full = encodeFileChunk('ffffffffffffffff', 0xffffffff, new Uint8Array(FILE_CHUNK_MAX_DATA));
  assert.equal(full.length, 65536);
  assert.equal(decodeFileChunk(full).msg.index, 0xffffffff);
});

test('malformed chunks and file messages are refused with a clear reason', () => {
  assert.match(decodePeerMessage(new Uint8Array([1, 2, 3])).drop, /file chunk of 3 bytes/);
  assert.match(
    decodePeerMessage(encodeFileChunk('0123456789abcdef', 0, new Uint8Array(1)).subarray(0, 13))
      .drop,
    /at least 14/,
  );
  const oversize = new Uint8Array(FILE_CHUNK_MAX_DATA + 14);
  oversize[0] = 1;
  assert.equal(decodeFileChunk(oversize).drop, 'file chunk of 65537 bytes: at most 65536');
  assert.throws(() => encodeFileChunk('0123', 0, new Uint8Array(1)), /16 lowercase hex/);
  assert.throws(() => encodeFileChunk('0123456789abcdef', -1, new Uint8Array(1)), /u32/);
  assert.throws(() => encodeFileChunk('0123456789abcdef', 0, new Uint8Array(0)), /1 to 65523/);
  assert.throws(
    () => encodeFileChunk('0123456789abcdef', 0, new Uint8Array(FILE_CHUNK_MAX_DATA + 1)),
    /1 to 65523/,
  );
  const id = '0123456789abcdef';
  const bad = [
    [{ t: 'file-offer', id: 'ABCDEF0123456789', name: 'a', size: 1, type: '' }, /id must be 16/],
    [{ t: 'file-offer', id, name: '', size: 1, type: '' }, /name must have 1 to 255/],
    [{ t: 'file-offer', id, name: 'a'.repeat(256), size: 1, type: '' }, /name must have/],
    [{ t: 'file-offer', id, name: 'a', size: -1, type: '' }, /size must be an integer/],
    [{ t: 'file-offer', id, name: 'a', size: 1.5, type: '' }, /size must be an integer/],
    [{ t: 'file-offer', id, name: 'a', size: 1 }, /type must be a string/],
    [{ t: 'file-ack', id, bytes: '3' }, /bytes must be an integer/],
    [{ t: 'file-ack', id, bytes: 3, verified: 'yes' }, /verified must be a boolean/],
    [{ t: 'file-done', id, sha256: 'AB'.repeat(32) }, /sha256 must be 64 lowercase hex/],
    [{ t: 'file-cancel', id, reason: 'bored' }, /reason must be one of/],
    [{ t: 'file-chunk', id, index: 0, data: 'aGk' }, /binary, never JSON/],
  ];
  for (const [m, re] of bad) {
    assert.match(fileMessageProblem(m), re, JSON.stringify(m));
    assert.throws(() => encodePeerMessage(m), re);
    const d = decodePeerMessage(new TextEncoder().encode(JSON.stringify(m)));
    assert.match(d.drop, re);
  }
  assert.equal(fileMessageProblem({ t: 'file-someday', id: 'x' }), null); // unknown: ignored
  assert.equal(
    fileMessageProblem({ t: 'file-offer', id, name: 'r.pdf', size: 0, type: 'application/pdf' }),
    null,
  );
});

test('property: files of random sizes arrive intact, checksum verified, progress on both sides', async () => {
  const r = rng(0x5eed);
  const sizes = [0, 1, FILE_CHUNK_MAX_DATA - 1, FILE_CHUNK_MAX_DATA, FILE_CHUNK_MAX_DATA + 1];
  for (let i = 0; i < 8; i++) sizes.push(Math.floor(r() * 300_000));
  sizes.push(64 * FILE_CHUNK_MAX_DATA * 2 + 7); // across read slices
  for (const size of sizes) {
    const { alice, bob } = pair();
    const content = bytes(size, r);
    const [out] = alice.send(new File([content], `f${size}.bin`), ['bob']);
    await until(() => incoming(bob).length === 1);
    const inc = incoming(bob)[0];
    assert.equal(inc.name, `f${size}.bin`);
    assert.equal(inc.size, size);
    bob.accept(inc.key);
    await until(
      () =>
        out.state !== 'offered' &&
        out.state !== 'sending' &&
        out.state !== 'finishing' &&
        out.state !== 'waiting',
    );
    assert.equal(out.state, 'delivered', `size ${size}: ${out.error}`);
    assert.equal(inc.state, 'complete');
    assert.equal(inc.sha256, sha(content));
    assert.equal(out.sha256, sha(content));
    assert.deepEqual(new Uint8Array(await inc.blob.arrayBuffer()), content);
    assert.equal(inc.blob.type, 'application/octet-stream'); // never the sender's type
    // The receiver reports progress with each ack (every MiB) and at the last chunk.
    if (size > 0)
      assert.ok(
        inc.progressEvents >= 1 + Math.floor(size / (ACK_EVERY_BYTES + FILE_CHUNK_MAX_DATA)),
      );
    assert.ok(out.progressEvents >= 2);
  }
});

test('property: the receiver reassembles any chunk boundaries, and refuses a wrong SHA-256', async () => {
  const r = rng(42);
  for (let round = 0; round < 20; round++) {
    const { bob, log, settle } = pair();
    const size = Math.floor(r() * 200_000);
    const content = bytes(size, r);
    const id = hex(bytes(8, r));
    bob.onMessage('alice', { t: 'file-offer', id, name: 'x', size, type: '' });
    const inc = incoming(bob)[0];
    bob.accept(inc.key);
    let index = 0;
    for (let off = 0; off < size;) {
      const n = Math.min(size - off, 1 + Math.floor(r() * FILE_CHUNK_MAX_DATA));
      const d = decodePeerMessage(encodeFileChunk(id, index++, content.subarray(off, off + n)));
      bob.onMessage('alice', d.msg);
      off += n;
    }
    const wrong = round % 2 === 1;
    const claimed = wrong ? sha(new Uint8Array([1])) : sha(content);
    bob.onMessage('alice', { t: 'file-done', id, sha256: claimed });
    await until(() => inc.state !== 'verifying' && inc.state !== 'receiving');
    await settle();
    if (wrong) {
      assert.equal(inc.state, 'corrupt');
      assert.equal(inc.blob, null); // never offered for saving
      assert.match(inc.error, /SHA-256 does not match/);
      assert.ok(log.some((e) => e.to === 'alice' && e.t === 'file-ack'));
    } else {
      assert.equal(inc.state, 'complete');
      assert.deepEqual(new Uint8Array(await inc.blob.arrayBuffer()), content);
    }
  }
});

test('a checksum mismatch reaches the sender as failed, not delivered', async () => {
  const { alice } = pair();
  // Bob's verdict is forged here: the sender trusts only a verified ack.
  const [out] = alice.send(new File([new Uint8Array(10)], 'y'), ['bob']);
  await until(() => out.state === 'offered');
  alice.onMessage('bob', { t: 'file-accept', id: out.id });
  await until(() => out.state === 'finishing');
  assert.match(out.sha256, /^[0-9a-f]{64}$/);
  alice.onMessage('bob', { t: 'file-ack', id: out.id, bytes: 10, verified: false });
  await until(() => out.state === 'failed');
  assert.match(out.error, /SHA-256 did not match/);
});

test('cancel: the receiver stops the sender, the sender stops the receiver', async () => {
  /** @type {any} */
  let bobSide;
  /** @type {any} */
  let aliceSide;
  /** @type {boolean | null} what Alice's cancel of the retry returned */
  let aliceCancelled = null;
  const { alice, bob } = pair({
    // Bob cancels the first as soon as its first chunk is in; Alice the retry, the same way.
    onChange: (me, item) => {
      if (me !== 'bob' || item.state !== 'receiving' || item.bytes === 0) return;
      if (item.id === first) bobSide.cancel(item.key);
      if (item.id === again?.id && aliceCancelled === null)
        aliceCancelled = aliceSide.cancel(again.key);
    },
  });
  bobSide = bob;
  aliceSide = alice;
  let first = '';
  /** @type {any} */
  let again = null;
  const [out] = alice.send(new File([new Uint8Array(12 * 1024 * 1024)], 'big'), ['bob']);
  first = out.id;
  await until(() => incoming(bob).length === 1);
  const inc = incoming(bob)[0];
  bob.accept(inc.key);
  await until(() => out.state === 'cancelled');
  assert.equal(inc.state, 'cancelled');
  assert.match(inc.error, /cancelled by you/);
  assert.match(out.error, /cancelled by the other side/);
  assert.ok(out.sent < out.size, `the sender stopped before the end (${out.sent} of ${out.size})`);
  // A retry is a new transfer with a new id.
  again = alice.retry(out.key);
  assert.notEqual(again.id, out.id);
  await until(() => incoming(bob).length === 2);
  const inc2 = incoming(bob).find((i) => i.id === again.id);
  bob.accept(inc2.key);
  await until(() => inc2.state === 'cancelled');
  assert.equal(aliceCancelled, true);
  assert.ok(inc2.bytes < inc2.size, `the receiver stopped before the end (${inc2.bytes})`);
  assert.match(inc2.error, /cancelled by the other side/);
  // Decline.
  const [out3] = alice.send(new File([new Uint8Array(3)], 'small'), ['bob']);
  await until(() => incoming(bob).length === 3);
  bob.cancel(incoming(bob).find((i) => i.id === out3.id).key);
  await until(() => out3.state === 'declined');
});

test('the size cap: the sender refuses at once, the receiver refuses an offer over its own', async () => {
  const { alice, bob } = pair({ maxBytes: 1000 });
  assert.throws(
    () => alice.send(new File([new Uint8Array(1001)], 'a'), ['bob']),
    /limited to 1000 bytes/,
  );
  assert.equal(alice.items.size, 0);
  alice.maxBytes = 10_000; // Alice allows more than Bob
  const [out] = alice.send(new File([new Uint8Array(5000)], 'a'), ['bob']);
  await until(() => out.state === 'failed');
  assert.match(out.error, /larger than the other side accepts/);
  const inc = incoming(bob)[0];
  assert.equal(inc.state, 'refused');
  assert.match(inc.error, /larger than the 1000 bytes/);
  assert.equal(bob.stats.refusedOffers, 1);
});

test('chunks out of order, beyond the size or of no transfer are refused with a clear error', async () => {
  const { bob, log, settle } = pair();
  const id = '00000000000000aa';
  bob.onMessage('alice', { t: 'file-offer', id, name: 'x', size: 20, type: '' });
  const inc = incoming(bob)[0];
  // Before accept: dropped and counted.
  bob.onMessage('alice', decodeFileChunk(encodeFileChunk(id, 0, new Uint8Array(5))).msg);
  assert.equal(bob.stats.droppedChunks, 1);
  bob.accept(inc.key);
  bob.onMessage('alice', decodeFileChunk(encodeFileChunk(id, 1, new Uint8Array(5))).msg);
  assert.equal(inc.state, 'incomplete');
  assert.match(inc.error, /chunk 1 arrived where chunk 0 was due/);
  await settle();
  assert.ok(log.some((e) => e.to === 'alice' && e.t === 'file-cancel'));
  const id2 = '00000000000000bb';
  bob.onMessage('alice', { t: 'file-offer', id: id2, name: 'y', size: 4, type: '' });
  const inc2 = incoming(bob).find((i) => i.id === id2);
  bob.accept(inc2.key);
  bob.onMessage('alice', decodeFileChunk(encodeFileChunk(id2, 0, new Uint8Array(5))).msg);
  assert.match(inc2.error, /more bytes than the 4 offered/);
  const id3 = '00000000000000cc';
  bob.onMessage('alice', { t: 'file-offer', id: id3, name: 'z', size: 4, type: '' });
  const inc3 = incoming(bob).find((i) => i.id === id3);
  bob.accept(inc3.key);
  bob.onMessage('alice', decodeFileChunk(encodeFileChunk(id3, 0, new Uint8Array(3))).msg);
  bob.onMessage('alice', { t: 'file-done', id: id3, sha256: sha(new Uint8Array(3)) });
  assert.match(inc3.error, /ended at 3 of 4 bytes/);
  assert.equal(inc3.blob, null);
  bob.onMessage(
    'alice',
    decodeFileChunk(encodeFileChunk('1111111111111111', 0, new Uint8Array(1))).msg,
  );
  assert.equal(bob.stats.droppedChunks, 2);
  assert.equal(bob.stats.failedChunks, 3);
});

test('interrupted: failed with a retry at the sender, incomplete at the receiver', async () => {
  const { alice, bob } = pair();
  const [out] = alice.send(new File([new Uint8Array(12 * 1024 * 1024)], 'big'), ['bob']);
  await until(() => incoming(bob).length === 1);
  const inc = incoming(bob)[0];
  bob.accept(inc.key);
  await until(() => inc.bytes > 0);
  alice.peerDown('bob', 'the other side left');
  bob.peerDown('alice', 'the other side left');
  assert.equal(out.state, 'failed');
  assert.match(out.error, /interrupted: the other side left/);
  assert.equal(inc.state, 'incomplete');
  assert.equal(inc.blob, null);
  const again = alice.retry(out.key);
  assert.notEqual(again, null);
  assert.notEqual(again.id, out.id);
  alice.cancel(again.key); // an offer nobody answers waits for its sender's cancel
});

test('no direct path: the sender says so while it waits, then fails visibly (never the relay)', async () => {
  const { alice, bob, log } = pair({ direct: false, directWaitMs: 50 });
  const states = [];
  const [out] = alice.send(new File([new Uint8Array(10)], 'a'), ['bob']);
  states.push(out.state, out.error);
  assert.equal(out.state, 'waiting');
  assert.match(out.error, /waiting for a direct connection/);
  await until(() => out.state === 'failed');
  assert.match(out.error, /no direct connection to this person: not sent/);
  assert.equal(log.length, 0, 'nothing was sent at all');
  assert.equal(incoming(bob).length, 0);
});

test('an offer nobody answers is withdrawn after its wait: failed with a retry at the sender, ended at the receiver', async () => {
  const { alice, bob, log } = pair({ offerWaitMs: 80 });
  const [out] = alice.send(new File([new Uint8Array(10)], 'a'), ['bob']);
  await until(() => incoming(bob).length === 1);
  const inc = incoming(bob)[0];
  assert.equal(inc.state, 'offered');
  await until(() => out.state === 'failed');
  assert.match(out.error, /no answer to the offer in 1 s: not sent \(try again\)/);
  await until(() => inc.state !== 'offered');
  assert.equal(inc.state, 'cancelled');
  assert.ok(log.some((e) => e.to === 'bob' && e.t === 'file-cancel'));
  assert.equal(bob.accept(inc.key), false, 'a withdrawn offer cannot be accepted');
  assert.notEqual(alice.retry(out.key), null);
});

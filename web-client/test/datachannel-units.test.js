// Unit tests of the data-channel path (spec/data-channel.md §2-§3) and of delivery
// (spec/peer-messages.md §6): the switch-over between the relay and the data channel with real
// sealed records (replays and reorders across the two paths refused, nothing opened twice or out
// of order), the frame codec, and the outbox's states.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DataFrame,
  channelTag,
  decodeDataFrame,
  encodeDataFrame,
  recordSeq,
} from '../src/protocol/dataFrame.js';
import { RecordFormat, RecordOpener, RecordSealer } from '../src/protocol/record.js';
import { MAX_HELD, MAX_HELD_BYTES, PeerPaths } from '../src/signal/peerPaths.js';
import { decodePeerMessage, encodePeerMessage } from '../src/signal/peerMessages.js';
import { encodeFileChunk } from '../src/signal/fileMessages.js';
import { Outbox } from '../src/app/outbox.js';
import { PeerTransport } from '../src/signal/peerTransport.js';

const SECRET = new Uint8Array(32).fill(7);
const enc = new TextEncoder();
const dec = new TextDecoder();

/** n sealed records "r0".."r{n-1}" of one direction (a peer channel's sealer: peer.js). */
async function records(n) {
  const sealer = new RecordSealer(SECRET, RecordFormat.PEER_DC_MAX_PLAINTEXT);
  const out = [];
  for (let i = 0; i < n; i++) out.push(await sealer.seal(enc.encode(`r${i}`)));
  return out;
}

/** A receiver as peerTransport.js runs it: PeerPaths decides, the record layer opens. */
function receiver() {
  const paths = new PeerPaths(new Uint8Array(8));
  const opener = new RecordOpener(SECRET, RecordFormat.PEER_DC_MAX_PLAINTEXT);
  const got = [];
  const open = async (batch) => {
    for (let b = batch; b.length > 0; b = paths.drain()) {
      for (const r of b) {
        got.push(dec.decode(await opener.open(r)));
        paths.opened();
      }
    }
  };
  return {
    paths,
    got,
    relay: async (r) => open(paths.fromRelay(r)),
    data: async (r) => open(paths.fromDataChannel(r)),
  };
}

const code = (c) => (e) => e.code === c;

test('paths: the sender moves to the data channel once it is open and the peer was heard, never back', () => {
  const p = new PeerPaths(new Uint8Array(8));
  assert.equal(p.route(true), 'relay', 'nothing heard from the peer yet');
  p.opened();
  assert.equal(p.route(false), 'relay', 'data channel not open');
  assert.equal(p.route(true), 'data');
  assert.equal(p.route(false), 'data', 'never back to the relay');
  assert.equal(p.sendOnDataChannel, true);
});

test('paths: data-channel records wait for the relay records before them, then everything is opened once, in order', async () => {
  const r = await records(6);
  const rx = receiver();
  await rx.relay(r[0]);
  await rx.data(r[3]); // the switch point is 3: held
  await rx.data(r[4]);
  assert.deepEqual(rx.got, ['r0']);
  assert.equal(rx.paths.receiveOnDataChannel, false);
  await rx.relay(r[1]);
  await rx.relay(r[2]); // the last relay record releases the held ones
  assert.deepEqual(rx.got, ['r0', 'r1', 'r2', 'r3', 'r4']);
  assert.equal(rx.paths.receiveOnDataChannel, true);
  await rx.data(r[5]);
  assert.deepEqual(rx.got, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
});

test('paths: a switch at the very next seq takes effect at once', async () => {
  const r = await records(3);
  const rx = receiver();
  await rx.relay(r[0]);
  await rx.data(r[1]);
  assert.deepEqual(rx.got, ['r0', 'r1']);
  assert.equal(rx.paths.receiveOnDataChannel, true);
});

test('paths: a record replayed on the relay after it came on the data channel is refused', async () => {
  const r = await records(4);
  const rx = receiver();
  await rx.relay(r[0]);
  await rx.data(r[1]);
  await rx.data(r[2]);
  await assert.rejects(rx.relay(r[1]), code('RECORD_REPLAYED'));
  await assert.rejects(
    rx.relay(r[3]),
    code('RECORD_OUT_OF_ORDER'),
    'new records too: the relay is closed',
  );
  assert.deepEqual(rx.got, ['r0', 'r1', 'r2'], 'nothing opened twice');
});

test('paths: while frames are held, a relay record at or past the switch point is refused', async () => {
  const r = await records(4);
  const rx = receiver();
  await rx.data(r[2]); // switch point 2, relay owes 0 and 1
  await rx.relay(r[0]);
  await assert.rejects(rx.relay(r[2]), code('RECORD_OUT_OF_ORDER'), 'the same seq on both paths');
  assert.deepEqual(rx.got, ['r0']);
});

test('paths: a record replayed on the data channel is refused', async () => {
  const r = await records(3);
  const rx = receiver();
  await rx.relay(r[0]);
  await rx.relay(r[1]);
  await assert.rejects(rx.data(r[0]), code('RECORD_REPLAYED'), 'a first frame below expected');
  const rx2 = receiver();
  await rx2.relay(r[0]);
  await rx2.data(r[1]);
  await assert.rejects(
    rx2.data(r[1]),
    code('RECORD_REPLAYED'),
    'the record layer after the switch',
  );
  assert.deepEqual(rx2.got, ['r0', 'r1']);
});

test('paths: reordered data-channel records are refused by the record layer', async () => {
  const r = await records(4);
  const rx = receiver();
  await rx.relay(r[0]);
  await rx.data(r[2]); // held: relay owes r1
  await rx.data(r[1]); // held behind r2: a reorder on the data channel
  // r1 is owed by the relay (below the switch point): opened; then r2, then r1 again is a replay.
  await assert.rejects(rx.relay(r[1]), code('RECORD_REPLAYED'));
  assert.deepEqual(rx.got, ['r0', 'r1', 'r2'], 'nothing twice, nothing out of order');
  const rx2 = receiver();
  await rx2.relay(r[0]);
  await rx2.data(r[1]);
  await assert.rejects(rx2.data(r[3]), code('RECORD_OUT_OF_ORDER'));
});

test('paths: at most MAX_HELD frames wait for the relay', async () => {
  const r = await records(2);
  const p = new PeerPaths(new Uint8Array(8));
  for (let i = 0; i < MAX_HELD; i++) assert.deepEqual(p.fromDataChannel(r[1]), []);
  assert.throws(() => p.fromDataChannel(r[1]), code('RECORD_OUT_OF_ORDER'));
});

test('paths: a data-channel record carries up to 65536 bytes, a relay record at most 16384', async () => {
  const sealer = new RecordSealer(SECRET, RecordFormat.PEER_DC_MAX_PLAINTEXT);
  const r0 = await sealer.seal(new Uint8Array(RecordFormat.PEER_MAX_PLAINTEXT)); // the relay's largest
  const r1 = await sealer.seal(new Uint8Array(RecordFormat.PEER_DC_MAX_PLAINTEXT));
  const rx = receiver();
  await rx.relay(r0);
  await rx.data(r1);
  assert.deepEqual(
    rx.got.map((s) => s.length),
    [16384, 65536],
  );
  // the same large record through the gateway is refused before it is opened
  const big = await new RecordSealer(SECRET, RecordFormat.PEER_DC_MAX_PLAINTEXT).seal(
    new Uint8Array(RecordFormat.PEER_MAX_PLAINTEXT + 1),
  );
  assert.throws(() => new PeerPaths(new Uint8Array(8)).fromRelay(big), code('RECORD_TOO_LARGE'));
});

test('transport: a plaintext over 16384 bytes is refused until our direction is on the data channel, with no seq used', async () => {
  const sealer = new RecordSealer(SECRET, RecordFormat.PEER_DC_MAX_PLAINTEXT);
  const relayed = [];
  const frames = [];
  const transport = new PeerTransport(
    /** @type {any} */ ({ relay: (_id, r) => relayed.push(r) > 0, failed: () => {} }),
    /** @type {any} */ ({}),
  );
  const channel = {
    established: true,
    remoteId: 'p',
    paths: new PeerPaths(new Uint8Array(8)),
    seal: (b, o) => sealer.seal(b, o),
  };
  const entry = /** @type {any} */ ({ channel, dataChannel: null });
  assert.equal(await transport.send(entry, new Uint8Array(16385)), false);
  assert.equal(sealer.nextSeq(), 0, 'no seq used');
  assert.equal(await transport.send(entry, new Uint8Array(16384)), true);
  assert.equal(relayed.length, 1);
  // the relay gets the record alone, without the room a frame's tag would take
  assert.equal(relayed[0].length, RecordFormat.maxRecord(RecordFormat.PEER_MAX_PLAINTEXT));
  assert.equal(relayed[0][0], RecordFormat.TYPE);
  // the data channel opens and the peer was heard: the next record moves our direction
  channel.paths.opened();
  entry.dataChannel = { readyState: 'open', send: (f) => frames.push(f) };
  assert.equal(await transport.send(entry, new Uint8Array(1)), true);
  assert.equal(await transport.send(entry, new Uint8Array(65536)), true);
  assert.deepEqual(
    frames.map((f) => f.length),
    [8 + 26, DataFrame.MAX_FRAME],
  );
  assert.equal(relayed.length, 1);
});

test('paths: held frames are bounded in bytes too (16 MiB), whatever their size', async () => {
  const sealer = new RecordSealer(SECRET, RecordFormat.PEER_DC_MAX_PLAINTEXT);
  await sealer.seal(new Uint8Array(1)); // seq 0, owed by the relay
  const large = await sealer.seal(new Uint8Array(RecordFormat.PEER_DC_MAX_PLAINTEXT));
  const p = new PeerPaths(new Uint8Array(8));
  const fit = Math.floor(MAX_HELD_BYTES / large.length);
  assert.ok(fit < MAX_HELD);
  for (let i = 0; i < fit; i++) assert.deepEqual(p.fromDataChannel(large), []);
  assert.throws(() => p.fromDataChannel(large), code('RECORD_OUT_OF_ORDER'));
});

test('frames: tag || record, refused by length only', () => {
  const hh = Uint8Array.from({ length: 32 }, (_, i) => i);
  const tag = channelTag(hh);
  assert.deepEqual([...tag], [0, 1, 2, 3, 4, 5, 6, 7]);
  const record = new Uint8Array(30).fill(0x17);
  const frame = encodeDataFrame(tag, record);
  assert.equal(frame.length, 38);
  const back = decodeDataFrame(frame);
  assert.deepEqual([...back.tag], [...tag]);
  assert.deepEqual([...back.record], [...record]);
  assert.throws(() => decodeDataFrame(new Uint8Array(8)), code('MALFORMED_MESSAGE'));
  assert.throws(
    () => decodeDataFrame(new Uint8Array(DataFrame.MAX_FRAME + 1)),
    code('RECORD_TOO_LARGE'),
  );
  assert.equal(decodeDataFrame(new Uint8Array(DataFrame.MAX_FRAME)).record.length, 65561);
  assert.throws(() => channelTag(new Uint8Array(31)), TypeError);
});

test('peer messages: JSON keeps the relay size on every path; a file chunk may fill a data-channel record', () => {
  const json = enc.encode(JSON.stringify({ t: 'chat', text: 'x'.repeat(20_000) }));
  assert.match(decodePeerMessage(json).drop ?? '', /JSON at most 16384/);
  const chunk = encodeFileChunk('0123456789abcdef', 0, new Uint8Array(65536 - 13));
  assert.equal(decodePeerMessage(chunk).msg?.data.length, 65523);
});

test('peer messages: ack and path', () => {
  assert.deepEqual(decodePeerMessage(encodePeerMessage({ t: 'ack', id: '0123456789abcdef' })).msg, {
    t: 'ack',
    id: '0123456789abcdef',
  });
  assert.match(
    decodePeerMessage(enc.encode('{"t":"ack","id":"0123456789ABCDEF"}')).drop,
    /ack\.id/,
  );
  assert.deepEqual(decodePeerMessage(encodePeerMessage({ t: 'path' })).msg, { t: 'path' });
});

/** An outbox whose peers are reachable as `open` says; every send is recorded. */
function outbox(timeoutMs = 50) {
  const open = new Set();
  const sent = [];
  const changes = [];
  const box = new Outbox({
    send: (fp, msg) => (open.has(fp) ? (sent.push(`${fp}:${msg.id}`), true) : false),
    canSend: (fp) => open.has(fp),
    onChange: (id) => changes.push(id),
    timeoutMs,
  });
  return { box, open, sent, changes };
}

const chat = (id) => ({ t: 'chat', id, text: 'hi', kind: 'text', ts: 0 });
const states = (box, id) => Object.fromEntries(box.states(id));
const wait = (ms) => new Promise((r) => setTimeout(r, ms));

test('outbox: sent at once where a channel is open, later where not; an ack delivers', () => {
  const { box, open, sent } = outbox(10_000);
  open.add('a');
  box.post(chat('0000000000000001'), ['a', 'b']);
  assert.deepEqual(sent, ['a:0000000000000001']);
  assert.deepEqual(states(box, '0000000000000001'), { a: 'pending', b: 'pending' });
  box.ack('a', '0000000000000001');
  open.add('b');
  box.peerUp('b');
  assert.deepEqual(sent, ['a:0000000000000001', 'b:0000000000000001']);
  box.ack('b', '0000000000000001');
  assert.deepEqual(states(box, '0000000000000001'), { a: 'delivered', b: 'delivered' });
  box.peerUp('b');
  assert.equal(sent.length, 2, 'nothing sent again once delivered');
  box.close();
});

test('outbox: no ack in time is failed; a retry sends it again and can deliver it', async () => {
  const { box, open, sent, changes } = outbox(30);
  box.post(chat('0000000000000002'), ['a']);
  await wait(60);
  assert.deepEqual(states(box, '0000000000000002'), { a: 'failed' });
  assert.deepEqual(changes, ['0000000000000002']);
  box.peerUp('a');
  assert.equal(sent.length, 0, 'a failed message waits for the retry');
  open.add('a');
  assert.equal(box.retry('0000000000000002'), 1);
  assert.deepEqual(sent, ['a:0000000000000002']);
  assert.deepEqual(states(box, '0000000000000002'), { a: 'pending' });
  box.ack('a', '0000000000000002');
  assert.deepEqual(states(box, '0000000000000002'), { a: 'delivered' });
  assert.equal(box.retry('0000000000000002'), 0);
  box.close();
});

test('outbox: a peer that leaves has not received what it did not acknowledge; unknown acks change nothing', () => {
  const { box, changes } = outbox(10_000);
  box.post(chat('0000000000000003'), ['a', 'b']);
  box.ack('c', '0000000000000003');
  box.ack('a', 'ffffffffffffffff');
  assert.equal(changes.length, 0);
  box.peerGone('b');
  assert.deepEqual(states(box, '0000000000000003'), { a: 'pending', b: 'failed' });
  box.close();
});

test('transport: a frame that arrives while the records released by the last relay record are opening is opened after them', async () => {
  // Seen in a browser after a gateway restart: the relay record before the switch point released
  // several held frames, and a frame that came during their decryption was opened on arrival
  // (the steady-state path), ahead of them: RECORD_OUT_OF_ORDER, and the pair was lost.
  const r = await records(7);
  const opener = new RecordOpener(SECRET, RecordFormat.PEER_DC_MAX_PLAINTEXT);
  const tag = new Uint8Array(8).fill(3);
  const got = [];
  const failures = [];
  const sent = [];
  const dc = Object.assign(new EventTarget(), { readyState: 'open', send: (f) => sent.push(f) });
  const sealer = new RecordSealer(SECRET, RecordFormat.PEER_DC_MAX_PLAINTEXT); // our `path` record
  const frame = (rec) =>
    new MessageEvent('message', { data: encodeDataFrame(tag, rec).slice().buffer });
  const channel = {
    established: true,
    ended: false,
    state: 'established',
    remoteId: 'p',
    paths: new PeerPaths(tag),
    openRecord: (bytes) => {
      const opening = opener.open(bytes);
      // the next frame arrives while the first released record is being decrypted
      if (recordSeq(bytes) === 2n) queueMicrotask(() => dc.dispatchEvent(frame(r[5])));
      return opening;
    },
    seal: (b) => sealer.seal(b),
    fail: () => {},
  };
  const entry = /** @type {any} */ ({
    channel,
    dataChannel: null,
    queue: Promise.resolve(),
    slowFrames: 0,
    peer: {},
  });
  const transport = new PeerTransport(
    /** @type {any} */ ({
      plaintext: (_e, _c, p) => got.push(dec.decode(p)),
      failed: (_e, _c, c) => failures.push(c),
    }),
    /** @type {any} */ ({ ignoredFrames: 0 }),
  );
  transport.attach(entry, /** @type {any} */ (dc));
  await transport.relayed(entry, channel, r[0]);
  for (const i of [2, 3, 4]) dc.dispatchEvent(frame(r[i])); // held: r1 is still on the relay
  await entry.queue;
  assert.deepEqual(got, ['r0']);
  entry.queue = entry.queue.then(() => transport.relayed(entry, channel, r[1]));
  await entry.queue;
  await entry.queue; // the frame that came meanwhile
  dc.dispatchEvent(frame(r[6]));
  await entry.queue;
  assert.deepEqual(failures, []);
  assert.deepEqual(got, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  assert.equal(sent.length, 1, 'our `path` record, on the data channel');
});

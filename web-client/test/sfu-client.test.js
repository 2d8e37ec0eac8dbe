// The client's SFU signaling (src/app/sfuSignal.js, spec/sfu.md §2, §4): requests as SFU_REQUEST
// with a fresh nonzero txn, answers matched by txn, Janus and gateway refusals as SfuError codes,
// unsolicited events and a lost session as events, and the feed id every member computes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PUBLISHER, SUBSCRIBER, SfuSignal, feedIdOf } from '../src/app/sfuSignal.js';
import { mediaDecodes } from '../src/app/mediaStats.js';

const MAX = 2n ** 53n - 1n;

test('feed id: 1 + (u64(peer_id) mod (2^53 - 1)), as the gateway computes it (SfuIdsTest)', () => {
  assert.equal(feedIdOf('0000000000000000'), 1);
  assert.equal(feedIdOf(MAX.toString(16).padStart(16, '0')), 1);
  assert.equal(feedIdOf((MAX - 1n).toString(16).padStart(16, '0')), Number(MAX));
  assert.equal(feedIdOf('ffffffffffffffff'), 2048);
  assert.equal(feedIdOf('8000000000000000'), Number((2n ** 63n % MAX) + 1n));
  assert.throws(() => feedIdOf('00'), TypeError);
});

/** A stand-in for CallSession: records SFU_REQUESTs, and lets the test answer them. */
function fakeSession({ joined = true } = {}) {
  const s = new EventTarget();
  s.sent = [];
  s.sfuRequest = (handle, txn, json) => {
    if (!joined) return false;
    s.sent.push({
      handle,
      txn: Buffer.from(txn).toString('hex'),
      msg: JSON.parse(Buffer.from(json)),
    });
    return true;
  };
  s.event = (handle, txn, msg) =>
    s.dispatchEvent(
      new CustomEvent('sfu-event', {
        detail: { handle, txn, json: new TextEncoder().encode(JSON.stringify(msg)) },
      }),
    );
  s.error = (code, txn) => s.dispatchEvent(new CustomEvent('sfu-error', { detail: { code, txn } }));
  return s;
}

test('a request goes out with a fresh nonzero txn and resolves with the answer of that txn', async () => {
  const session = fakeSession();
  const sfu = new SfuSignal(session);
  const offer = { type: 'offer', sdp: 'v=0\r\n' };
  const p1 = sfu.request(PUBLISHER, { request: 'publish', videocodec: 'vp9' }, offer);
  const p2 = sfu.request(SUBSCRIBER, { request: 'start' });
  const [r1, r2] = session.sent;
  assert.notEqual(r1.txn, r2.txn);
  assert.notEqual(r1.txn, '0000000000000000');
  assert.deepEqual(r1.msg, {
    janus: 'message',
    body: { request: 'publish', videocodec: 'vp9' },
    jsep: { type: 'offer', sdp: 'v=0\r\n', e2ee: true },
  });
  assert.equal(r2.handle, SUBSCRIBER);
  // answers in the other order
  session.event(SUBSCRIBER, r2.txn, { janus: 'event', plugindata: { data: { started: 'ok' } } });
  session.event(PUBLISHER, r1.txn, {
    janus: 'event',
    plugindata: { data: { configured: 'ok' } },
    jsep: { type: 'answer', sdp: 'x' },
  });
  assert.equal((await p2).plugindata.data.started, 'ok');
  assert.equal((await p1).jsep.type, 'answer');
  sfu.close();
});

test('refusals: the gateway (SFU_*), Janus (JANUS_<code>), and not joined', async () => {
  const session = fakeSession();
  const sfu = new SfuSignal(session);
  const a = sfu.request(PUBLISHER, { request: 'join', ptype: 'publisher' });
  const b = sfu.request(PUBLISHER, { request: 'join', ptype: 'publisher' });
  const c = sfu.request(SUBSCRIBER, {
    request: 'join',
    ptype: 'subscriber',
    streams: [{ feed: 1 }],
  });
  session.error('SFU_BUSY', session.sent[0].txn);
  session.event(PUBLISHER, session.sent[1].txn, {
    janus: 'error',
    error: { code: 458, reason: 'x' },
  });
  session.event(SUBSCRIBER, session.sent[2].txn, {
    janus: 'event',
    plugindata: { data: { videoroom: 'event', error_code: 428, error: 'No such feed' } },
  });
  await assert.rejects(a, { code: 'SFU_BUSY' });
  await assert.rejects(b, { code: 'JANUS_458' });
  await assert.rejects(c, { code: 'JANUS_428' });
  await assert.rejects(new SfuSignal(fakeSession({ joined: false })).request(1, {}), {
    code: 'SFU_NOT_JOINED',
  });
  // closing rejects what is still pending
  const d = sfu.request(PUBLISHER, { request: 'configure' });
  sfu.close();
  await assert.rejects(d, { code: 'SFU_CLOSED' });
});

test('events of no request, a lost session, a refused trickle: each is an event, none is dropped', () => {
  const session = fakeSession();
  const sfu = new SfuSignal(session);
  const seen = [];
  for (const t of ['janus', 'lost', 'refused'])
    sfu.addEventListener(t, (e) => seen.push([t, e.detail]));
  sfu.trickle(PUBLISHER, null);
  assert.deepEqual(session.sent[0].msg, { janus: 'trickle', candidate: { completed: true } });
  session.event(PUBLISHER, '0000000000000000', { janus: 'webrtcup' });
  session.error('SFU_UNAVAILABLE', session.sent[0].txn);
  session.error('SFU_UNAVAILABLE', null);
  session.dispatchEvent(
    new CustomEvent('sfu-event', {
      detail: { handle: 1, txn: '0000000000000000', json: new TextEncoder().encode('{not json') },
    }),
  );
  assert.deepEqual(seen, [
    ['janus', { handle: 1, msg: { janus: 'webrtcup' } }],
    ['refused', { code: 'SFU_UNAVAILABLE' }],
    ['lost', { code: 'SFU_UNAVAILABLE' }],
    ['lost', { code: 'SFU_MALFORMED_EVENT' }],
  ]);
  sfu.close();
});

test('a feed decodes once its camera frames do (audio alone while camera packets arrive is not enough)', () => {
  const e = (kind, o = {}) => ({
    kind,
    screen: false,
    framesDecoded: 0,
    totalSamplesReceived: 0,
    packetsReceived: 0,
    ...o,
  });
  const audio = e('audio', { totalSamplesReceived: 960, packetsReceived: 3 });
  assert.equal(mediaDecodes([]), false);
  assert.equal(mediaDecodes([e('audio'), e('video')]), false);
  // camera packets but no frame yet (waiting for a key frame): not yet
  assert.equal(mediaDecodes([audio, e('video', { packetsReceived: 40 })]), false);
  assert.equal(mediaDecodes([audio, e('video', { packetsReceived: 40, framesDecoded: 1 })]), true);
  // camera off: no packets, audio is enough; and video alone is enough
  assert.equal(mediaDecodes([audio, e('video')]), true);
  assert.equal(mediaDecodes([e('video', { packetsReceived: 9, framesDecoded: 2 })]), true);
  // a screen share neither helps nor holds back
  const screen = e('video', { screen: true, packetsReceived: 40 });
  assert.equal(mediaDecodes([audio, screen]), true);
  assert.equal(mediaDecodes([e('audio'), { ...screen, framesDecoded: 5 }]), false);
});

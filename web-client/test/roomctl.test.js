// The room control without a browser (spec/peer-messages.md §2, §7): the rules of every
// room-control message (sent: refused with the rule; received: dropped with it), the lock's
// last-writer-wins merge, and RoomControls of several members wired to each other through the
// real peer-message codec (what the peer channels carry), to show who is held, who is let in,
// where a removal's new link goes, and what a mute request may do. The same flows in real
// Chromium against the real gateway: test/e2e/roomctl.test.js.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64UrlEncode } from '../src/protocol/bytes.js';
import { parseLinkFragment } from '../src/protocol/index.js';
import { LOCAL_CODES } from '../src/signal/errors.js';
import {
  KNOWN_TYPES,
  decodePeerMessage,
  encodePeerMessage,
  peerMessageProblem,
} from '../src/signal/peerMessages.js';
import { REACTIONS, ROOM_TYPES } from '../src/signal/roomMessages.js';
import { LOCK_MAX_AHEAD_MS, RoomLock } from '../src/app/lock.js';
import { RoomControl } from '../src/app/roomControl.js';

const fp = (c) => c.repeat(64);
const ID = '0123456789abcdef';
const SECRET = base64UrlEncode(new Uint8Array(32).fill(7));
const enc = new TextEncoder();

test('every room-control message type is known, and valid ones cross the codec unchanged', () => {
  for (const t of ROOM_TYPES) assert.ok(KNOWN_TYPES.has(t), t);
  const ok = [
    { t: 'hand', up: true },
    { t: 'hand', up: false },
    ...REACTIONS.map((emoji) => ({ t: 'react', emoji })),
    { t: 'mute-ask', id: ID },
    { t: 'mute-answer', id: ID, ok: true },
    { t: 'mute-answer', id: ID, ok: false },
    { t: 'lock', locked: true, ts: 0, by: fp('a') },
    { t: 'lock', locked: false, ts: Number.MAX_SAFE_INTEGER, by: fp('0') },
    { t: 'wait' },
    { t: 'admit', fp: fp('b') },
    { t: 'remove', fp: fp('c'), secret: SECRET },
    { t: 'removed' },
    { t: 'rec', on: true },
  ];
  for (const m of ok) {
    assert.equal(peerMessageProblem(m), null, JSON.stringify(m));
    assert.deepEqual(decodePeerMessage(encodePeerMessage(m)).msg, m);
  }
});

test('a malformed room-control message is refused when sent and dropped, with its rule, when received', () => {
  const bad = [
    [{ t: 'hand' }, /hand.up must be a boolean/],
    [{ t: 'hand', up: 'yes' }, /hand.up/],
    [{ t: 'react', emoji: '💩' }, /react.emoji must be one of/],
    [{ t: 'react', emoji: '<b>x</b>' }, /react.emoji/],
    [{ t: 'react' }, /react.emoji/],
    [{ t: 'mute-ask', id: 'ABCDEF0123456789' }, /mute-ask.id/],
    [{ t: 'mute-ask' }, /mute-ask.id/],
    [{ t: 'mute-answer', id: ID }, /mute-answer.ok/],
    [{ t: 'mute-answer', id: 'x', ok: true }, /mute-answer.id/],
    [{ t: 'lock', locked: 1, ts: 1, by: fp('a') }, /lock.locked/],
    [{ t: 'lock', locked: true, ts: -1, by: fp('a') }, /lock.ts/],
    [{ t: 'lock', locked: true, ts: 1.5, by: fp('a') }, /lock.ts/],
    [{ t: 'lock', locked: true, ts: 1, by: fp('A') }, /lock.by/],
    [{ t: 'lock', locked: true, ts: 1 }, /lock.by/],
    [{ t: 'admit', fp: 'a'.repeat(63) }, /admit.fp/],
    [{ t: 'remove', fp: fp('c') }, /remove.secret/],
    [{ t: 'remove', fp: fp('c'), secret: base64UrlEncode(new Uint8Array(31)) }, /remove.secret/],
    [{ t: 'remove', fp: fp('c'), secret: `${SECRET}=` }, /remove.secret/],
    [{ t: 'remove', fp: 'zz', secret: SECRET }, /remove.fp/],
    [{ t: 'rec', on: null }, /rec.on/],
  ];
  for (const [m, why] of bad) {
    assert.match(peerMessageProblem(m) ?? '', why, JSON.stringify(m));
    assert.throws(
      () => encodePeerMessage(m),
      (e) => e.code === LOCAL_CODES.INVALID_PEER_MESSAGE && why.test(e.message),
    );
    assert.match(decodePeerMessage(enc.encode(JSON.stringify(m))).drop ?? '', why);
  }
});

test('the lock merges last-writer-wins by (ts, by): every order of the same states ends the same', () => {
  const states = [
    { locked: true, ts: 100, by: fp('a') },
    { locked: false, ts: 100, by: fp('b') }, // same ts: the greater `by` wins
    { locked: true, ts: 99, by: fp('f') },
  ];
  const orders = [
    [0, 1, 2],
    [2, 1, 0],
    [1, 0, 2],
    [2, 0, 1],
  ];
  for (const order of orders) {
    const l = new RoomLock();
    for (const i of order) l.merge(states[i], 2_000);
    assert.deepEqual(l.state, states[1], `order ${order}`);
  }
  // Our own change supersedes what we saw, even with a clock behind it.
  const l = new RoomLock();
  l.merge({ locked: false, ts: 5000, by: fp('b') }, 10);
  assert.equal(l.set(true, fp('a'), 10).ts, 5001);
  assert.equal(l.merge({ locked: false, ts: 5000, by: fp('f') }, 10), false, 'older: ignored');
  assert.equal(l.state.locked, true);
  // Held: locked, and neither a member (a reconnection keeps its key) nor admitted.
  l.known.add(fp('b'));
  l.admitted.add(fp('c'));
  assert.deepEqual(
    [fp('b'), fp('c'), fp('d')].map((x) => l.shouldHold(x)),
    [false, false, true],
  );
  // A member stamping far ahead (a wrong clock, or to win every later race) is not followed.
  const far = { locked: false, ts: 10 + LOCK_MAX_AHEAD_MS + 1, by: fp('b') };
  assert.equal(l.merge(far, 10), false);
  assert.equal(l.merge({ ...far, ts: far.ts - 1 }, 10), true, 'at the limit: taken');
});

/**
 * Members' RoomControls wired like Calls: each message goes through the peer-message codec to the
 * other's onMessage, in order, delivered by flush(). `pin` is the gateway pin of the room link.
 */
function mesh(...letters) {
  return meshWith({}, ...letters);
}

function meshWith(options, ...letters) {
  const pin = new Uint8Array(32).fill(9);
  /** @type {Map<string, {room: RoomControl, up: Set<string>, events: object[], muted: number, detached: string[]}>} */
  const m = new Map();
  const queue = [];
  const connect = (a, b) => {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ]) {
      m.get(x).up.add(y);
      m.get(x).room.peerUp(y);
    }
  };
  for (const c of letters) {
    const self = fp(c);
    const node = { up: new Set(), events: [], muted: 0, detached: [] };
    node.room = new RoomControl(
      {
        send: (to, msg) => {
          if (!node.up.has(to)) return false;
          queue.push({ from: self, to, bytes: encodePeerMessage(msg) });
          return true;
        },
        members: () => [...node.up].filter((x) => !node.room.lock.blocked(x)),
        nameOf: (x) => x[0].toUpperCase(),
        selfFp: () => self,
        pin: () => pin,
        mute: () => node.muted++,
        detach: (x) => node.detached.push(x),
        attach: (x) => node.room.peerUp(x),
      },
      options,
    );
    for (const type of ['line', 'move', 'removed', 'ask', 'muted'])
      node.room.addEventListener(type, (e) => node.events.push({ type, ...e.detail }));
    m.set(self, node);
  }
  const flush = () => {
    while (queue.length > 0) {
      const { from, to, bytes } = queue.shift();
      const { msg } = decodePeerMessage(bytes);
      m.get(to).room.onMessage(from, msg);
    }
  };
  return { m, connect, flush, queue, node: (c) => m.get(fp(c)), pin };
}

test('a locked room: a newcomer is held by every member (told to wait, nothing else) until one lets it in', () => {
  const { connect, flush, queue, node } = mesh('a', 'b', 'd');
  connect(fp('a'), fp('b'));
  flush();
  node('a').room.setLocked(true);
  flush();
  assert.equal(node('b').room.lock.state.locked, true, "b has a's lock");

  connect(fp('a'), fp('d'));
  connect(fp('b'), fp('d'));
  // What the members send the newcomer: `wait`, and nothing of the call.
  const toD = queue.filter((x) => x.to === fp('d')).map((x) => decodePeerMessage(x.bytes).msg.t);
  assert.deepEqual(toD.sort(), ['wait', 'wait']);
  flush();
  for (const c of ['a', 'b']) assert.deepEqual([...node(c).room.lock.held], [fp('d')]);
  assert.deepEqual(new Set(node('d').room.lock.waitingFor), new Set([fp('a'), fp('b')]));
  assert.deepEqual(node('d').detached.sort(), [fp('a'), fp('b')], 'd drops its media to both');
  // Whatever the held newcomer sends is dropped: its hand does not show.
  node('d').room.setHand(true);
  flush();
  assert.equal(node('a').room.hands.has(fp('d')), false);
  assert.equal(node('a').room.onMessage(fp('d'), { t: 'sdp' }), true, 'its SDP is not used');
  assert.equal(
    node('a').room.onMessage(fp('e'), { t: 'key' }),
    true,
    'nor a key before its peer-up',
  );
  assert.equal(node('a').room.onMessage(fp('e'), { t: 'hello' }), false, 'its name passes');

  node('b').room.admit(fp('d'));
  flush();
  for (const c of ['a', 'b']) {
    assert.equal(node(c).room.lock.held.size, 0, `${c} let d in`);
    assert.ok(node(c).room.lock.known.has(fp('d')));
  }
  assert.equal(node('d').room.lock.waitingFor.size, 0, 'd is in');
  assert.equal(node('d').room.lock.state.locked, true, "the lock in d's view");
  assert.ok(
    node('d').events.some((e) => e.text === 'The room is locked (set by A, as B says)'),
    "d learns the lock from b's catch-up: shown as b's claim",
  );
  assert.ok(
    node('b').events.some((e) => e.text === 'A locked the room'),
    'sent by a itself',
  );
  assert.ok(node('a').events.some((e) => e.type === 'line' && e.text === 'B let D in'));

  // A member coming back with the same key (a reconnection) is not held; a new key is.
  node('a').room.peerDown(fp('b'), 'reconnecting');
  assert.equal(node('a').room.peerUp(fp('b')), false);
  assert.equal(node('a').room.peerUp(fp('e')), true);
  // Unlocking lets everyone held in.
  node('a').room.setLocked(false);
  assert.equal(node('a').room.lock.held.size, 0);
});

test('two members lock and unlock at once: all end on the later state (ts, then key fp)', () => {
  const { connect, flush, node } = mesh('a', 'b', 'c');
  connect(fp('a'), fp('b'));
  connect(fp('a'), fp('c'));
  connect(fp('b'), fp('c'));
  flush();
  const now = Date.now();
  node('a').room.lock.set(true, fp('a'), now); // a locks ...
  node('b').room.lock.set(false, fp('b'), now); // ... and b unlocks, at the same ms
  for (const c of ['a', 'b']) {
    const s = node(c).room.lock.state;
    for (const other of ['a', 'b', 'c'])
      if (other !== c) node(other).room.onMessage(fp(c), { t: 'lock', ...s });
  }
  for (const c of ['a', 'b', 'c'])
    assert.deepEqual(node(c).room.lock.state, { locked: false, ts: now, by: fp('b') }, c);
});

test('removal: the others get one new link to the same gateway, the removed member only `removed`', () => {
  const { connect, flush, queue, node, pin } = mesh('a', 'b', 'c');
  connect(fp('a'), fp('b'));
  connect(fp('a'), fp('c'));
  connect(fp('b'), fp('c'));
  flush();
  assert.equal(node('a').room.remove(fp('c')), true);
  const toC = queue.filter((x) => x.to === fp('c')).map((x) => decodePeerMessage(x.bytes).msg);
  assert.deepEqual(toC, [{ t: 'removed' }], 'no secret for the removed member');
  flush();
  const moveA = node('a').events.find((e) => e.type === 'move');
  const moveB = node('b').events.find((e) => e.type === 'move');
  assert.ok(moveA && moveB);
  assert.equal(moveB.fragment, moveA.fragment, 'one new room for all');
  const parsed = parseLinkFragment(moveA.fragment);
  assert.deepEqual(parsed.fingerprint, pin, 'same gateway');
  assert.ok(node('b').events.some((e) => e.type === 'line' && e.text.startsWith('A removed C')));
  assert.ok(node('c').events.some((e) => e.type === 'removed' && e.by === 'A'));
  assert.equal(node('c').events.filter((e) => e.type === 'move').length, 0, 'c does not move');
  // A second removal in the same call is shown, not followed (no split into two new rooms here).
  node('b').room.onMessage(fp('a'), { t: 'remove', fp: fp('c'), secret: SECRET });
  assert.equal(node('b').events.filter((e) => e.type === 'move').length, 1);
});

test('a mute request: only the person’s yes mutes them; the asker hears yes or no', async () => {
  const { connect, flush, node } = mesh('a', 'b');
  connect(fp('a'), fp('b'));
  flush();
  node('a').room.askMute(fp('b'));
  flush();
  const ask = node('b').events.find((e) => e.type === 'ask');
  assert.ok(ask, 'b is asked');
  assert.equal(node('b').muted, 0, 'asking mutes nothing');
  node('b').room.answerMute(ask.id, false);
  flush();
  assert.equal(node('b').muted, 0);
  assert.ok(node('a').events.some((e) => e.text === 'B declined to mute'));
  node('b').room.answerMute(ask.id, true); // answered already: nothing
  assert.equal(node('b').muted, 0);
  node('a').room.askMute(fp('b'));
  flush();
  const again = node('b')
    .events.filter((e) => e.type === 'ask')
    .at(-1);
  node('b').room.answerMute(again.id, true);
  flush();
  assert.equal(node('b').muted, 1);
  assert.ok(node('a').events.some((e) => e.text === 'B muted at your request'));
  // An answer to a request that is not ours changes nothing.
  node('a').room.onMessage(fp('b'), { t: 'mute-answer', id: ID, ok: true });
  assert.equal(
    node('a').events.filter((e) => /muted at your request/.test(e.text ?? '')).length,
    1,
  );
  for (const c of ['a', 'b']) node(c).room.close();
});

test('a mute request nobody answers: the asker is told, and the prompt goes with it', async () => {
  const { connect, flush, node } = meshWith({ muteAnswerMs: 50 }, 'a', 'b');
  connect(fp('a'), fp('b'));
  flush();
  const told = new Promise((resolve) =>
    node('a').room.addEventListener(
      'line',
      (e) => /did not answer/.test(e.detail.text) && resolve(),
    ),
  );
  node('a').room.askMute(fp('b'));
  flush();
  assert.equal(node('b').room.prompts.size, 1);
  node('a').room.askMute(fp('b')); // asked again: one prompt, the latest
  flush();
  assert.equal(node('b').room.prompts.size, 1);
  const gone = new Promise((resolve) =>
    node('b').room.addEventListener('change', () => node('b').room.prompts.size === 0 && resolve()),
  );
  await told;
  await gone;
  assert.equal(node('b').room.prompts.size, 0, 'the prompt is gone: a late yes mutes nothing');
  assert.equal(node('b').muted, 0);
});

test('hands and recording are told to members who come later', () => {
  const { connect, flush, node } = mesh('a', 'b');
  node('a').room.setHand(true);
  node('a').room.setRecording(true);
  connect(fp('a'), fp('b'));
  flush();
  assert.ok(node('b').room.hands.has(fp('a')));
  assert.ok(node('b').room.recorders.has(fp('a')));
  node('a').room.setRecording(false);
  flush();
  assert.equal(node('b').room.recorders.size, 0);
  node('b').room.peerDown(fp('a'), 'bye');
  assert.equal(node('b').room.hands.size, 0, 'a hand goes with its person');
});

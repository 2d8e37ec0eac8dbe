// Live Code pad (src/app/liveDoc.js, liveDocWire.js; spec/live-code.md): the sync protocol
// between in-memory LiveDocs wired as a call's peer channels are (ordered, JSON through the
// real peer-message encoder), chunking, refusals and the rate cap.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as Y from 'yjs';
import { LiveDoc } from '../src/app/liveDoc.js';
import {
  LiveDocLimits,
  PartAssembler,
  TokenBucket,
  parseDocMessage,
  splitUpdate,
} from '../src/app/liveDocWire.js';
import { decodePeerMessage, encodePeerMessage, newChatId } from '../src/signal/peerMessages.js';
import { base64UrlEncode } from '../src/protocol/bytes.js';

const FP = ['aa', 'bb', 'cc', 'dd'].map((x) => x.repeat(32));

/**
 * A mesh of LiveDocs: each message goes through encodePeerMessage/decodePeerMessage (the 16384-byte
 * limit included) into a per-link ordered queue; deliver() runs the queues until they are empty.
 */
function mesh(n, { direct = true } = {}) {
  /** @type {{from: number, to: number, bytes: Uint8Array}[]} */
  const queue = [];
  const links = new Set(); // "i>j" links that are up
  const sizes = [];
  const docs = [];
  for (let i = 0; i < n; i++) {
    docs.push(
      new LiveDoc({
        flushMs: 5,
        direct: () => direct,
        send: (keyFp, msg) => {
          const j = FP.indexOf(keyFp);
          if (!links.has(`${i}>${j}`)) return false;
          const bytes = encodePeerMessage(msg); // throws over 16384 bytes
          sizes.push(bytes.length);
          queue.push({ from: i, to: j, bytes });
          return true;
        },
      }),
    );
  }
  const up = (i, j) => {
    links.add(`${i}>${j}`);
    links.add(`${j}>${i}`);
    docs[i].peerUp(FP[j], `p${j}`);
    docs[j].peerUp(FP[i], `p${i}`);
  };
  const down = (i, j, gone = false) => {
    links.delete(`${i}>${j}`);
    links.delete(`${j}>${i}`);
    for (let k = queue.length - 1; k >= 0; k--) {
      const m = queue[k];
      if ((m.from === i && m.to === j) || (m.from === j && m.to === i)) queue.splice(k, 1); // lost with the channel
    }
    docs[i].peerDown(FP[j], gone);
    docs[j].peerDown(FP[i], gone);
  };
  const deliver = async () => {
    for (let round = 0; round < 200; round++) {
      for (const d of docs) d.flush();
      while (queue.length > 0) {
        const m = queue.shift();
        const { msg } = decodePeerMessage(m.bytes);
        docs[m.to].onMessage(FP[m.from], msg);
      }
      await new Promise((r) => setTimeout(r, 300)); // doc-have timers (250 ms)
      for (const d of docs) d.flush();
      if (queue.length === 0) return;
    }
    throw new Error('the mesh did not settle');
  };
  const close = () => docs.forEach((d) => d.close());
  return { docs, up, down, deliver, queue, sizes, close };
}

test('two and three LiveDocs: concurrent edits converge; a late joiner gets the document', async () => {
  const m = mesh(3);
  try {
    const [a, b, c] = m.docs;
    m.up(0, 1);
    a.text.insert(0, 'hello ');
    b.text.insert(0, 'world ');
    a.setLanguage('python');
    await m.deliver();
    assert.equal(a.text.toString(), b.text.toString());
    assert.equal(b.language, 'python');
    assert.ok(a.text.toString().includes('hello') && a.text.toString().includes('world'));
    // c joins late: it gets everything from a and b, and its own edit reaches them
    c.text.insert(0, 'late ');
    m.up(0, 2);
    m.up(1, 2);
    await m.deliver();
    for (const d of m.docs) assert.match(d.text.toString(), /late /, "everyone has c's edit");
    assert.equal(c.text.toString(), a.text.toString(), 'c has everything');
    for (let k = 0; k < 20; k++) {
      m.docs[k % 3].text.insert(k % 5, String(k));
      if (k % 4 === 0) await m.deliver();
    }
    await m.deliver();
    assert.equal(c.text.toString(), a.text.toString());
    assert.equal(b.text.toString(), a.text.toString());
    // (later inserts may land inside earlier words: only the characters are checked)
    assert.equal(c.text.length, 'hello world late '.length + 10 + 10 * 2);
    for (const d of m.docs) {
      for (const s of d.syncStates()) assert.ok(s.synced, `${s.name} has all edits`);
    }
  } finally {
    m.close();
  }
});

test('an edit made while a peer is unreachable reaches it on the next peer-up', async () => {
  const m = mesh(2);
  try {
    const [a, b] = m.docs;
    m.up(0, 1);
    a.text.insert(0, 'before ');
    await m.deliver();
    m.down(0, 1); // reconnecting
    a.text.insert(a.text.length, 'during-a ');
    b.text.insert(0, 'during-b ');
    assert.equal(m.queue.length, 0, 'nothing is sent to a peer that is down');
    m.up(0, 1); // back
    await m.deliver();
    assert.equal(a.text.toString(), b.text.toString());
    assert.match(a.text.toString(), /during-a/);
    assert.match(a.text.toString(), /during-b/);
  } finally {
    m.close();
  }
});

test('a peer that leaves before getting our edits is reported', async () => {
  const m = mesh(2);
  try {
    const [a] = m.docs;
    const problems = [];
    a.addEventListener('problem', (e) => problems.push(e.detail.code));
    m.up(0, 1);
    await m.deliver();
    a.text.insert(0, 'never seen');
    m.down(0, 1, true); // gone before the flush
    assert.deepEqual(problems, ['unsent']);
    assert.equal(a.stats.refused.unsent, 1);
  } finally {
    m.close();
  }
});

test('a state over one record is chunked into doc-parts and reassembled (relay budget too)', async () => {
  const m = mesh(2, { direct: false });
  try {
    const [a, b] = m.docs;
    // 200 KB of text that does not compress: many parts
    const big = Array.from({ length: 200_000 }, (_, i) =>
      String.fromCharCode(33 + ((i * 7919) % 90)),
    ).join('');
    a.text.insert(0, big);
    m.up(0, 1);
    await m.deliver();
    assert.equal(b.text.toString(), big);
    assert.ok(a.stats.sent.parts >= 16, `parts sent: ${a.stats.sent.parts}`);
    assert.ok(Math.max(...m.sizes) <= 16384);
  } finally {
    m.close();
  }
});

test('property: any update, any part size, split and reassembled in order, is the same bytes', () => {
  let seed = 42;
  const rnd = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 300; round++) {
    const len = 1 + rnd(round < 50 ? 100 : 60_000);
    const update = new Uint8Array(len).map(() => rnd(256));
    // any part size that keeps n within MAX_PARTS (the receiver's bound)
    const least = Math.ceil(len / LiveDocLimits.MAX_PARTS);
    const partBytes =
      least + rnd(Math.max(1, Math.min(LiveDocLimits.PART_BYTES, len + 10) - least));
    const msgs = splitUpdate(update, newChatId, partBytes);
    const asm = new PartAssembler();
    let done = null;
    for (const msg of msgs) {
      const wire = decodePeerMessage(encodePeerMessage(msg)).msg; // through JSON
      const { input, problem } = parseDocMessage(wire);
      assert.equal(problem, undefined);
      if (input.kind === 'update') done = input.bytes;
      else {
        const r = asm.add(input);
        assert.equal(r.problem, undefined);
        if (r.done) done = r.done;
      }
    }
    assert.deepEqual(done, update, `round ${round}: ${len} bytes in parts of ${partBytes}`);
    assert.equal(asm.pending, false);
    // a random part dropped, duplicated or swapped never yields an update
    if (msgs.length > 2) {
      const k = 1 + rnd(msgs.length - 1);
      const broken = msgs.slice();
      if (rnd(2) === 0) broken.splice(k, 1);
      else [broken[k - 1], broken[k]] = [broken[k], broken[k - 1]];
      const asm2 = new PartAssembler();
      let out = null;
      let problems = 0;
      for (const msg of broken) {
        const r = asm2.add(parseDocMessage(msg).input);
        if (r.problem) problems++;
        if (r.done) out = r.done;
      }
      assert.equal(out, null, 'a broken sequence never assembles');
      // it says so, or (the last part dropped) it is still waiting for the rest
      assert.ok(problems >= 1 || asm2.pending, 'and says so');
    }
  }
});

test('the largest part fits one record; an update over the cap is refused before sending', () => {
  const full = new Uint8Array(LiveDocLimits.PART_BYTES).fill(255);
  const [msg] = splitUpdate(full, newChatId, LiveDocLimits.PART_BYTES);
  assert.ok(encodePeerMessage(msg).length <= 16384);
  const part = { t: 'doc-part', id: 'f'.repeat(16), i: 999, n: 1000, u: base64UrlEncode(full) };
  assert.match(parseDocMessage(part).problem, /doc-part.n/);
  const p2 = { ...part, i: LiveDocLimits.MAX_PARTS - 1, n: LiveDocLimits.MAX_PARTS };
  assert.ok(encodePeerMessage(p2).length <= 16384);
  assert.throws(
    () => splitUpdate(new Uint8Array(LiveDocLimits.MAX_UPDATE_BYTES + 1), newChatId),
    RangeError,
  );
});

test('malformed, oversized and over-cap updates are refused, counted, and change nothing', async () => {
  const m = mesh(2);
  try {
    const [a, b] = m.docs;
    m.up(0, 1);
    a.text.insert(0, 'keep me');
    await m.deliver();
    const before = Y.encodeStateAsUpdate(b.doc);
    const problems = [];
    b.addEventListener('problem', (e) => problems.push(e.detail.code));
    const from = FP[0];
    assert.equal(
      b.onMessage(from, { t: 'doc', u: base64UrlEncode(new Uint8Array([1, 2, 3, 4, 250, 251])) }),
      false,
    );
    assert.equal(b.onMessage(from, { t: 'doc', u: '!!' }), false);
    assert.equal(
      b.onMessage(from, {
        t: 'doc',
        u: base64UrlEncode(new Uint8Array(LiveDocLimits.PART_BYTES + 1)),
      }),
      false,
    );
    assert.equal(b.onMessage(from, { t: 'doc-sync', sv: 5 }), false);
    assert.equal(b.onMessage(from, { t: 'doc-aware', sel: { a: 'AA', h: 'AA' } }), false);
    // a good update with a bad cursor riding on it: refused as a whole, nothing applied
    const fine = new Y.Doc();
    fine.getText('code').insert(0, 'sneaky ');
    const fineU = base64UrlEncode(Y.encodeStateAsUpdate(fine));
    assert.equal(b.onMessage(from, { t: 'doc', u: fineU, sel: { a: 'AA', h: 'AA' } }), false);
    // a part that does not follow
    assert.equal(
      b.onMessage(from, { t: 'doc-part', id: 'a'.repeat(16), i: 1, n: 3, u: 'AA' }),
      false,
    );
    // a valid Yjs update of another root type
    const other = new Y.Doc();
    other.getMap('evil').set('x', 1);
    assert.equal(
      b.onMessage(from, { t: 'doc', u: base64UrlEncode(Y.encodeStateAsUpdate(other)) }),
      false,
    );
    // a valid update that takes the pad over its cap (in parts: it is over one record)
    const huge = new Y.Doc();
    huge.getText('code').insert(0, 'x'.repeat(LiveDocLimits.MAX_TEXT + 1));
    for (const msg of splitUpdate(Y.encodeStateAsUpdate(huge), newChatId)) b.onMessage(from, msg);
    assert.deepEqual(problems, [
      'malformed',
      'oversized',
      'oversized',
      'malformed',
      'malformed',
      'malformed',
      'parts',
      'malformed',
      'cap',
    ]);
    assert.equal(b.stats.refused.cap, 1);
    assert.equal(b.text.toString(), 'keep me');
    assert.deepEqual(Y.encodeStateAsUpdate(b.doc), before);
    // and the pad still works: the next edits converge
    a.text.insert(0, '> ');
    b.text.insert(b.text.length, ' <');
    await m.deliver();
    assert.equal(a.text.toString(), '> keep me <');
    assert.equal(b.text.toString(), '> keep me <');
  } finally {
    m.close();
  }
});

test('rate cap: a peer over its pad message budget is refused, counted, and resynced later', async () => {
  let t = 0;
  const sent = [];
  const doc = new LiveDoc({ send: (k, msg) => sent.push(msg), direct: () => true, now: () => t });
  try {
    doc.peerUp(FP[1], 'flood');
    const peer = new Y.Doc();
    let accepted = 0;
    let refused = 0;
    for (let k = 0; k < LiveDocLimits.RECEIVE_RATE.burst + 50; k++) {
      peer.getText('code').insert(0, 'x');
      const u = Y.encodeStateAsUpdate(peer);
      if (doc.onMessage(FP[1], { t: 'doc', u: base64UrlEncode(u) })) accepted++;
      else refused++;
    }
    assert.equal(accepted, LiveDocLimits.RECEIVE_RATE.burst);
    assert.equal(refused, 50);
    assert.equal(doc.stats.refused.rate, 50);
    t += 1000; // one second later: 60 more tokens
    assert.ok(doc.onMessage(FP[1], { t: 'doc', u: base64UrlEncode(Y.encodeStateAsUpdate(peer)) }));
    assert.equal(doc.text.length, LiveDocLimits.RECEIVE_RATE.burst + 50);
  } finally {
    doc.close();
  }
});

test('the cursor rides on the update: one record per flush while typing, and it is drawn remotely', async () => {
  const m = mesh(2);
  try {
    const [a, b] = m.docs;
    m.up(0, 1);
    await m.deliver();
    const before = { ...a.stats.sent };
    a.text.insert(0, 'x');
    a.setSelection(1);
    a.flush();
    assert.equal(a.stats.sent.doc - before.doc, 1);
    assert.equal(a.stats.sent.aware - before.aware, 0, 'no separate doc-aware');
    await m.deliver();
    const c = b.cursors.get(FP[0]);
    assert.equal(c.name, 'p0');
    assert.equal(Y.createAbsolutePositionFromRelativePosition(c.head, b.doc).index, 1);
    // an update near one record's size: the cursor goes on its own (the doc would not fit)
    const bigAware = a.stats.sent.aware;
    a.text.insert(
      1,
      Array.from({ length: 11_950 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join(
        '',
      ),
    );
    a.setSelection(5);
    a.flush(); // the mesh's send encodes with the 16384-byte check
    assert.equal(a.stats.sent.aware, bigAware + 1);
    await m.deliver();
    assert.equal(b.text.toString(), a.text.toString());
    a.setSelection(null); // no update pending: a doc-aware of its own
    a.flush();
    assert.equal(a.stats.sent.aware - before.aware, 2);
    await m.deliver();
    assert.equal(b.cursors.has(FP[0]), false);
  } finally {
    m.close();
  }
});

test('relay budget: a fast typist over the relay stays within RELAY_RATE records a second', async () => {
  const m = mesh(3, { direct: false });
  try {
    const [a] = m.docs;
    m.up(0, 1);
    m.up(0, 2);
    await m.deliver();
    const sentBefore = a.stats.sent.doc + a.stats.sent.aware;
    const t0 = performance.now();
    for (let k = 0; k < 100; k++) {
      a.text.insert(a.text.length, 'k');
      a.setSelection(a.text.length);
      await new Promise((r) => setTimeout(r, 10)); // 100 keys a second
    }
    const secs = (performance.now() - t0) / 1000;
    const sent = a.stats.sent.doc + a.stats.sent.aware - sentBefore;
    const { perSecond, burst } = LiveDocLimits.RELAY_RATE;
    assert.ok(sent <= burst + perSecond * secs + 2, `${sent} records in ${secs.toFixed(2)} s`);
    await m.deliver();
    assert.equal(m.docs[1].text.toString(), a.text.toString());
    assert.equal(m.docs[2].text.toString(), a.text.toString());
  } finally {
    m.close();
  }
});

test('TokenBucket refills at its rate up to its burst', () => {
  let t = 0;
  const b = new TokenBucket({ perSecond: 10, burst: 3 }, () => t);
  assert.ok(b.tryTake() && b.tryTake() && b.tryTake());
  assert.equal(b.tryTake(), false);
  assert.equal(b.waitMs, 100);
  t = 100;
  assert.ok(b.tryTake());
  b.force(5);
  assert.equal(b.ready, false);
  t = 10_000;
  assert.ok(b.ready);
});

test("Enter in the pad breaks the line and indents, and never deletes another person's whitespace", async () => {
  const { EditorState, EditorSelection } = await import('@codemirror/state');
  const { insertNewlineAndIndent } = await import('@codemirror/commands');
  const { python } = await import('@codemirror/lang-python');
  const { insertNewlineKeepingOthersText } = await import('../src/app/padCommands.js');
  /** Runs `command` on `doc` with the selection `from..to`; returns the new doc and cursor. */
  const enter = (command, doc, from, to = from, extensions = []) => {
    let state = EditorState.create({
      doc,
      selection: EditorSelection.single(from, to),
      extensions,
    });
    assert.equal(command({ state, dispatch: (tr) => (state = tr.state) }), true);
    return [state.doc.toString(), state.selection.main.head];
  };
  // Carol's cursor sits right after "c1"; Alice's space, typed a moment ago, follows it
  const shared = 'a1c1 a2';
  // CodeMirror's own Enter deletes that space: the reason the pad binds its own
  assert.deepEqual(enter(insertNewlineAndIndent, shared, 4), ['a1c1\na2', 5]);
  assert.deepEqual(enter(insertNewlineKeepingOthersText, shared, 4), ['a1c1\n a2', 5]);
  // a blank line's indentation before the cursor stays too
  assert.deepEqual(enter(insertNewlineKeepingOthersText, 'x\n  ', 4), ['x\n  \n  ', 7]);
  // the language's indentation still comes: a Python block opens one indent unit in
  assert.deepEqual(enter(insertNewlineKeepingOthersText, 'def f():', 8, 8, [python()]), [
    'def f():\n  ',
    11,
  ]);
  // a selection is replaced by the line break, as typing over it would
  assert.deepEqual(enter(insertNewlineKeepingOthersText, 'abXYcd', 2, 4), ['ab\ncd', 3]);
  // a read-only pad is left alone
  const ro = EditorState.create({ doc: 'a', extensions: [EditorState.readOnly.of(true)] });
  assert.equal(insertNewlineKeepingOthersText({ state: ro, dispatch: () => assert.fail() }), false);
});

// The SDP this client sends its peers (src/app/sdp.js): 40 ms Opus frames asked for in each audio
// m-section (spec/media-sframe.md §7.4), orphan payload lines left out, nothing else changed.
// On real SDPs captured from Debian's Chromium 156 and Firefox ESR 153 in this app's calls
// (test/sdp/*.sdp, as each browser's localDescription: four slots, VP9/VP8 preferred), and on
// short hand-made ones for the edges. The browser tests check that Chromium then sends 25 audio
// packets per second (test/e2e/call.test.js) and that every join order of the two browsers gets
// media (test/e2e/firefox-*.test.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AUDIO_FRAME_MS, descriptionToSend, sdpForPeer } from '../src/app/sdp.js';

const captured = (name) => readFileSync(new URL(`./sdp/${name}.sdp`, import.meta.url), 'utf8');
const REAL = {
  'firefox-153-offer': captured('firefox-153-offer'),
  'firefox-153-answer': captured('firefox-153-answer'),
  'chromium-156-offer': captured('chromium-156-offer'),
  'chromium-156-answer': captured('chromium-156-answer'),
};

/** m-sections of an SDP, the session part first. */
const sections = (sdp) => sdp.split(/\r?\n(?=m=)/);

/**
 * What Chromium 156 refuses ("Failed to parse codecs correctly"), written independently of
 * sdp.js: per m-section, every rtpmap/fmtp/rtcp-fb line whose payload type is not on its m= line.
 */
function orphanLines(sdp) {
  const out = [];
  for (const s of sections(sdp).slice(1)) {
    const [mLine, ...rest] = s.split(/\r?\n/);
    const pts = mLine.split(' ').slice(3);
    for (const l of rest) {
      const m = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)[ ]/.exec(l);
      if (m && !pts.includes(m[1])) out.push(l);
    }
  }
  return out;
}

/** Per m-section: its m= line and, per payload type on it, every line that names it. */
function payloadLinesBySection(sdp) {
  return sections(sdp)
    .slice(1)
    .map((s) => {
      const [mLine, ...rest] = s.split(/\r?\n/).filter((l) => l !== '');
      const byPt = {};
      for (const pt of mLine.split(' ').slice(3))
        byPt[pt] = rest.filter((l) => new RegExp(`^a=[a-z-]+:${pt} `).test(l));
      return { mLine, byPt, others: rest.filter((l) => !/^a=(rtpmap|fmtp|rtcp-fb):\d/.test(l)) };
    });
}

test('Firefox 153 offer: the orphan a=rtcp-fb:99 lines (AV1, removed by setCodecPreferences) are left out, and only they', () => {
  const offer = REAL['firefox-153-offer'];
  const orphans = orphanLines(offer);
  // The captured bug: five rtcp-fb lines of payload type 99 in each of the two video sections.
  assert.equal(orphans.length, 10);
  assert.ok(orphans.every((l) => l.startsWith('a=rtcp-fb:99 ')));
  const { sdp, dropped } = sdpForPeer(offer);
  assert.deepEqual(orphanLines(sdp), [], 'Chromium would refuse what is left');
  assert.deepEqual(dropped, orphans);
  // Everything else is still there: removing the orphans and the two ptime lines from the
  // original gives the same lines, in the same order.
  const removed = new Set(orphans);
  assert.equal(
    sdp.replaceAll('a=ptime:40\r\n', ''),
    offer
      .split('\r\n')
      .filter((l) => !removed.has(l))
      .join('\r\n'),
  );
});

for (const [name, sdp] of Object.entries(REAL)) {
  test(`${name}: every payload type on an m= line keeps all its lines; m= lines and other lines unchanged`, () => {
    const out = sdpForPeer(sdp).sdp;
    assert.deepEqual(orphanLines(out), []);
    const before = payloadLinesBySection(sdp);
    const after = payloadLinesBySection(out);
    assert.equal(after.length, before.length);
    before.forEach((b, i) => {
      assert.equal(after[i].mLine, b.mLine, 'the m= line and its payload types');
      assert.deepEqual(after[i].byPt, b.byPt, `lines of each payload type of ${b.mLine}`);
      const audio = b.mLine.startsWith('m=audio ');
      assert.deepEqual(
        after[i].others,
        audio ? [...b.others, 'a=ptime:40'] : b.others,
        'other attributes',
      );
      // rtx keeps a target on the m= line (apt=)
      for (const lines of Object.values(after[i].byPt))
        for (const l of lines) {
          const apt = /apt=(\d+)/.exec(l);
          if (apt) assert.ok(after[i].mLine.split(' ').includes(apt[1]), l);
        }
    });
    assert.equal(sections(out)[0], sections(sdp)[0], 'the session part is untouched');
    assert.equal(sdpForPeer(out).sdp, out, 'applying twice changes nothing more');
    assert.deepEqual(sdpForPeer(out).dropped, []);
  });
}

test('Chromium 156 SDPs have no orphans: only the ptime lines are added', () => {
  for (const name of ['chromium-156-offer', 'chromium-156-answer']) {
    const { sdp, dropped } = sdpForPeer(REAL[name]);
    assert.deepEqual(dropped, []);
    assert.equal(sdp.replaceAll('a=ptime:40\r\n', ''), REAL[name]);
  }
});

// The shape of Chromium 156's offer with the app's four slots, shortened by hand.
const OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1 2 3',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sendrecv',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'm=video 9 UDP/TLS/RTP/SAVPF 98',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=rtpmap:98 VP9/90000',
  'm=video 9 UDP/TLS/RTP/SAVPF 98',
  'a=mid:2',
  'a=rtpmap:98 VP9/90000',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:3',
  'a=rtpmap:111 opus/48000/2',
  '',
].join('\r\n');

test('every audio m-section asks for 40 ms frames; nothing else changes', () => {
  assert.equal(AUDIO_FRAME_MS, 40);
  const out = sdpForPeer(OFFER).sdp;
  const [session, mic, camera, screen, screenAudio] = sections(out);
  assert.equal(session, sections(OFFER)[0], 'the session part is untouched');
  assert.match(mic, /a=fmtp:111 minptime=10;useinbandfec=1\r\na=ptime:40$/);
  assert.match(
    screenAudio,
    /a=rtpmap:111 opus\/48000\/2\r\na=ptime:40\r\n$/,
    'the last section keeps the final CRLF',
  );
  assert.equal(camera, sections(OFFER)[2]);
  assert.equal(screen, sections(OFFER)[3]);
  assert.equal(out.match(/a=ptime:/g).length, 2);
  assert.equal(out.replaceAll('a=ptime:40\r\n', ''), OFFER, 'only the two lines were added');
});

test('an audio m-section that already says its ptime keeps it; applying twice changes nothing', () => {
  const withOwn = OFFER.replace('a=mid:3', 'a=mid:3\r\na=ptime:20');
  const out = sdpForPeer(withOwn).sdp;
  assert.match(sections(out)[4], /a=ptime:20/);
  assert.doesNotMatch(sections(out)[4], /a=ptime:40/);
  assert.match(sections(out)[1], /a=ptime:40/);
  assert.equal(sdpForPeer(out).sdp, out);
});

test('LF line endings, no final line ending, other durations', () => {
  const lf = OFFER.replaceAll('\r\n', '\n').trimEnd();
  const out = sdpForPeer(lf, { audioFrameMs: 60 }).sdp;
  assert.ok(!out.includes('\r'));
  assert.ok(out.endsWith('a=rtpmap:111 opus/48000/2\na=ptime:60'));
  assert.equal(out.match(/a=ptime:60/g).length, 2);
});

test('what is kept: wildcards, other attributes, a payload type that another one prefixes, data channels', () => {
  const sdp = [
    'v=0',
    's=-',
    'm=video 9 UDP/TLS/RTP/SAVPF 100 101',
    'a=rtcp-fb:* nack', // applies to every payload type (RFC 4585 §4.2)
    'a=rtpmap:100 VP9/90000',
    'a=rtcp-fb:100 nack pli',
    'a=rtpmap:101 rtx/90000',
    'a=fmtp:101 apt=100',
    'a=rtpmap:10 L16/44100/2', // orphan: "10" is a prefix of "100", not on the m= line
    'a=rtcp-fb:1000 nack', // orphan: "100" is a prefix of it
    'a=ssrc-group:FID 1 2',
    'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'a=sctp-port:5000',
    'a=fmtp:5000 whatever', // not an RTP section: no payload types, nothing dropped
    '',
  ].join('\r\n');
  const { sdp: out, dropped } = sdpForPeer(sdp);
  assert.deepEqual(dropped, ['a=rtpmap:10 L16/44100/2', 'a=rtcp-fb:1000 nack']);
  assert.equal(
    out,
    sdp.replace('a=rtpmap:10 L16/44100/2\r\n', '').replace('a=rtcp-fb:1000 nack\r\n', ''),
  );
});

test('an orphan line in the session part or an audio section', () => {
  const sdp = OFFER.replace(
    'a=fmtp:111 minptime',
    'a=rtcp-fb:109 transport-cc\r\na=fmtp:111 minptime',
  );
  const { sdp: out, dropped } = sdpForPeer(sdp);
  assert.deepEqual(dropped, ['a=rtcp-fb:109 transport-cc']);
  assert.equal(out, sdpForPeer(OFFER).sdp);
});

test('no audio m-section and nothing orphaned: the SDP is returned as it was', () => {
  const videoOnly = 'v=0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 98\r\na=rtpmap:98 VP9/90000\r\n';
  assert.deepEqual(sdpForPeer(videoOnly), { sdp: videoOnly, dropped: [] });
  assert.deepEqual(sdpForPeer(''), { sdp: '', dropped: [] });
});

test('out-of-range durations and non-strings are refused', () => {
  for (const ms of [0, 9, 121, 40.5, '40', NaN])
    assert.throws(() => sdpForPeer(OFFER, { audioFrameMs: ms }), RangeError);
  assert.throws(() => sdpForPeer(undefined), TypeError);
});

test('descriptionToSend: offers and answers go through sdpForPeer, rollbacks pass, the input is not changed', () => {
  const ff = REAL['firefox-153-offer'];
  const offer = { type: 'offer', sdp: ff };
  const sent = descriptionToSend(offer);
  assert.equal(offer.sdp, ff);
  assert.deepEqual(sent.description, { type: 'offer', sdp: sdpForPeer(ff).sdp });
  assert.equal(sent.dropped.length, 10);
  assert.equal(
    descriptionToSend({ type: 'answer', sdp: OFFER }).description.sdp,
    sdpForPeer(OFFER).sdp,
  );
  assert.deepEqual(descriptionToSend({ type: 'rollback', sdp: '' }), {
    description: { type: 'rollback', sdp: '' },
    dropped: [],
  });
  // an RTCSessionDescription-like object goes through its toJSON
  const like = { toJSON: () => ({ type: 'answer', sdp: OFFER }) };
  assert.equal(
    descriptionToSend(like, 20).description.sdp,
    sdpForPeer(OFFER, { audioFrameMs: 20 }).sdp,
  );
});

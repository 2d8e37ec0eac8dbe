// The SDP this client sends its peers: 40 ms Opus frames asked for in each audio m-section
// (src/app/sdp.js, spec/media-sframe.md §7.5). The browser tests check that Chromium then sends
// 25 audio packets per second (test/e2e/call.test.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIO_FRAME_MS, descriptionToSend, withAudioPtime } from '../src/app/sdp.js';

// The shape of Chromium 156's offer with the app's four slots (mic, camera, screen, screen audio),
// shortened: session part, two audio and two video m-sections.
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

function sections(sdp) {
  return sdp.split(/\r?\n(?=m=)/);
}

test('every audio m-section asks for 40 ms frames; nothing else changes', () => {
  assert.equal(AUDIO_FRAME_MS, 40);
  const out = withAudioPtime(OFFER);
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
  const out = withAudioPtime(withOwn);
  assert.match(sections(out)[4], /a=ptime:20/);
  assert.doesNotMatch(sections(out)[4], /a=ptime:40/);
  assert.match(sections(out)[1], /a=ptime:40/);
  assert.equal(withAudioPtime(out), out);
});

test('LF line endings, no final line ending, other durations', () => {
  const lf = OFFER.replaceAll('\r\n', '\n').trimEnd();
  const out = withAudioPtime(lf, 60);
  assert.ok(!out.includes('\r'));
  assert.ok(out.endsWith('a=rtpmap:111 opus/48000/2\na=ptime:60'));
  assert.equal(out.match(/a=ptime:60/g).length, 2);
});

test('no audio m-section: the SDP is returned as it was', () => {
  const videoOnly = 'v=0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 98\r\na=rtpmap:98 VP9/90000\r\n';
  assert.equal(withAudioPtime(videoOnly), videoOnly);
  assert.equal(withAudioPtime(''), '');
});

test('out-of-range durations and non-strings are refused', () => {
  for (const ms of [0, 9, 121, 40.5, '40', NaN])
    assert.throws(() => withAudioPtime(OFFER, ms), RangeError);
  assert.throws(() => withAudioPtime(undefined), TypeError);
});

test('descriptionToSend: offers and answers get the line, rollbacks pass, the input is not changed', () => {
  const offer = { type: 'offer', sdp: OFFER };
  const sent = descriptionToSend(offer);
  assert.equal(offer.sdp, OFFER);
  assert.equal(sent.sdp, withAudioPtime(OFFER));
  assert.equal(descriptionToSend({ type: 'answer', sdp: OFFER }).sdp, withAudioPtime(OFFER));
  assert.deepEqual(descriptionToSend({ type: 'rollback', sdp: '' }), { type: 'rollback', sdp: '' });
  // an RTCSessionDescription-like object goes through its toJSON
  const like = { toJSON: () => ({ type: 'answer', sdp: OFFER }) };
  assert.equal(descriptionToSend(like, 20).sdp, withAudioPtime(OFFER, 20));
});

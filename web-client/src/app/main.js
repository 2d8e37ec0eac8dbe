// @ts-check
// The Hybridge web app: landing (create or paste a room link), join (name, microphone), call.
//
// The link fragment (#secret.fingerprint) is read once. It is removed from the address bar when
// the call starts (history.replaceState), and kept in memory for the Invite tab: a URL with the
// room secret in it would otherwise sit in the history, session restore and synced tabs of
// every participant, where it outlives the call. Before joining, it stays, so a reload of the
// join page works.

import { Fingerprint } from '../protocol/index.js';
import { $, append, clear, h, show } from './dom.js';
import { AppError, checkSecureContext, createRoomLink, parseLinkFragment, readPastedLink } from './link.js';
import { messageFor } from '../messages.js';
import { qrSvg } from './qr.js';
import { Call } from './call.js';
import { PeerLimits } from '../signal/peerMessages.js';
import { PeerPhase } from '../signal/peerState.js';

/* global __SFRAME_WORKER_URL__ */
const WORKER_URL = typeof __SFRAME_WORKER_URL__ === 'string' ? __SFRAME_WORKER_URL__ : '/sframe-worker.js';
// Set only by the browser tests and the benchmark (page.addInitScript): small fake video and
// the window.__hybridge hook. A page cannot set it for another page, and the served bundle
// never reads it (build.mjs leaves test-hook regions out).
let TEST = null;
// test-hook:begin
TEST = globalThis.__hybridgeTestConfig ?? null;
// test-hook:end

const app = {
  fragment: null, // the link fragment while on this page
  link: null, // the full invite link (kept in memory only)
  call: null,
  alerts: new Map(),
};

// --- alerts ----------------------------------------------------------------------------------

/** @param {string} code a key of src/messages.js @param {{sticky?: boolean, detail?: string}} [options] */
function alertBox(code, { sticky = false, detail } = {}) {
  if (app.alerts.has(code)) return;
  const m = messageFor(code);
  const box = h('div', { class: `alert ${sticky ? 'sticky' : ''}`, dataset: { code } },
    h('strong', {}, m.title), ' ', h('span', {}, m.text), detail ? h('span', { class: 'muted' }, ` (${detail})`) : null,
    h('button', { type: 'button', class: 'close', 'aria-label': 'Dismiss', onclick: () => dismiss(code) }, '×'));
  app.alerts.set(code, box);
  $('#alerts').append(box);
}

function dismiss(code) {
  app.alerts.get(code)?.remove();
  app.alerts.delete(code);
}

function clearAlerts() {
  for (const code of [...app.alerts.keys()]) dismiss(code);
}

function showView(name) {
  for (const v of ['landing', 'join', 'call']) show($(`#view-${v}`), v === name);
  document.body.dataset.view = name;
}

function copyButton(button, input) {
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = 'Copied';
    } catch {
      input.select(); // clipboard refused (no permission): leave it selected for Ctrl+C
      button.textContent = 'Press Ctrl+C';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  });
}

// --- landing ---------------------------------------------------------------------------------

function initLanding() {
  $('#create-room').addEventListener('click', async () => {
    clearAlerts();
    try {
      const { link, fragment } = await createRoomLink(location.origin);
      app.link = link;
      app.fragment = fragment;
      $('#invite-new-link').value = link;
      clear($('#invite-new-qr')).append(qrSvg(link));
      show($('#invite-new'));
    } catch (e) {
      alertBox(e instanceof AppError ? e.code : 'INTERNAL');
    }
  });
  copyButton($('#invite-new-copy'), $('#invite-new-link'));
  $('#invite-new-enter').addEventListener('click', () => {
    history.replaceState(null, '', `#${app.fragment}`);
    route();
  });
  $('#paste-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearAlerts();
    const r = readPastedLink($('#paste-link').value);
    if (r === null) {
      alertBox('BAD_LINK');
      return;
    }
    $('#paste-link').value = '';
    if (r.origin !== null && r.origin !== location.origin) {
      location.assign(`${r.origin}/#${r.fragment}`); // the room lives on the gateway of the link
      return;
    }
    history.replaceState(null, '', `#${r.fragment}`);
    route();
  });
}

// --- join ------------------------------------------------------------------------------------

function initJoin() {
  // The limits of spec/peer-messages.md §2, from their one definition (PeerLimits). maxLength
  // counts UTF-16 units, never fewer than the code points the limit counts, so it never lets
  // more through.
  $('#join-name').maxLength = PeerLimits.MAX_NAME_CHARS;
  $('#join-cancel').addEventListener('click', () => {
    history.replaceState(null, '', location.pathname);
    route();
  });
  $('#join-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = $('#join-button');
    button.disabled = true;
    try {
      await join($('#join-name').value.trim().slice(0, PeerLimits.MAX_NAME_CHARS), $('#join-mic').checked, $('#join-cam').checked);
    } finally {
      button.disabled = false;
    }
  });
}

async function localMedia(mic, cam) {
  const video = cam ? (TEST?.video ?? { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { max: 24 } }) : false;
  if (!mic && !video) return new MediaStream();
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: mic ? { echoCancellation: true, noiseSuppression: true } : false, video });
  } catch (e) {
    if (video && mic) {
      // The camera may be what failed: try the microphone alone and say so.
      try {
        const s = await navigator.mediaDevices.getUserMedia({ audio: true });
        alertBox('CAMERA_DENIED');
        return s;
      } catch (e2) {
        e = e2;
      }
    }
    throw new AppError(e?.name === 'NotFoundError' ? 'MIC_MISSING' : 'MIC_DENIED', e?.name);
  }
}

async function join(name, mic, cam) {
  clearAlerts();
  const parsed = parseLinkFragment(app.fragment ?? '');
  if (parsed === null) {
    alertBox('BAD_LINK');
    return;
  }
  let stream;
  try {
    stream = await localMedia(mic, cam);
  } catch (e) {
    parsed.secret.fill(0);
    alertBox(e.code ?? 'MIC_DENIED', { detail: e.detail });
    return;
  }
  const call = new Call({
    origin: location.origin,
    roomSecret: parsed.secret,
    pinnedFingerprint: parsed.fingerprint,
    name: name || 'Guest',
    localStream: stream,
    workerUrl: WORKER_URL,
    // test-hook:begin
    // The browser benchmark compares Opus frame durations (bench/browser --audio-frame-ms); the
    // app itself always asks for AUDIO_FRAME_MS (sdp.js).
    ...(TEST?.audioFrameMs !== undefined ? { audioFrameMs: TEST.audioFrameMs } : {}),
    // Browser test (b) only: the right room id with a wrong psk, i.e. an impostor the gateway
    // let in. Unreachable without the test's init script.
    pskOverrideForTestingOnly: TEST?.wrongPsk ? crypto.getRandomValues(new Uint8Array(32)) : undefined,
    // The browser benchmark's baseline (bench/browser): the same call without SFrame.
    noSFrameForTestingOnly: TEST?.sframe === false,
    // test-hook:end
  });
  parsed.secret.fill(0); // the session derived room id and psk at once and keeps neither secret
  app.call = call;
  wireCall(call, parsed.fingerprint);
  showView('call');
  renderTiles();
  try {
    await call.start();
  } catch (e) {
    const code = e?.code ?? 'GATEWAY_UNREACHABLE';
    call.close();
    app.call = null;
    showView('join');
    alertBox(typeof code === 'string' ? code : 'INTERNAL', { sticky: true });
    return;
  }
  // In the call: the secret leaves the address bar (see the top of this file).
  history.replaceState(null, '', location.pathname);
}

// --- call ------------------------------------------------------------------------------------

function wireCall(call, fingerprint) {
  $('#sec-gateway-fp').textContent = Fingerprint.toDisplay(fingerprint);
  $('#invite-link').value = app.link;
  clear($('#invite-qr')).append(qrSvg(app.link));
  call.addEventListener('status', (e) => renderStatus(e.detail.state));
  call.addEventListener('problem', (e) => {
    const code = e.detail.code;
    const sticky = code === 'UNKNOWN_GATEWAY_KEY' || code === 'GATEWAY_KEY_RETIRED' || code === 'VIEW_MISMATCH'
      || code === 'PEER_HANDSHAKE_FAILED';
    // The retirement date comes from the gateway's (unauthenticated) document; shown as text only.
    const detail = code === 'GATEWAY_KEY_RETIRED' || code === 'TURN_ERROR' ? e.detail.message : undefined;
    alertBox(typeof code === 'number' ? 'INTERNAL' : code, { sticky, detail });
  });
  call.addEventListener('peers', () => {
    renderTiles();
    renderSecurity();
  });
  call.addEventListener('media', () => renderTiles());
  call.addEventListener('chat', (e) => renderChatEntry(e.detail.entry));
  renderStatus('connecting');
}

const STATUS_TEXT = {
  connecting: 'Connecting…',
  handshaking: 'Securing the connection…',
  joined: 'In the call',
  reconnecting: 'Gateway lost: reconnecting (the call goes on)',
  closed: 'Disconnected',
};

function renderStatus(state) {
  const el = $('#status');
  el.textContent = STATUS_TEXT[state] ?? state;
  el.dataset.state = state;
  show(el);
  if (state === 'reconnecting') alertBox('CONNECTION_LOST');
  if (state === 'joined') dismiss('CONNECTION_LOST');
  updateAloneHint();
}

function peerLabel(p) {
  return p.peer.name || `Guest ${p.keyFp.slice(0, 6)}`;
}

/** connecting / connected / failed / verification, from the channel and the media connection. */
function peerStatus(p) {
  if (p.failure !== null) return { key: 'failed', text: 'Secure handshake failed (different link?)' };
  if (p.peer.phase === PeerPhase.GONE) return { key: 'left', text: 'Left' };
  if (p.peer.state === 'handshaking') return { key: 'connecting', text: 'Securing…' };
  const media = p.media?.connectionState ?? 'new';
  if (media === 'failed') return { key: 'failed', text: 'Media connection failed, retrying' };
  if (media !== 'connected') return { key: 'connecting', text: 'Connecting media…' };
  if (p.peer.state !== 'connected') return { key: 'connected', text: 'Connected (signaling reconnecting)' };
  return p.verified ? { key: 'verified', text: 'Connected · verified' } : { key: 'connected', text: 'Connected · not verified' };
}

const tileCache = new Map(); // key -> { el, video }

function videoFor(key, stream, { muted = false, mirror = false } = {}) {
  let t = tileCache.get(key);
  if (t === undefined) {
    const video = h('video', { autoplay: true, playsinline: true, class: mirror ? 'mirror' : null });
    video.muted = muted;
    const label = h('span', { class: 'tile-name' });
    const state = h('span', { class: 'tile-state' });
    const avatar = h('div', { class: 'avatar' });
    const el = h('figure', { class: 'tile no-video', dataset: { key } }, avatar, video, h('figcaption', {}, label, state));
    t = { el, video, label, state, avatar };
    // The avatar shows until the element has a picture: decoded frames, not track flags, decide.
    for (const ev of ['resize', 'loadeddata', 'playing', 'emptied']) video.addEventListener(ev, () => updatePicture(t));
    tileCache.set(key, t);
  }
  if (t.video.srcObject !== stream) {
    t.video.srcObject = stream;
    if (stream) t.video.play().catch(() => {});
  }
  updatePicture(t);
  return t;
}

function updatePicture(t) {
  const stream = t.video.srcObject;
  const live = !!stream && stream.getVideoTracks().some((tr) => tr.readyState === 'live' && tr.enabled);
  t.el.classList.toggle('no-video', !(live && t.video.videoWidth > 0));
}

function renderTiles() {
  const call = app.call;
  const grid = $('#tiles');
  if (!call) {
    clear(grid);
    tileCache.clear();
    return;
  }
  const wanted = [];
  const screens = [];
  const self = videoFor('self', call.localStream, { muted: true, mirror: true });
  self.label.textContent = `${call.name} (you)`;
  self.state.textContent = call.muted ? 'muted' : '';
  self.avatar.textContent = initial(call.name);
  self.el.dataset.state = 'self';
  wanted.push(self);
  if (call.screen) {
    const t = videoFor('self-screen', call.screen.stream, { muted: true });
    t.label.textContent = 'Your screen';
    t.state.textContent = call.screen.quality === 'smooth' ? 'smooth motion' : 'sharp text';
    t.el.classList.add('screen');
    screens.push(t);
  }
  for (const p of call.peers.values()) {
    const camera = p.media?.remoteCamera ?? null;
    const screen = p.media && p.screenStreamId !== null ? p.media.remoteScreen : null;
    const t = videoFor(`peer:${p.keyFp}`, camera);
    const st = peerStatus(p);
    t.label.textContent = peerLabel(p);
    t.state.textContent = st.text;
    t.el.dataset.state = st.key;
    t.el.dataset.fp = p.keyFp;
    t.avatar.textContent = initial(peerLabel(p));
    wanted.push(t);
    if (screen) {
      const s = videoFor(`screen:${p.keyFp}`, screen);
      s.label.textContent = `${peerLabel(p)}’s screen`;
      s.state.textContent = '';
      s.el.classList.add('screen');
      s.el.dataset.fp = p.keyFp;
      screens.push(s);
    }
  }
  wanted.unshift(...screens); // a shared screen leads the grid
  const keep = new Set(wanted.map((t) => t.el.dataset.key));
  for (const [key, t] of tileCache) {
    if (!keep.has(key)) {
      t.video.srcObject = null;
      t.el.remove();
      tileCache.delete(key);
    }
  }
  wanted.forEach((t, i) => {
    if (grid.children[i] !== t.el) grid.insertBefore(t.el, grid.children[i] ?? null);
  });
  grid.dataset.count = String(wanted.length);
  updateAloneHint();
}

function initial(name) {
  return (name.trim()[0] ?? '?').toUpperCase();
}

function updateAloneHint() {
  const call = app.call;
  const alone = call && call.state === 'joined' && call.peers.size === 0;
  document.body.classList.toggle('alone', !!alone);
}

function renderSecurity() {
  const call = app.call;
  const list = clear($('#sec-peers'));
  if (!call) return;
  if (call.peers.size === 0) list.append(h('li', { class: 'muted' }, 'Nobody else is here yet.'));
  for (const p of call.peers.values()) {
    const st = peerStatus(p);
    const sas = p.peer.sas ?? null;
    const verify = h('button', {
      type: 'button',
      class: 'small',
      onclick: () => call.markVerified(p.keyFp, !p.verified),
      disabled: sas === null,
    }, p.verified ? 'Undo' : 'Codes match');
    list.append(h('li', { dataset: { fp: p.keyFp, state: st.key } },
      h('span', { class: 'sec-name' }, peerLabel(p)),
      h('span', { class: 'sas mono', dataset: { sas: sas ?? '' } }, sas ?? '—'),
      h('span', { class: 'sec-state' }, st.text),
      p.viewMismatch ? h('span', { class: 'warn' }, 'sees different members') : null,
      verify));
  }
}

function renderChatEntry(entry) {
  const log = $('#chat-log');
  const when = new Date(entry.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const body = entry.kind === 'code' ? h('pre', { class: 'code' }, h('code', {}, entry.text)) : h('p', {}, entry.text);
  log.append(h('li', { class: entry.from === null ? 'mine' : 'theirs', dataset: { id: entry.id } },
    h('span', { class: 'chat-meta' }, entry.from === null ? 'You' : entry.name || 'Guest', ' · ', when),
    body));
  log.scrollTop = log.scrollHeight;
}

function initCall() {
  $('#chat-text').maxLength = PeerLimits.MAX_CHAT_CHARS;
  $('#btn-mute').addEventListener('click', (e) => {
    const call = app.call;
    if (!call) return;
    call.setMuted(!call.muted);
    e.currentTarget.textContent = call.muted ? 'Unmute' : 'Mute';
    e.currentTarget.setAttribute('aria-pressed', String(call.muted));
    renderTiles();
  });
  $('#btn-camera').addEventListener('click', (e) => {
    const call = app.call;
    if (!call) return;
    const off = e.currentTarget.getAttribute('aria-pressed') !== 'true';
    call.setCameraOff(off);
    e.currentTarget.textContent = off ? 'Camera on' : 'Camera off';
    e.currentTarget.setAttribute('aria-pressed', String(off));
  });
  $('#btn-share').addEventListener('click', async () => {
    const call = app.call;
    if (!call) return;
    dismiss('SCREEN_DENIED');
    try {
      await call.startScreenShare($('#share-quality').value);
    } catch (e) {
      alertBox('SCREEN_DENIED', { detail: e?.name });
    }
    renderShareButtons();
  });
  $('#btn-stop-share').addEventListener('click', async () => {
    await app.call?.stopScreenShare();
    renderShareButtons();
  });
  $('#share-quality').addEventListener('change', async () => {
    // Changing quality while sharing restarts the share with the new constraints.
    if (app.call?.screen) $('#btn-share').click();
  });
  $('#btn-leave').addEventListener('click', async () => {
    const call = app.call;
    app.call = null;
    await call?.leave();
    renderTiles();
    clear($('#chat-log'));
    clearAlerts();
    show($('#status'), false);
    app.fragment = null;
    history.replaceState(null, '', location.pathname);
    route();
  });
  for (const tab of ['chat', 'security', 'invite']) {
    $(`#tab-${tab}`).addEventListener('click', () => {
      for (const t of ['chat', 'security', 'invite']) {
        show($(`#panel-${t}`), t === tab);
        $(`#tab-${t}`).setAttribute('aria-selected', String(t === tab));
      }
    });
  }
  copyButton($('#invite-copy'), $('#invite-link'));
  const text = $('#chat-text');
  text.addEventListener('paste', (e) => {
    const pasted = e.clipboardData?.getData('text/plain') ?? '';
    if (pasted.includes('\n')) $('#chat-code').checked = true; // multi-line paste: a snippet
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !$('#chat-code').checked) {
      e.preventDefault();
      $('#chat-form').requestSubmit();
    }
  });
  $('#chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!app.call) return;
    if (app.call.sendChat(text.value, $('#chat-code').checked ? 'code' : 'text') !== null) {
      text.value = '';
      $('#chat-code').checked = false;
    }
  });
}

function renderShareButtons() {
  const sharing = !!app.call?.screen;
  show($('#btn-share'), !sharing);
  show($('#btn-stop-share'), sharing);
  renderTiles();
}

// --- routing ---------------------------------------------------------------------------------

function route() {
  if (app.call) return; // in a call: the address bar no longer holds the link
  const fragment = location.hash.slice(1);
  if (fragment === '') {
    showView('landing');
    return;
  }
  const parsed = parseLinkFragment(fragment);
  if (parsed === null) {
    showView('landing');
    alertBox('BAD_LINK');
    return;
  }
  parsed.secret.fill(0);
  app.fragment = fragment;
  app.link = `${location.origin}/#${fragment}`;
  $('#join-fp').textContent = Fingerprint.toDisplay(parsed.fingerprint).slice(0, 19) + '…';
  showView('join');
  $('#join-name').focus();
}

// test-hook:begin
function installTestHook() {
  if (!TEST?.hooks) return;
  globalThis.__hybridge = {
    /** Per-peer media stats, SFrame worker stats, SAS, chat, KIDs, problems, timings. */
    async stats() {
      return app.call ? app.call.snapshot() : { state: 'idle', problems: [...app.alerts.keys()].map((code) => ({ code })) };
    },
    alerts: () => [...app.alerts.keys()],
    /** Negotiated SDP per peer (for debugging a test; ICE credentials and DTLS fingerprints, no keys). */
    sdp: () => Object.fromEntries([...(app.call?.peers.values() ?? [])].map((p) => [p.peer.name, {
      local: p.media?.pc.localDescription?.sdp ?? null,
      remote: p.media?.pc.remoteDescription?.sdp ?? null,
      transceivers: p.media?.pc.getTransceivers().map((t) => ({ mid: t.mid, dir: t.direction, cur: t.currentDirection, send: t.sender.track?.kind ?? null, recv: t.receiver.track.kind })) ?? [],
    }])),
    sendChat: (text, kind) => app.call?.sendChat(text, kind) ?? null,
  };
}
// test-hook:end

function boot() {
  // test-hook:begin
  installTestHook();
  // test-hook:end
  try {
    checkSecureContext();
  } catch {
    showView('landing');
    $('#create-room').disabled = true;
    alertBox('INSECURE_CONTEXT', { sticky: true });
    return;
  }
  initLanding();
  initJoin();
  initCall();
  addEventListener('hashchange', route);
  addEventListener('pagehide', () => app.call?.leave());
  route();
}

boot();

// @ts-check
// The call as the page shows it: the status line, the video tiles (own camera and screen, each
// peer's camera and screen), the security panel (SAS per peer, verification, view warnings),
// the chat log and the share buttons. Every name and chat text goes in through textContent.

import { PeerPhase } from '../signal/peerState.js';
import { dismiss } from './alerts.js';
import { $, clear, h, show } from './dom.js';
import { describeRefusal } from './refusals.js';
import { splitLinks } from './chatLinks.js';

/**
 * @typedef {import('./call.js').Call} Call
 * @typedef {import('./callTypes.js').CallPeer} CallPeer
 * @typedef {{el: HTMLElement, video: HTMLVideoElement, label: HTMLElement, state: HTMLElement, avatar: HTMLElement}} Tile
 */

const STATUS_TEXT = {
  connecting: 'Connecting…',
  handshaking: 'Securing the connection…',
  joined: 'In the call',
  reconnecting: 'Gateway lost: reconnecting (the call goes on)',
  closed: 'Disconnected',
};

/**
 * Codes that only describe a lost gateway connection and its reconnection. While reconnecting,
 * the status line says it (one calm line, not a stack of alerts); they are never shown as alerts
 * then, and any shown before go once the call is joined again.
 */
export const RECONNECTING_CODES = new Set([
  'CONNECTION_LOST',
  'GATEWAY_UNREACHABLE',
  'SHUTTING_DOWN',
  'HANDSHAKE_TIMEOUT',
]);

/** @param {Call | null} call @param {string} state */
export function renderStatus(call, state) {
  const el = $('#status');
  // Without the gateway, peers whose channel runs on a data channel still hear us (spec/data-channel.md).
  const p2p = state === 'reconnecting' && call?.session.peerToPeer === true;
  el.textContent = p2p
    ? 'Gateway unreachable, call continues peer to peer'
    : (STATUS_TEXT[/** @type {keyof typeof STATUS_TEXT} */ (state)] ?? state);
  el.dataset.state = p2p ? 'peer-to-peer' : state;
  show(el);
  if (state === 'joined') for (const code of RECONNECTING_CODES) dismiss(code);
  updateAloneHint(call);
}

/** @param {CallPeer} p */
function peerLabel(p) {
  return p.peer.name || `Guest ${p.keyFp.slice(0, 6)}`;
}

/** connecting / connected / failed / verification, from the channel and the media connection. @param {CallPeer} p */
function peerStatus(p) {
  if (p.failure !== null)
    return { key: 'failed', text: 'Secure handshake failed (different link?)' };
  if (p.peer.phase === PeerPhase.GONE) return { key: 'left', text: 'Left' };
  if (p.peer.state === 'handshaking') return { key: 'connecting', text: 'Securing…' };
  const media = p.media?.connectionState ?? 'new';
  const refusal = p.media?.refusal ?? null;
  if (refusal !== null && media !== 'connected')
    return { key: 'failed', text: describeRefusal(refusal) };
  if (media === 'failed') return { key: 'failed', text: 'Media connection failed, retrying' };
  if (media !== 'connected') return { key: 'connecting', text: 'Connecting media…' };
  if (p.peer.state !== 'connected')
    return { key: 'connected', text: 'Connected (signaling reconnecting)' };
  // Verification lives in the Security tab; a tile only says it once it is done.
  return p.verified
    ? { key: 'verified', text: 'Connected · verified' }
    : { key: 'connected', text: 'Connected' };
}

/** A tile's caption, and the same words as its video's accessible name. @param {Tile} t @param {string} text */
function caption(t, text) {
  t.label.textContent = text;
  t.video.setAttribute('aria-label', `Video of ${text}`);
}

/** @type {Map<string, Tile>} tile key -> its elements */
const tileCache = new Map();

/** @param {string} key @param {MediaStream | null} stream @param {{muted?: boolean, mirror?: boolean}} [options] @returns {Tile} */
function videoFor(key, stream, { muted = false, mirror = false } = {}) {
  let t = tileCache.get(key);
  if (t === undefined) {
    const video = /** @type {HTMLVideoElement} */ (
      h('video', { autoplay: true, playsinline: true, class: mirror ? 'mirror' : null })
    );
    video.muted = muted;
    const label = h('span', { class: 'tile-name' });
    const state = h('span', { class: 'tile-state' });
    const avatar = h('div', { class: 'avatar' });
    const el = h(
      'figure',
      { class: 'tile no-video', dataset: { key } },
      avatar,
      video,
      h('figcaption', {}, label, state),
    );
    const tile = { el, video, label, state, avatar };
    // The avatar shows until the element has a picture: decoded frames, not track flags, decide.
    for (const ev of ['resize', 'loadeddata', 'playing', 'emptied'])
      video.addEventListener(ev, () => updatePicture(tile));
    tileCache.set(key, tile);
    t = tile;
  }
  if (t.video.srcObject !== stream) {
    t.video.srcObject = stream;
    if (stream) t.video.play().catch(() => {});
  }
  updatePicture(t);
  return t;
}

/** @param {Tile} t */
function updatePicture(t) {
  const stream = /** @type {MediaStream | null} */ (t.video.srcObject);
  const live =
    !!stream &&
    stream
      .getVideoTracks()
      .some((/** @type {MediaStreamTrack} */ tr) => tr.readyState === 'live' && tr.enabled);
  t.el.classList.toggle('no-video', !(live && t.video.videoWidth > 0));
}

/** @param {Call | null} call */
export function renderTiles(call) {
  const grid = $('#tiles');
  if (!call) {
    clear(grid);
    tileCache.clear();
    return;
  }
  const wanted = [];
  const screens = [];
  const self = videoFor('self', call.localStream, { muted: true, mirror: true });
  caption(self, `${call.name} (you)`);
  self.state.textContent = call.muted ? 'muted' : '';
  self.avatar.textContent = initial(call.name);
  self.el.dataset.state = 'self';
  wanted.push(self);
  if (call.screen) {
    const t = videoFor('self-screen', call.screen.stream, { muted: true });
    caption(t, 'Your screen');
    t.state.textContent =
      (call.screen.quality === 'smooth' ? 'smooth motion' : 'sharp text') +
      (call.screen.stream.getAudioTracks().length === 0 ? ' · no sound' : '');
    t.el.classList.add('screen');
    screens.push(t);
  }
  for (const p of call.peers.values()) {
    const camera = p.media?.remoteCamera ?? null;
    const screen = p.media && p.screenStreamId !== null ? p.media.remoteScreen : null;
    const t = videoFor(`peer:${p.keyFp}`, camera);
    const st = peerStatus(p);
    caption(t, peerLabel(p));
    t.state.textContent = st.text;
    t.el.dataset.state = st.key;
    t.el.dataset.fp = p.keyFp;
    t.avatar.textContent = initial(peerLabel(p));
    wanted.push(t);
    if (screen) {
      const s = videoFor(`screen:${p.keyFp}`, screen);
      caption(s, `${peerLabel(p)}’s screen`);
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
  updateAloneHint(call);
}

/** @param {string} name */
function initial(name) {
  return (name.trim()[0] ?? '?').toUpperCase();
}

/** @param {Call | null} call */
function updateAloneHint(call) {
  const alone = call && call.state === 'joined' && call.peers.size === 0;
  document.body.classList.toggle('alone', !!alone);
  show($('#alone-hint'), !!alone);
}

/** @param {Call | null} call */
export function renderSecurity(call) {
  const list = clear($('#sec-peers'));
  if (!call) return;
  if (call.peers.size === 0) list.append(h('li', { class: 'muted' }, 'Nobody else is here yet.'));
  for (const p of call.peers.values()) {
    const st = peerStatus(p);
    const sas = p.peer.sas ?? null;
    const verify = h(
      'button',
      {
        type: 'button',
        class: 'small',
        onclick: () => call.markVerified(p.keyFp, !p.verified),
        disabled: sas === null,
      },
      p.verified ? 'Undo' : 'Codes match',
    );
    list.append(
      h(
        'li',
        { dataset: { fp: p.keyFp, state: st.key } },
        h('span', { class: 'sec-name' }, peerLabel(p)),
        h('span', { class: 'sas mono', dataset: { sas: sas ?? '' } }, sas ?? '—'),
        h('span', { class: 'sec-state' }, st.text),
        p.viewMismatch ? h('span', { class: 'warn' }, 'sees different members') : null,
        verify,
      ),
    );
  }
}

/**
 * A chat entry, or new delivery states of one of ours (it is then redrawn in place).
 * @param {import('./chat.js').ChatEntry} entry @param {Call | null} call
 */
export function renderChatEntry(entry, call) {
  const log = $('#chat-log');
  const when = new Date(entry.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const body =
    entry.kind === 'code'
      ? h('pre', { class: 'code' }, h('code', {}, entry.text))
      : h(
          'p',
          {},
          splitLinks(entry.text).map((part) =>
            'url' in part
              ? h(
                  'a',
                  {
                    href: part.url,
                    target: '_blank',
                    rel: 'noopener noreferrer nofollow',
                    referrerpolicy: 'no-referrer',
                  },
                  part.shown,
                )
              : part.text,
          ),
        );
  const li = h(
    'li',
    { class: entry.from === null ? 'mine' : 'theirs', dataset: { id: entry.id } },
    h(
      'span',
      { class: 'chat-meta' },
      entry.from === null ? 'You' : entry.name || 'Guest',
      ' · ',
      when,
    ),
    body,
    entry.from === null ? deliveryLine(entry, call) : null,
  );
  const old = entry.from === null ? log.querySelector(`li.mine[data-id="${entry.id}"]`) : null;
  if (old !== null) {
    old.replaceWith(li);
    return;
  }
  log.append(li);
  log.scrollTop = log.scrollHeight;
}

/** Where our message is: sending, delivered, or not delivered to someone (with a retry). @param {import('./chat.js').ChatEntry} entry @param {Call | null} call */
function deliveryLine(entry, call) {
  const to = Object.entries(entry.to ?? {});
  const failed = to.filter(([, s]) => s === 'failed').map(([fp]) => fp);
  const nameOf = (/** @type {string} */ fp) => {
    const p = call?.peers.get(fp);
    return p ? peerLabel(p) : `Guest ${fp.slice(0, 6)}`;
  };
  if (failed.length > 0) {
    const retry = h('button', { class: 'chat-retry', type: 'button' }, 'Retry');
    retry.addEventListener('click', () => call?.retryChat(entry.id));
    return h(
      'span',
      { class: 'chat-status warn', dataset: { status: 'failed' } },
      `Not delivered to ${failed.map(nameOf).join(', ')} `,
      retry,
    );
  }
  if (to.length === 0)
    return h('span', { class: 'chat-status', dataset: { status: 'alone' } }, 'Nobody else here');
  const pending = to.some(([, s]) => s === 'pending');
  return h(
    'span',
    { class: 'chat-status', dataset: { status: pending ? 'pending' : 'delivered' } },
    pending ? 'Sending…' : 'Delivered',
  );
}

/** @param {Call | null} call */
export function renderShareButtons(call) {
  const sharing = !!call?.screen;
  show($('#btn-share'), !sharing);
  show($('#btn-stop-share'), sharing);
  renderTiles(call);
}

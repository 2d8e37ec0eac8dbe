// @ts-check
// The call as the page shows it: the status line, the video tiles (own camera and screen, each
// peer's camera and screen; tile.js makes one, layout.js places them, a pinned one large), the security panel (SAS per peer, verification, view warnings),
// the chat log and the share buttons. Every name and chat text goes in through textContent.

import { applySpeaker } from './devices.js';
import { shownMedia } from './shownMedia.js';
import { PeerPhase } from '../signal/peerState.js';
import { dismiss } from './alerts.js';
import { $, clear, h, show } from './dom.js';
import { describeRefusal } from './refusals.js';
import { splitLinks } from './chatLinks.js';
import { applyLayout } from './layout.js';
import { presenceOf } from './mediaPresence.js';
import { describeHealth, healthOf } from './mediaHealth.js';
import {
  createTile,
  initials,
  markHealth,
  markPinned,
  markTile,
  nameTile,
  updatePicture,
} from './tile.js';

/**
 * @typedef {import('./call.js').Call} Call
 * @typedef {import('./callTypes.js').CallPeer} CallPeer
 * @typedef {import('./tile.js').Tile} Tile
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

/** connecting / connected / failed / verification, from the channel and the media connection. @param {CallPeer} p @param {'mesh' | 'sfu'} mode */
function peerStatus(p, mode) {
  if (p.failure !== null)
    return { key: 'failed', text: 'Secure handshake failed (different link?)' };
  if (p.peer.phase === PeerPhase.GONE) return { key: 'left', text: 'Left' };
  if (p.peer.state === 'handshaking') return { key: 'connecting', text: 'Securing…' };
  const shown = shownMedia(p, mode);
  const media = shown?.connectionState ?? 'new';
  const refusal = shown?.refusal ?? null;
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

/** @type {Map<string, Tile>} tile key -> its elements */
const tileCache = new Map();
/** The key of the tile someone pinned (it is the large one), or null. */
let pinned = /** @type {string | null} */ (null);
/** @type {Call | null} the call the tiles show (for re-layouts the tiles ask for themselves) */
let shown = null;

/** Pins the tile `key`, or unpins it if it was pinned. @param {string} key */
function togglePin(key) {
  pinned = pinned === key ? null : key;
  renderTiles(shown);
}

/** @param {string} key @param {MediaStream | null} stream @param {{muted?: boolean, mirror?: boolean}} [options] @returns {Tile} */
function videoFor(key, stream, { muted = false, mirror = false } = {}) {
  let t = tileCache.get(key);
  if (t === undefined) {
    t = createTile(key, { muted, mirror, onPin: togglePin, onChange: () => relayout() });
    tileCache.set(key, t);
    // Remote sound to the chosen speaker (devices.js); a refusal is said when it is chosen.
    if (!muted) applySpeaker(t.video).catch(() => {});
  }
  if (t.video.srcObject !== stream) {
    t.video.srcObject = stream;
    if (stream) t.video.play().catch(() => {});
  }
  updatePicture(t);
  return t;
}

/** @type {Tile[]} the tiles in their order, for relayout() */
let order = [];
let frame = 0;

/** Lays the tiles out again at the next frame (a resize, a video's new size). */
function relayout() {
  if (frame !== 0) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    const main =
      order.find((t) => t.el.dataset.key === pinned) ??
      order.find((t) => t.el.classList.contains('screen'));
    applyLayout(
      $('#tiles'),
      order.map((t) => ({
        el: t.el,
        video: t.video,
        noVideo: t.el.classList.contains('no-video'),
      })),
      main?.el ?? null,
    );
  });
}

/** @param {Call | null} call */
export function renderTiles(call) {
  const grid = $('#tiles');
  shown = call;
  if (!call) {
    clear(grid);
    tileCache.clear();
    order = [];
    pinned = null;
    return;
  }
  const presence = presenceOf(call);
  const wanted = [];
  const screens = [];
  const self = videoFor('self', call.localStream, { muted: true, mirror: true });
  nameTile(self, `${call.name} (you)`);
  self.state.textContent = '';
  self.avatar.textContent = initials(call.name);
  self.el.dataset.state = 'self';
  markTile(self, presence?.local() ?? null, presence?.speaking('self') ?? false);
  wanted.push(self);
  if (call.screen) {
    const t = videoFor('self-screen', call.screen.stream, { muted: true });
    nameTile(t, 'Your screen');
    t.state.textContent =
      (call.screen.quality === 'smooth' ? 'smooth motion' : 'sharp text') +
      (call.screen.stream.getAudioTracks().length === 0 ? ' · no sound' : '');
    t.el.classList.add('screen');
    screens.push(t);
  }
  for (const p of call.peers.values()) {
    const shown = shownMedia(p, call.sfu.mode);
    const camera = shown?.remoteCamera ?? null;
    const screen = shown && p.screenStreamId !== null ? shown.remoteScreen : null;
    const t = videoFor(`peer:${p.keyFp}`, camera);
    const st = peerStatus(p, call.sfu.mode);
    nameTile(t, peerLabel(p));
    t.state.textContent = st.text;
    t.el.dataset.state = st.key;
    t.el.dataset.fp = p.keyFp;
    t.avatar.textContent = initials(peerLabel(p));
    markTile(t, presence?.of(p.keyFp) ?? null, presence?.speaking(p.keyFp) ?? false);
    markHealth(t, peerLabel(p), healthOf(call)?.of(p.keyFp) ?? null, describeHealth);
    wanted.push(t);
    if (screen) {
      const s = videoFor(`screen:${p.keyFp}`, screen);
      nameTile(s, `${peerLabel(p)}’s screen`);
      s.state.textContent = '';
      s.el.classList.add('screen');
      s.el.dataset.fp = p.keyFp;
      screens.push(s);
    }
  }
  wanted.unshift(...screens); // a shared screen leads (and is the large tile unless one is pinned)
  const keep = new Set(wanted.map((t) => t.el.dataset.key));
  if (pinned !== null && !keep.has(pinned)) pinned = null; // its person or screen went
  for (const [key, t] of tileCache) {
    if (!keep.has(key)) {
      t.video.srcObject = null;
      t.el.remove();
      tileCache.delete(key);
    }
  }
  wanted.forEach((t, i) => {
    markPinned(t, t.el.dataset.key === pinned);
    if (grid.children[i] !== t.el) grid.insertBefore(t.el, grid.children[i] ?? null);
  });
  grid.dataset.count = String(wanted.length);
  order = wanted;
  relayout();
  updateAloneHint(call);
  tileDecorator?.(call);
}

/** @type {((call: Call) => void) | null} what another view adds to the tiles after each render */
let tileDecorator = null;

/**
 * Sets what runs after every render of the tiles (the room control's marks and "waiting to be
 * let in", app/roomView.js), so that a render for another reason never drops them.
 * @param {(call: Call) => void} fn
 */
export function setTileDecorator(fn) {
  tileDecorator = fn;
}

/** The layout follows the space the tiles have (window, side panel, phone rotation). */
export function initTileLayout() {
  new ResizeObserver(() => relayout()).observe($('#tiles'));
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
    const st = peerStatus(p, call.sfu.mode);
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

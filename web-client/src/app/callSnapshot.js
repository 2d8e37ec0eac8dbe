// @ts-check
// A Call as plain data for the test hook (window.__hybridge.stats(): the browser tests and the
// benchmark): per-peer state, SAS and media counters, SFrame worker counters, KIDs, chat,
// problems, timings. No key material. Test-only: main.js imports it inside a test-hook region,
// so the served bundle does not carry it.

import { presenceOf } from './mediaPresence.js';
import { shownMedia } from './shownMedia.js';

/** @typedef {import('./call.js').Call} Call */

/**
 * Everything the browser tests and the benchmark look at (no key material).
 * @param {Call} call
 */
export async function callSnapshot(call) {
  /** @type {Record<string, object>} */
  const peers = {};
  for (const [fp, p] of call.peers) {
    peers[fp] = {
      name: p.peer.name ?? null,
      id: p.peer.id ?? null,
      state: p.peer.state,
      role: p.peer.role,
      sas: p.peer.sas ?? null,
      failure: p.failure,
      viewMismatch: p.viewMismatch,
      screenStreamId: p.screenStreamId,
      media:
        (await shownMedia(p, call.sfu.mode)
          ?.statsSummary()
          .catch(() => null)) ?? null,
      via:
        p.media !== null && shownMedia(p, call.sfu.mode) === p.media
          ? 'mesh'
          : p.feed !== null
            ? 'sfu'
            : null,
      restarts: p.media?.restarts ?? 0,
      paths: call.session.pathsOf(fp),
      dataChannel: p.media?.dataChannel?.readyState ?? null,
      /** @type {string[]} the slots our pairwise connection to it sends on (none in SFU mode) */
      meshSending: p.media
        ? /** @type {const} */ (['mic', 'camera', 'screen', 'screenAudio']).filter(
            (slot) => p.media?.slots[slot].sender.track != null,
          )
        : [],
    };
  }
  return {
    state: call.state,
    peerToPeer: call.session.peerToPeer,
    signal: { ...call.session.stats },
    selfId: call.session.selfId ?? null,
    keyFp: call.session.selfKeyFp ?? null,
    name: call.name,
    transformApi: call.sframe.api,
    peers,
    sframe: await call.sframe.stats().catch(() => null),
    kids: call.kids.slice(),
    sfu: {
      mode: call.sfu.mode,
      threshold: call.sfu.threshold,
      history: call.sfu.history.map((h) => ({ ...h })),
      publish: (await call.sfu.media?.publishStats().catch(() => null)) ?? null,
      counters: call.sfu.media ? { ...call.sfu.media.counters } : null,
      failures: call.sfu.failures.slice(),
    },
    chat: call.chat.entries.map((c) => ({ ...c })),
    screen: call.screen ? { id: call.screen.stream.id, quality: call.screen.quality } : null,
    problems: call.problems.slice(),
    timings: call.timings.toJSON(),
    presence: presenceOf(call)?.cost ?? null,
  };
}

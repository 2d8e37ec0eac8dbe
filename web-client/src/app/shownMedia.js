// @ts-check
// Which of a peer's two media paths the UI reads (spec/sfu.md §6).

/**
 * @typedef {import('./callTypes.js').CallPeer} CallPeer
 * @typedef {import('./mediaConnection.js').MediaConnection} MediaConnection
 */

/**
 * What a peer's tile shows: in SFU mode its feed through the SFU once something of it has
 * decoded, the pairwise connection until then; in mesh mode its pairwise connection, or
 * the feed while that connection is not connected (the two overlap during a switch, sfuSwitch.js).
 * @param {CallPeer} p @param {'mesh' | 'sfu'} mode
 * @returns {MediaConnection | import('./callTypes.js').FeedView | null}
 */
export function shownMedia(p, mode) {
  const mesh = p.media !== null && !p.media.closed ? p.media : null;
  if (mode === 'sfu') {
    return p.feed !== null && (p.feed.decoding || mesh === null) ? p.feed : (mesh ?? p.feed);
  }
  if (mesh !== null && (p.feed === null || mesh.connectionState === 'connected')) return mesh;
  return p.feed ?? mesh;
}

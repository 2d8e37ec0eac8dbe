// @ts-check
// The RoomHost (roomControl.js) of a Call: what the Call's public API gives, plus what only the
// Call can do (send into a channel, its members, run a peer's peer-up steps).

/** @typedef {import('./roomControl.js').RoomHost} RoomHost */

/**
 * @param {import('./call.js').Call} call
 * @param {{send: RoomHost['send'], members: RoomHost['members'], attach: (peer: import('../signal/peerState.js').Peer) => void}} own
 * @returns {RoomHost}
 */
export function roomHost(call, own) {
  return {
    send: own.send,
    members: own.members,
    nameOf: (fp) => call.session.peers.get(fp)?.name || `Guest ${fp.slice(0, 6)}`,
    selfFp: () => call.session.selfKeyFp ?? '',
    pin: () => call.session.gatewayFingerprint,
    mute: () => call.setMuted(true),
    detach: (fp) => {
      // A member holds us: no media with it until it lets us in.
      const st = call.peers.get(fp);
      st?.media?.close();
      if (st) st.media = null;
      call.sframe.removePeer(fp);
      call.dispatchEvent(new CustomEvent('peers', { detail: {} }));
    },
    attach: (fp) => {
      const peer = call.session.peers.get(fp);
      if (peer?.channelOpen) own.attach(peer);
    },
  };
}

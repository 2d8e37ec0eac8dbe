// @ts-check
// The events of a CallSession (session.js), as types: each event name with the detail its
// CustomEvent carries. Nothing here runs; the file only names the shapes (JSDoc for tsc).
//
// A listener reads `e.detail`; every detail is plain data without secrets (codes, readable
// messages, public ids and fingerprints, the Peer object the session keeps up to date).

export {};

/**
 * @typedef {import('./peerState.js').Peer} Peer
 * @typedef {import('./peerMessages.js').PeerMessage} PeerMessage
 * @typedef {import('./roomView.js').ViewMember} ViewMember
 * @typedef {{code: string, message: string}} ErrorDetail
 *
 * @typedef {object} SessionEvents every event of a CallSession and its detail
 * @property {{state: string, error?: ErrorDetail}} state the session state changed ('connecting', ..., 'closed')
 * @property {ErrorDetail & {fatal: boolean}} error fatal: the session is closed; else it reconnects
 * @property {ErrorDetail & {peerId: string | null, peer?: Peer}} warning a room ERROR that ends nothing, or a second seat that failed
 * @property {{peer: Peer}} peer-state a Peer's fields changed
 * @property {{peer: Peer}} peer-up the peer's channel is up and it said hello (or was quiet too long): keys and media
 * @property {PeerDown} peer-down a peer that was up is not any more
 * @property {{peer: Peer, code: string, message: string}} peer-failed its handshake or channel failed
 * @property {{peer: Peer, msg: PeerMessage}} peer-message a peer message, checked (spec/peer-messages.md §2)
 * @property {{peer: Peer, reason: string}} message-dropped a received message broke a rule and was dropped
 * @property {{peer: Peer, mine: ViewMember[], theirs: ViewMember[], onlyMine: ViewMember[], onlyTheirs: ViewMember[]}} view-mismatch
 *   the gateway shows this peer other members than us, for longer than the stability window (spec/peer-messages.md §4)
 * @property {{count: number}} members the room view changed (JOINED, PEER_JOINED, PEER_LEFT); count includes us
 * @property {{handle: number, txn: string, json: Uint8Array}} sfu-event an SFU_EVENT (spec/sfu.md §2.2); txn hex
 * @property {{code: string, txn: string | null}} sfu-error an ERROR with an SFU code (119-123) or NOT_IN_ROOM for an SFU request; txn hex of the request, or null
 */

/**
 * Why a peer is down: one detail per reason (a discriminated union on `reason`).
 * @typedef {{peer: Peer, reason: 'reconnecting'}
 *   | {peer: Peer, reason: 'bye'}
 *   | {peer: Peer, reason: 'left', local?: true}
 *   | {peer: Peer, reason: 'failed', code?: string, local?: true}} PeerDown
 */

/**
 * Counters for tests and diagnostics (no content).
 * @typedef {object} SessionStats
 * @property {number} droppedMessages received peer messages that broke a rule
 * @property {number} ignoredMessages received peer messages of a type this client does not know
 * @property {number} ignoredEnvelopes envelopes from a stale or failed id, and UNKNOWN_PEER answers
 * @property {number} ignoredFrames data-channel frames of no current peer channel (spec/data-channel.md §2)
 * @property {number} reconnects connections lost while joined
 * @property {number} seatsTakenOver second seats of a known key that replaced its channel
 * @property {number} seatsRefused second seats of a known key whose handshake failed
 */

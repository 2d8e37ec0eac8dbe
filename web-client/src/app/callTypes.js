// @ts-check
// The types of a Call (call.js), as JSDoc only (nothing here runs): its options, its events and
// their details (a discriminated union by event name, listened to with Call.on()), and what it
// keeps per peer besides the session's Peer.

export {};

/**
 * @typedef {import('../signal/peerState.js').Peer} Peer
 * @typedef {object} CallOptions
 * @property {string} origin
 * @property {Uint8Array} roomSecret
 * @property {Uint8Array} pinnedFingerprint
 * @property {string} name
 * @property {MediaStream} localStream
 * @property {string} workerUrl
 * @property {number} [audioFrameMs]
 * @property {number} [deliveryTimeoutMs] outbox.js DELIVERY_TIMEOUT_MS unless a test shortens it
 * @property {number} [fileMaxBytes] the largest file sent or accepted (fileTransfer.js DEFAULT_FILE_MAX_BYTES)
 * @property {boolean} [dataChannel] false: peer records only through the gateway (tests of the fallback)
 * @property {Uint8Array} [pskOverrideForTestingOnly] browser test (b) only (not in the served bundle)
 * @property {boolean} [noSFrameForTestingOnly] the benchmark's baseline only (not in the served bundle)
 * @property {number} [reconnectDelayMsForTestingOnly] every reconnection waits about this long (not in the served bundle)
 *
 * @typedef {object} CallEvents every event of a Call and its detail (call.js says when each fires)
 * @property {{state: string, error?: {code: string, message: string}}} status
 * @property {{}} peers
 * @property {{keyFp: string | null}} media
 * @property {{entry: import('./chat.js').ChatEntry}} chat
 * @property {{code: string, keyFp?: string, message?: string}} problem
 * @property {{code: string}} cleared what the problem of that code said is over (the UI takes its alert down)
 * @property {{kid: bigint}} rekey
 * @property {{item: import('./fileTransfer.js').FileItem}} file
 *
 * @typedef {object} CallPeer what the call keeps per peer key fingerprint, besides the session's Peer
 * @property {string} keyFp
 * @property {Peer} peer
 * @property {import('./mediaConnection.js').MediaConnection | null} media
 * @property {string | null} screenStreamId the peer's screen stream while it shares (its `tracks` message)
 * @property {string | null} failure the code of its last handshake failure, until it is up again
 * @property {boolean} viewMismatch
 * @property {boolean} verified the SAS was compared (reset when a new channel brings a new SAS)
 * @property {ReturnType<typeof setTimeout> | null} dropTimer LEFT_GRACE_MS after a 'left'
 * @property {string | null} lastSas
 * @property {FeedView | null} feed its media through the SFU (spec/sfu.md §5), while we receive it there
 *
 * @typedef {object} FeedView a member's media as received through the SFU, read like a MediaConnection's
 * @property {MediaStream} remoteCamera
 * @property {MediaStream} remoteScreen its screen slots (video, sound), empty while it shares none
 * @property {string} connectionState the subscriber connection's
 * @property {boolean} decoding a frame or sample of it has decoded through the SFU
 * @property {null} refusal
 * @property {() => Promise<object>} statsSummary
 */

// @ts-check
// The messages between the page (app/sframeMedia.js) and the SFrame worker (sframe-worker.js), as
// types only (nothing here runs): what the page asks (WorkerRequest, by `type`), the stream pair
// of the legacy transform path (WorkerTransform), and what the worker posts back (WorkerReply, by
// `type`). Keys travel as transferred bytes and are wiped by the worker once imported; no reply
// carries key material (spec/media-sframe.md §4, §7.3).

export {};

/**
 * @typedef {bigint | number | string} KidInput a KID as toU64 accepts it
 *
 * @typedef {{type: 'setSendKey', kid: KidInput, key: Uint8Array | ArrayBuffer, requestId?: number}
 *   | {type: 'addReceiveKey', peerId: string, kid: KidInput, key: Uint8Array | ArrayBuffer, requestId?: number}
 *   | {type: 'removeReceiveKey', peerId: string, kid: KidInput, requestId?: number}
 *   | {type: 'removePeer', peerId: string, requestId?: number}
 *   | {type: 'bindSlot', slot: string, peerId: string | null, requestId?: number}
 *   | {type: 'keyFrame', rids?: string[], requestId?: number}
 *   | {type: 'stats', requestId?: number}} WorkerRequest
 *
 * @typedef {{type: 'transform', role: 'send' | 'receive', peerId?: string, slot?: string, readable: ReadableStream,
 *            writable: WritableStream, layout?: 'vp8', options?: {role?: 'send' | 'receive', peerId?: string}}} WorkerTransform
 *   Chromium's createEncodedStreams path: the stream pair of one sender or receiver
 *
 * @typedef {{type: 'ack', requestId: number, op: WorkerRequest['type']}
 *   | {type: 'error', requestId: number, op: WorkerRequest['type'], code: number, name: string}
 *   | ({type: 'stats', requestId: number} & WorkerStats)
 *   | {type: 'rekeyNeeded', reason: 'counter' | 'exhausted'}} WorkerReply
 *
 * @typedef {object} WorkerStats counters only (no key material)
 * @property {number} cipherSuite
 * @property {{kid: string | null, counter: number | null, frames: number, droppedNoKey: number, failures: number,
 *             keyFramesAsked: number, keyFramesRefused: Record<string, number>, byKid: Record<string, number>}} send
 * @property {Record<string, object>} receive per peer: current KID, keys held, frames, drops by reason, per-KID counters
 * @property {{send: number, receive: number}} transforms running transforms
 * @property {number} writeFailures frames the browser's sink refused
 * @property {number} unboundFrames frames of a receive slot bound to no peer (dropped)
 */

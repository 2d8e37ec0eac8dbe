// The browser client's signaling layer: one import for the app.
export { CallSession, Peer, SessionState } from './session.js';
export { LOCAL_CODES, SignalError, describeError } from './errors.js';
export { PeerLimits, newChatId } from './peerMessages.js';
export { MembershipCheck, VIEW_STABLE_MS } from './membership.js';
export { GatewayConnection, checkWellKnown, fetchGatewayKey, webSocketUrl } from './gatewayConnection.js';

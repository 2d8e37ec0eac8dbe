// @ts-check
// The Hybridge protocol core for the browser client: one import for the app.
export { Labels } from './labels.js';
export { CLOSE_CODE_BASE, ErrorCode, ProtocolError, errorName } from './errors.js';
export { Fingerprint } from './fingerprint.js';
export { XWingKeyPair } from './xwingKeyPair.js';
export { HopClient, AwaitingServerHello, pinnedGatewayKey } from './hopClient.js';
export { HopServer, AwaitingClientFinished } from './hopServer.js';
export {
  PeerContext,
  PeerSession,
  PeerInitiator,
  PeerResponder,
  AwaitingAccept,
  AwaitingFinish,
} from './peer.js';
export { Channel, RecordFormat, RecordOpener, RecordSealer } from './record.js';
export { RoomSecret, formatLinkFragment, parseLinkFragment } from './room.js';
export { Sas } from './sas.js';

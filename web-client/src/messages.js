// @ts-check
// Every text a person reads about a failure, in one table: the app's alerts (a title and what to
// do about it) and the signaling layer's error and event messages (SignalError.message,
// peer.error.message: describe() below). Keys are the app's own codes (MIC_DENIED, BAD_LINK, ...),
// the signaling layer's LOCAL_CODES and the protocol's error names (spec/errors.md) that can
// reach a person. No entry carries a key, secret, peer input or plaintext (spec/errors.md
// "Rules"): only what the code means and what to do.

/** @typedef {{title: string, text: string}} Message */

/** @type {Readonly<Record<string, Message>>} */
export const Messages = Object.freeze({
  INSECURE_CONTEXT: {
    title: 'This page needs a secure connection',
    text: 'The browser only offers the cryptography Hybridge needs in a secure context: HTTPS pages (or http://localhost while testing). Open the gateway over HTTPS.',
  },
  NO_SFRAME: {
    title: 'This browser cannot encrypt the call',
    text: 'Hybridge encrypts every audio and video frame end to end (SFrame), which needs encoded transforms (RTCRtpScriptTransform): Chromium, Chrome or Edge 141+, Firefox 117+. This browser has none, so it cannot join: the call would not be end-to-end encrypted. Open the link in one of those browsers.',
  },
  SCREEN_NO_AUDIO: {
    title: 'Your screen is shared without sound',
    text: 'Firefox shares no system or tab audio with a screen: the others see it and hear only your microphone. Chromium-based browsers can share a tab with its sound.',
  },
  BAD_LINK: {
    title: 'This is not a Hybridge room link',
    text: 'A room link ends in # followed by two 43-character codes joined by a dot. Ask for the link again, or paste it whole.',
  },
  GATEWAY_UNREACHABLE: {
    title: 'Cannot reach the gateway',
    text: 'The gateway cannot be reached. Check your network; if you are in a call, it keeps running and the app reconnects by itself.',
  },
  GATEWAY_INCOMPATIBLE: {
    title: 'This gateway does not speak this client’s protocol',
    text: 'Its key document is invalid or names another protocol version.',
  },
  GATEWAY_BAD_DOCUMENT: {
    title: 'This server does not look like a Hybridge gateway',
    text: 'Its key document is missing or inconsistent, so no room can be pinned to it.',
  },
  SFU_UNAVAILABLE: {
    title: 'The media server is not reachable',
    text: 'This room is larger than a direct call, so its audio and video go through the media server beside the gateway (still end-to-end encrypted: it forwards what it cannot read). It does not answer now; Hybridge keeps trying. Chat goes on meanwhile.',
  },
  SFU_REFUSED: {
    title: "Your browser refused the media server's connection",
    text: 'The browser would not accept the description of the connection to the media server. Hybridge tries again; if this stays, reload the page.',
  },
  TURN_ERROR: {
    title: 'Relay server problem',
    text: 'A connection may fail where a direct path is blocked.',
  },
  GATEWAY_KEY_RETIRED: {
    title: 'This link is out of date',
    text: "It uses the gateway's previous key, which its operator retired (date below, if the gateway gave one). Nothing was sent. Ask the person who invited you for a new link.",
  },
  UNKNOWN_GATEWAY_KEY: {
    title: 'Stopped: the gateway is not the one in your link',
    text: 'The gateway presented a key that does not match the link: its fingerprint differs from the one the link pins. Someone may be impersonating it, or the link was changed. Nothing was sent. Ask the person who invited you for the link again, over another channel.',
  },
  MIC_DENIED: {
    title: 'Microphone blocked',
    text: 'The browser refused access to the microphone. Allow it for this site (the icon in the address bar), then join again.',
  },
  MIC_MISSING: {
    title: 'No microphone found',
    text: 'Connect a microphone, or join muted: untick “Microphone”.',
  },
  CAMERA_DENIED: {
    title: 'Camera blocked',
    text: 'The browser refused access to the camera. Joining with the microphone only.',
  },
  MIC_START_FAILED: {
    title: 'Microphone not started',
    text: 'The browser refused the microphone, or another program holds it. Allow it for this site (the icon in the address bar) or close the other program, then press “Start microphone” again. The call goes on without it.',
  },
  CAMERA_START_FAILED: {
    title: 'Camera not started',
    text: 'The browser refused the camera, or another program holds it. Allow it for this site (the icon in the address bar) or close the other program, then press “Start camera” again. The call goes on without it.',
  },
  DEVICE_SWITCH_FAILED: {
    title: 'Could not switch to that device',
    text: 'The browser refused it, or another program holds it. You are still using the one before; choose another in Devices.',
  },
  DEVICE_GONE: {
    title: 'The device you chose is not there any more',
    text: 'Using the browser’s default instead. Choose another in Devices.',
  },
  MIC_SWITCHED: {
    title: 'Your microphone stopped',
    text: 'It was unplugged or turned off: the call now uses another one (named below). Choose in Devices.',
  },
  CAMERA_SWITCHED: {
    title: 'Your camera stopped',
    text: 'It was unplugged or turned off: the call now uses another one (named below). Choose in Devices.',
  },
  CAMERA_NO_PICTURE: {
    title: 'Your camera sends no picture',
    text: 'The browser opened it, but none of its frames can be sent (a depth or infrared camera gives such frames): the others see no video from you. Choose another camera in Devices.',
  },
  MIC_LOST: {
    title: 'Your microphone stopped',
    text: 'It was unplugged or turned off, and no other microphone could be opened: the others cannot hear you. Connect one, then press “Start microphone”.',
  },
  CAMERA_LOST: {
    title: 'Your camera stopped',
    text: 'It was unplugged or turned off, and no other camera could be opened: the others no longer see you. Connect one, then press “Start camera”.',
  },
  SPEAKER_FAILED: {
    title: 'Could not play sound on that speaker',
    text: 'The browser refused it. Sound still plays where it did before; choose another in Devices.',
  },
  SCREEN_DENIED: {
    title: 'Screen sharing not started',
    text: 'The screen share was cancelled or refused by the browser or the system.',
  },
  ROOM_FULL: {
    title: 'This room is full',
    text: 'The gateway allows no more people in this room right now. Try again when someone leaves.',
  },
  TOO_MANY_ROOMS: {
    title: 'The gateway is busy',
    text: 'It holds as many rooms as it allows. Try again later.',
  },
  TOO_MANY_CONNECTIONS: {
    title: 'The gateway is busy',
    text: 'Too many connections from here or in total. Try again later.',
  },
  SHUTTING_DOWN: {
    title: 'The gateway is restarting',
    text: 'Reconnecting by itself; the call goes on meanwhile.',
  },
  PEER_HANDSHAKE_FAILED: {
    title: 'Could not connect securely to someone',
    text: 'Their secure handshake with you failed: they most likely opened a different room link (the room secret does not match), or someone tampered with the connection. You cannot hear or see each other. Compare links.',
  },

  REMOVED: {
    title: 'You were removed from the call',
    text: 'Someone in the call removed you. The others moved to a new room, whose link you do not have; nobody is left in this one.',
  },

  VIEW_MISMATCH: {
    title: 'Warning: the gateway shows different people to different participants',
    text: 'Your list of participants differs from someone else’s. The gateway may be hiding or adding a member. Compare the participant list and the codes in the security panel by voice.',
  },
  KEY_MISMATCH: {
    title: 'A participant’s key does not match what the gateway announced',
    text: 'That connection was closed. The gateway may be trying to impersonate someone.',
  },

  CONNECTION_LOST: {
    title: 'Connection to the gateway lost',
    text: 'Reconnecting… Calls already running continue peer to peer.',
  },
  HANDSHAKE_TIMEOUT: { title: 'The secure handshake timed out', text: 'Reconnecting by itself.' },
  UNKNOWN_FAILURE: {
    title: 'The gateway ended the connection',
    text: 'For a reason this client does not know. Reconnecting by itself.',
  },
  RATE_LIMITED: {
    title: 'The gateway closed the connection',
    text: 'Too many messages. Reconnecting by itself.',
  },
  INTERNAL: {
    title: 'Something went wrong',
    text: 'An unexpected error occurred. Reload the page to try again.',
  },
  // Codes of the signaling layer that the app shows no alert for; their text is what the
  // session's events and errors say (SignalError.message, peer.error.message).
  CONFIRMATION_FAILED: {
    title: 'Key confirmation failed',
    text: 'The other side does not have the same room link (or someone is in the middle). No channel was set up.',
  },
  PEER_NOT_CONNECTED: {
    title: 'This peer is not connected',
    text: 'Its channel is not set up, or has ended.',
  },
  INVALID_PEER_MESSAGE: {
    title: 'Message not sent',
    text: 'It does not follow the peer-message rules.',
  },
  IDLE_TIMEOUT: { title: 'The gateway closed an idle connection', text: 'Reconnecting by itself.' },
  SLOW_CONSUMER: {
    title: 'The gateway closed the connection',
    text: 'This client did not keep up. Reconnecting by itself.',
  },
  NOT_IN_ROOM: {
    title: 'Not in the room',
    text: 'The gateway says this client is not in the room.',
  },
  ALREADY_JOINED: {
    title: 'Already joined',
    text: 'The gateway says this client has already joined.',
  },
  UNKNOWN_PEER: { title: 'Unknown peer', text: 'The addressed peer is not in the room.' },
  ENVELOPE_TOO_LARGE: {
    title: 'Message too large',
    text: 'A message was too large for the gateway.',
  },
  MESSAGE_TOO_LARGE: { title: 'Message too large', text: 'A message was too large.' },
  RECORD_TOO_LARGE: {
    title: 'Message too large',
    text: 'A message is larger than a peer record may be (16384 bytes).',
  },
});

/** The message for an error code (name or number) with a generic fallback, for an alert. @param {string | number} code @returns {Message} */
export function messageFor(code) {
  return Object.hasOwn(Messages, code)
    ? Messages[code]
    : { title: 'Error', text: `The call stopped with ${String(code)}.` };
}

/**
 * One line for an error code: "title. text" of its entry, or null if the table has none (the
 * caller says what kind of failure it is).
 * @param {string} code @returns {string | null}
 */
export function describe(code) {
  if (!Object.hasOwn(Messages, code)) return null;
  const { title, text } = Messages[code];
  return `${title}. ${text}`;
}

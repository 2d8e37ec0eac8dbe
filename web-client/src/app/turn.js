// @ts-check
// What an RTCPeerConnection's icecandidateerror event means for the user (issue 5). Behaviour
// checked against Debian's Chromium and a real coturn with use-auth-secret
// (test/turn/coturn.test.js): credentials minted with a wrong secret, or whose expiry (the
// `<unix seconds>:` prefix of the username) has passed, give no relay candidate and one
// icecandidateerror per TURN URL with errorCode 401 ("Unauthorized"). A TURN server that cannot
// be reached at all gives errorCode 701 (a browser code, not a STUN one: W3C webrtc-pc,
// RTCPeerConnectionIceErrorEvent).
//
// With iceTransportPolicy 'relay' a refusal means the call cannot connect, so the app should
// show the message; with 'all' it is a warning, since host/srflx candidates may still work.

/**
 * Kinds, in the order the app should care about them:
 *   turn-credentials-refused  TURN refused our credentials (wrong secret or expired): the
 *                             gateway's ice.turn.secret does not match coturn's
 *                             static-auth-secret, or the clocks differ, or the link sat open
 *                             longer than ice.turn.credential-ttl (rejoin for fresh ones)
 *   turn-forbidden            the TURN server refused the request for policy reasons (403)
 *   turn-overloaded           allocation quota or capacity reached (486, 508)
 *   server-unreachable        no answer from the STUN/TURN server (701)
 *   transient                 stale nonce and similar; the browser retries by itself (438)
 *   other                     anything else (logged, not shown)
 */
export const TurnErrorKind = Object.freeze({
  CREDENTIALS_REFUSED: 'turn-credentials-refused',
  FORBIDDEN: 'turn-forbidden',
  OVERLOADED: 'turn-overloaded',
  UNREACHABLE: 'server-unreachable',
  TRANSIENT: 'transient',
  OTHER: 'other',
});

const MESSAGES = Object.freeze({
  'turn-credentials-refused':
    'TURN refused our credentials. Rejoin the call for fresh ones; if that does not help, ' +
    'the gateway operator must give the gateway and coturn the same secret.',
  'turn-forbidden': 'The TURN server refused to relay this call.',
  'turn-overloaded': 'The TURN server is full right now; try again later.',
  'server-unreachable': 'The relay server cannot be reached from this network.',
  transient: '',
  other: '',
});

/**
 * Classifies an icecandidateerror event (or any object with errorCode and url, as a test
 * records it). Returns { kind, code, server, message }; message is '' for kinds the user need
 * not see.
 * @param {{errorCode?: number, url?: string, errorText?: string}} event
 */
export function classifyIceCandidateError(event) {
  const code = Number(event?.errorCode ?? 0);
  const server = typeof event?.url === 'string' ? event.url : '';
  const isTurn = /^turns?:/i.test(server);
  let kind;
  if (code === 701) kind = TurnErrorKind.UNREACHABLE;
  else if (!isTurn) kind = TurnErrorKind.OTHER;
  else if (code === 401 || code === 441)
    kind = TurnErrorKind.CREDENTIALS_REFUSED; // 441 Wrong Credentials (RFC 8656)
  else if (code === 403) kind = TurnErrorKind.FORBIDDEN;
  else if (code === 486 || code === 508) kind = TurnErrorKind.OVERLOADED;
  else if (code === 438) kind = TurnErrorKind.TRANSIENT;
  else kind = TurnErrorKind.OTHER;
  return { kind, code, server, message: MESSAGES[kind] };
}

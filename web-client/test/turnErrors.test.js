import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TurnErrorKind, classifyIceCandidateError } from '../src/app/turn.js';

const turn = 'turn:127.0.0.1:3478?transport=udp';

test('401 from a TURN server: our credentials were refused (what coturn answers to a wrong secret or an expired username)', () => {
  const r = classifyIceCandidateError({ errorCode: 401, errorText: 'Unauthorized', url: turn });
  assert.equal(r.kind, TurnErrorKind.CREDENTIALS_REFUSED);
  assert.equal(r.code, 401);
  assert.equal(r.server, turn);
  assert.match(r.message, /TURN refused our credentials/);
  assert.equal(
    classifyIceCandidateError({ errorCode: 441, url: 'turns:t.example:5349?transport=tcp' }).kind,
    TurnErrorKind.CREDENTIALS_REFUSED,
  );
});

test('other TURN answers and unreachable servers', () => {
  assert.equal(
    classifyIceCandidateError({ errorCode: 403, url: turn }).kind,
    TurnErrorKind.FORBIDDEN,
  );
  assert.equal(
    classifyIceCandidateError({ errorCode: 486, url: turn }).kind,
    TurnErrorKind.OVERLOADED,
  );
  assert.equal(
    classifyIceCandidateError({ errorCode: 508, url: turn }).kind,
    TurnErrorKind.OVERLOADED,
  );
  assert.equal(
    classifyIceCandidateError({ errorCode: 438, url: turn }).kind,
    TurnErrorKind.TRANSIENT,
  );
  assert.equal(classifyIceCandidateError({ errorCode: 438, url: turn }).message, '');
  assert.equal(
    classifyIceCandidateError({ errorCode: 701, url: turn }).kind,
    TurnErrorKind.UNREACHABLE,
  );
  assert.equal(
    classifyIceCandidateError({ errorCode: 701, url: 'stun:s.example:3478' }).kind,
    TurnErrorKind.UNREACHABLE,
  );
});

test('a STUN server never refuses credentials; junk input is "other"', () => {
  assert.equal(
    classifyIceCandidateError({ errorCode: 401, url: 'stun:s.example:3478' }).kind,
    TurnErrorKind.OTHER,
  );
  assert.equal(classifyIceCandidateError({}).kind, TurnErrorKind.OTHER);
  assert.equal(classifyIceCandidateError(null).kind, TurnErrorKind.OTHER);
  assert.equal(classifyIceCandidateError({ errorCode: 500, url: turn }).kind, TurnErrorKind.OTHER);
});

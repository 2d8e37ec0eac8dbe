// How each file of test-vectors/ is verified: a line-by-line counterpart of the verify() methods
// in pq-crypto's dev.hybridge.crypto.vectors (HopVectors, PeerVectors, RecordVectors,
// RoomSecretVectors), with the same step names and the same rule for negative vectors: the
// scenario must fail with a ProtocolError whose code is `expect`; acceptance or any other error
// is a failure. Each verifier returns null when the vector passes, else a description.
// Where this file checks more than Java does, a comment says so.

import { fromHex, toHex } from '../src/protocol/bytes.js';
import { ProtocolError } from '../src/protocol/errors.js';
import { Fingerprint } from '../src/protocol/fingerprint.js';
import { HopClient } from '../src/protocol/hopClient.js';
import { HopServer } from '../src/protocol/hopServer.js';
import { Trace } from '../src/protocol/kdf.js';
import { PeerContext, PeerInitiator, PeerResponder } from '../src/protocol/peer.js';
import { EpochSecrets, RecordFormat, RecordOpener, RecordSealer } from '../src/protocol/record.js';
import { RoomSecret, formatLinkFragment, parseLinkFragment } from '../src/protocol/room.js';
import { Sas } from '../src/protocol/sas.js';
import { decodeRoomMessage, encodeRoomMessage } from '../src/protocol/roomCodec.js';
import { channelTag, decodeDataFrame, encodeDataFrame } from '../src/protocol/dataFrame.js';
import { errorName } from '../src/protocol/errors.js';
import { decodeFileChunk, encodeFileChunk } from '../src/signal/fileMessages.js';
import { XWingKeyPair } from '../src/protocol/xwingKeyPair.js';
import { CodeParty, formatCode, parseCode } from '../src/protocol/code.js';
import {
  SFrameContext,
  SFrameError,
  openVp8Frame,
  sealVp8Frame,
  vp8ClearLength,
} from '../src/media/sframe.js';

/** Json.unhex: a required hex field. */
export function unhex(node, field) {
  const v = node?.[field];
  if (typeof v !== 'string') throw new Error(`missing hex field '${field}'`);
  return fromHex(v);
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Mutate.expect: null if the scenario failed with `expected`, else what happened. */
export async function expectCode(expected, scenario) {
  try {
    await scenario();
    return `accepted, expected ${expected}`;
  } catch (e) {
    if (e instanceof ProtocolError)
      return e.code === expected ? null : `got ${e.code}, expected ${expected}`;
    return `unchecked ${e}, expected ${expected}`;
  }
}

/** HopVectors.sameTrace: every intermediate in the vector equals the side's trace. */
function sameTrace(side, trace, expected) {
  for (const [name, hex] of Object.entries(expected)) {
    const v = trace.values.get(name);
    if (v === undefined) return `${side} did not compute ${name}`;
    if (toHex(v) !== hex) return `${side} differs at ${name}`;
  }
  return null;
}

// ---------------------------------------------------------------- hop-handshake.json

function hopInputs(inp) {
  return {
    gatewaySeed: unhex(inp, 'gateway_seed'),
    clientEphemeralSeed: unhex(inp, 'client_ephemeral_seed'),
    clientEseed: unhex(inp, 'client_eseed'),
    gatewayEseed: unhex(inp, 'gateway_eseed'),
  };
}

function hopStartClient(inp, trace) {
  return HopClient.startForTestingOnly(
    XWingKeyPair.fromSeed(inp.gatewaySeed).publicKey(),
    inp.clientEphemeralSeed,
    inp.clientEseed,
    trace,
  );
}

function hopServerReceives(inp, clientHello, trace) {
  return new HopServer([XWingKeyPair.fromSeed(inp.gatewaySeed)]).receiveClientHelloForTestingOnly(
    clientHello,
    inp.gatewayEseed,
    trace,
  );
}

async function verifyHopValid(t) {
  const inJson = t.inputs;
  const inp = hopInputs(inJson);
  const g = XWingKeyPair.fromSeed(inp.gatewaySeed);
  if (
    !equal(g.publicKey(), unhex(inJson, 'gateway_public_key')) ||
    !equal(g.fingerprint(), unhex(inJson, 'gateway_fingerprint')) ||
    Fingerprint.toBase64Url(g.fingerprint()) !== inJson.gateway_fingerprint_b64url
  ) {
    return 'gateway key or fingerprint differs';
  }
  // Beyond Java: the client's ephemeral public key listed in the inputs.
  if (
    !equal(
      XWingKeyPair.fromSeed(inp.clientEphemeralSeed).publicKey(),
      unhex(inJson, 'client_ephemeral_public_key'),
    )
  ) {
    return 'client ephemeral public key differs';
  }
  const ct = new Trace();
  const gt = new Trace();
  const s = hopStartClient(inp, ct);
  const a = hopServerReceives(inp, s.clientHello, gt);
  const e = s.next.receive(a.serverHello);
  const gateway = a.next.receive(e.clientFinished);
  const m = t.messages;
  if (!equal(s.clientHello, unhex(m, 'client_hello'))) return 'client_hello differs';
  if (!equal(a.serverHello, unhex(m, 'server_hello'))) return 'server_hello differs';
  if (!equal(e.clientFinished, unhex(m, 'client_finished'))) return 'client_finished differs';
  const f = sameTrace('client', ct, t.intermediates) ?? sameTrace('gateway', gt, t.intermediates);
  if (f !== null) return f;
  for (const r of t.records) {
    const c2s = r.direction === 'c2s';
    const sender = c2s ? e.channel : gateway;
    const receiver = c2s ? gateway : e.channel;
    const pt = unhex(r, 'plaintext');
    if (sender.sealer.nextSeq() !== r.seq) return 'record seq differs';
    const rec = await sender.seal(pt);
    if (!equal(rec, unhex(r, 'record'))) return `record differs at seq ${r.seq}`;
    if (!equal(await receiver.open(rec), pt)) return `record does not open at seq ${r.seq}`;
  }
  return null;
}

async function verifyHopInvalid(t) {
  const inp = hopInputs(t.inputs);
  const msg = unhex(t, 'message');
  switch (t.step) {
    case 'gateway_receives_client_hello':
      return expectCode(t.expect, () => hopServerReceives(inp, msg, null));
    case 'client_receives_server_hello':
      return expectCode(t.expect, () => hopStartClient(inp, null).next.receive(msg));
    case 'gateway_receives_client_finished':
      return expectCode(t.expect, () => {
        const s = hopStartClient(inp, null);
        hopServerReceives(inp, s.clientHello, null).next.receive(msg);
      });
    default:
      return `unknown step ${t.step}`;
  }
}

// ---------------------------------------------------------------- peer-handshake.json

function peerInputs(inp) {
  return {
    roomSecret: unhex(inp, 'room_secret'),
    initiatorId: unhex(inp, 'initiator_id'),
    responderId: unhex(inp, 'responder_id'),
    initiatorSeed: unhex(inp, 'initiator_seed'),
    responderSeed: unhex(inp, 'responder_seed'),
    initiatorEseed: unhex(inp, 'initiator_eseed'),
    responderEseed: unhex(inp, 'responder_eseed'),
    initiatorNonce: unhex(inp, 'initiator_nonce'),
  };
}

function peerContext(inp) {
  const room = RoomSecret.of(inp.roomSecret);
  return new PeerContext(room.roomId(), room.psk(), inp.initiatorId, inp.responderId);
}

function peerStartInitiator(inp, trace) {
  return PeerInitiator.startForTestingOnly(
    peerContext(inp),
    XWingKeyPair.fromSeed(inp.initiatorSeed),
    XWingKeyPair.fromSeed(inp.responderSeed).publicKey(),
    inp.initiatorEseed,
    inp.initiatorNonce,
    trace,
  );
}

function peerResponderReceives(inp, init, trace) {
  return PeerResponder.receiveForTestingOnly(
    peerContext(inp),
    XWingKeyPair.fromSeed(inp.responderSeed),
    init,
    inp.responderEseed,
    trace,
  );
}

async function verifyPeerValid(t) {
  const inJson = t.inputs;
  const inp = peerInputs(inJson);
  const room = RoomSecret.of(inp.roomSecret);
  if (!equal(room.roomId(), unhex(inJson, 'room_id'))) return 'room_id differs';
  if (!equal(room.psk(), unhex(inJson, 'psk'))) return 'psk differs';
  // Beyond Java: both per-session public keys listed in the inputs.
  if (
    !equal(
      XWingKeyPair.fromSeed(inp.initiatorSeed).publicKey(),
      unhex(inJson, 'initiator_public_key'),
    ) ||
    !equal(
      XWingKeyPair.fromSeed(inp.responderSeed).publicKey(),
      unhex(inJson, 'responder_public_key'),
    )
  ) {
    return 'peer public key differs';
  }
  const it = new Trace();
  const rt = new Trace();
  const s = peerStartInitiator(inp, it);
  const a = peerResponderReceives(inp, s.peerInit, rt);
  const e = s.next.receive(a.peerAccept);
  const responder = a.next.receive(e.peerFinish);
  const initiator = e.session;
  const m = t.messages;
  if (!equal(s.peerInit, unhex(m, 'peer_init'))) return 'peer_init differs';
  if (!equal(a.peerAccept, unhex(m, 'peer_accept'))) return 'peer_accept differs';
  if (!equal(e.peerFinish, unhex(m, 'peer_finish'))) return 'peer_finish differs';
  const f =
    sameTrace('initiator', it, t.intermediates) ?? sameTrace('responder', rt, t.intermediates);
  if (f !== null) return f;
  if (initiator.sas.decimal() !== t.sas_decimal || responder.sas.decimal() !== t.sas_decimal)
    return 'SAS differs';
  for (const r of t.records) {
    const i2r = r.direction === 'i2r';
    const sender = i2r ? initiator.channel : responder.channel;
    const receiver = i2r ? responder.channel : initiator.channel;
    const pt = unhex(r, 'plaintext');
    if (sender.sealer.nextSeq() !== r.seq) return 'record seq differs'; // beyond Java
    const rec = await sender.seal(pt);
    if (!equal(rec, unhex(r, 'record'))) return `record differs at seq ${r.seq}`;
    if (!equal(await receiver.open(rec), pt)) return `record does not open at seq ${r.seq}`;
  }
  return null;
}

async function verifyPeerInvalid(t) {
  const inp = peerInputs(t.inputs);
  const msg = unhex(t, 'message');
  switch (t.step) {
    case 'responder_receives_peer_init':
      return expectCode(t.expect, () => peerResponderReceives(inp, msg, null));
    case 'initiator_receives_peer_accept':
      return expectCode(t.expect, () => peerStartInitiator(inp, null).next.receive(msg));
    case 'responder_receives_peer_finish':
      return expectCode(t.expect, () => {
        const s = peerStartInitiator(inp, null);
        peerResponderReceives(inp, s.peerInit, null).next.receive(msg);
      });
    default:
      return `unknown step ${t.step}`;
  }
}

// ---------------------------------------------------------------- code-handshake.json

function codeInputs(inp) {
  return {
    code: inp.code,
    slot: inp.slot,
    fp: unhex(inp, 'gateway_fingerprint'),
    sid: unhex(inp, 'sid'),
    creatorCode: inp.creator_code,
    creatorSlot: inp.creator_slot,
    creatorFp: unhex(inp, 'creator_gateway_fingerprint'),
    creatorSid: unhex(inp, 'creator_sid'),
    joinerScalar: unhex(inp, 'joiner_scalar'),
    creatorScalar: unhex(inp, 'creator_scalar'),
    joinerSeed: unhex(inp, 'joiner_seed'),
    creatorSeed: unhex(inp, 'creator_seed'),
    joinerEseed: unhex(inp, 'joiner_eseed'),
    creatorEseed: unhex(inp, 'creator_eseed'),
    joinerNonce: unhex(inp, 'joiner_nonce'),
    roomSecret: unhex(inp, 'room_secret'),
  };
}

/** CodeVectors.Run.of: the exchange in the normative order; the first failure ends it. */
function codeRun(inp, cp1Override, cp2Override) {
  const jt = new Trace();
  const ct = new Trace();
  const j = CodeParty.joiner(inp.code, inp.fp, inp.slot, inp.sid, inp.joinerScalar, jt);
  const c = CodeParty.creator(
    inp.creatorCode,
    inp.creatorFp,
    inp.creatorSlot,
    inp.creatorSid,
    inp.creatorScalar,
    ct,
  );
  const cp1 = cp1Override ?? j.shareMessage();
  const cp2 = cp2Override ?? c.shareMessage();
  const jctx = j.receive(cp2);
  const jKey = XWingKeyPair.fromSeed(inp.joinerSeed);
  const cKey = XWingKeyPair.fromSeed(inp.creatorSeed);
  const s = PeerInitiator.startForTestingOnly(
    jctx,
    jKey,
    cKey.publicKey(),
    inp.joinerEseed,
    inp.joinerNonce,
    null,
  );
  const cctx = c.receive(cp1);
  const a = PeerResponder.receiveForTestingOnly(cctx, cKey, s.peerInit, inp.creatorEseed, null);
  const e = s.next.receive(a.peerAccept);
  const creator = a.next.receive(e.peerFinish);
  return { cp1, cp2, s, a, e, creator, joiner: e.session, jt, ct };
}

async function verifyCodeValid(t) {
  const inp = codeInputs(t.inputs);
  const run = codeRun(inp, null, null);
  const m = t.messages;
  const got = {
    cp1: run.cp1,
    cp2: run.cp2,
    peer_init: run.s.peerInit,
    peer_accept: run.a.peerAccept,
    peer_finish: run.e.peerFinish,
  };
  for (const [name, bytes] of Object.entries(got)) {
    if (!equal(bytes, unhex(m, name))) return `${name} differs`;
  }
  const f =
    sameTrace('joiner', run.jt, t.joiner_intermediates) ??
    sameTrace('creator', run.ct, t.creator_intermediates);
  if (f !== null) return f;
  if (run.joiner.sas.decimal() !== t.sas_decimal || run.creator.sas.decimal() !== t.sas_decimal)
    return 'SAS differs';
  const pt = unhex(t.invite, 'plaintext');
  // Beyond Java: the invite's link is built here from room_secret and the creator's fingerprint.
  const link = formatLinkFragment(inp.roomSecret, inp.creatorFp);
  if (new TextDecoder().decode(pt) !== JSON.stringify({ t: 'invite', link })) {
    return 'invite plaintext differs';
  }
  const rec = await run.creator.channel.seal(pt);
  if (!equal(rec, unhex(t.invite, 'record'))) return 'invite record differs';
  if (!equal(await run.joiner.channel.open(rec), pt)) return 'invite does not open';
  if (formatCode(inp.slot, inp.code) !== t.code_text) return 'code_text differs';
  // Beyond Java: the lenient reader gives the code back from its shown form.
  const parsed = parseCode(t.code_text);
  if (parsed?.slot !== inp.slot || parsed?.digits !== inp.code) return 'code_text does not parse';
  return null;
}

async function verifyCodeInvalid(t) {
  const inp = codeInputs(t.inputs);
  const cp1 = t.cp1 !== undefined ? unhex(t, 'cp1') : null;
  const cp2 = t.cp2 !== undefined ? unhex(t, 'cp2') : null;
  return expectCode(t.expect, () => codeRun(inp, cp1, cp2));
}

// ---------------------------------------------------------------- record-layer.json

async function verifyRecordValid(t) {
  const secret = unhex(t, 'traffic_secret');
  const start = t.start_seq;
  for (const e of t.epochs) {
    const got = EpochSecrets.deriveForTestingOnly(secret, e.epoch);
    if (
      !equal(got.secret, unhex(e, 'secret')) ||
      !equal(got.key, unhex(e, 'key')) ||
      !equal(got.iv, unhex(e, 'iv'))
    ) {
      return `epoch ${e.epoch} keys differ`;
    }
  }
  const max = t.max_plaintext;
  const sealer = RecordSealer.startingAtForTestingOnly(secret, max, start);
  const opener = RecordOpener.startingAtForTestingOnly(secret, max, start);
  for (const r of t.records) {
    const pt = unhex(r, 'plaintext');
    if (sealer.nextSeq() !== r.seq) return 'seq differs';
    const rec = await sealer.seal(pt);
    if (!equal(rec, unhex(r, 'record'))) return `record differs at seq ${r.seq}`;
    if (!equal(await opener.open(rec), pt)) return `record does not open at seq ${r.seq}`;
  }
  return null;
}

async function verifyRecordInvalid(t) {
  const opener = RecordOpener.startingAtForTestingOnly(
    unhex(t, 'traffic_secret'),
    t.max_plaintext,
    t.start_seq,
  );
  const deliver = t.deliver;
  const failsAt = t.fails_at;
  for (let i = 0; i < failsAt; i++) {
    try {
      await opener.open(fromHex(deliver[i]));
    } catch (e) {
      return `record ${i} failed early with ${e.code ?? e}`;
    }
  }
  const last = fromHex(deliver[failsAt]);
  return expectCode(t.expect, () => opener.open(last));
}

// ---------------------------------------------------------------- room-secret.json

async function verifyRoomSecret(t) {
  const failures = [];
  if (t.result !== 'valid') {
    failures.push(`result ${t.result}: every case here is a derivation`);
  } else if (t.kind === 'room') {
    const secret = unhex(t, 'room_secret');
    const room = RoomSecret.of(secret);
    if (!equal(room.roomId(), unhex(t, 'room_id'))) failures.push('room_id differs');
    if (!equal(room.psk(), unhex(t, 'psk'))) failures.push('psk differs');
    const fp = unhex(t, 'gateway_fingerprint');
    if (formatLinkFragment(secret, fp) !== t.link_fragment) failures.push('link fragment differs');
    // Beyond Java: the strict parser gives back exactly the two byte strings.
    const parsed = parseLinkFragment(t.link_fragment);
    if (parsed === null || !equal(parsed.secret, secret) || !equal(parsed.fingerprint, fp)) {
      failures.push('link fragment does not parse back');
    }
  } else if (t.kind === 'sas') {
    const sas = new Sas(unhex(t, 'sas_bytes'));
    const n = sas.numbers();
    for (let i = 0; i < 3; i++) {
      if (n[i] !== t.numbers[i]) failures.push(`SAS number ${i} differs`);
    }
    if (sas.decimal() !== t.decimal) failures.push('SAS decimal differs');
  } else {
    failures.push(`unknown kind ${t.kind}`); // Java treats any other kind as SAS
  }
  return failures.length === 0 ? null : failures.join('; ');
}

// ---------------------------------------------------------------- room-messages.json

/** RoomMessageVectors.toJson: the decoded fields as the vectors spell them. */
function roomToJson(m) {
  const o = { type: m.type };
  switch (m.type) {
    case 'JOIN':
      Object.assign(o, { room_id: toHex(m.roomId), public_key: toHex(m.publicKey) });
      break;
    case 'RELAY':
      Object.assign(o, { to: toHex(m.to), envelope: toHex(m.envelope) });
      break;
    case 'JOINED':
      o.peer_id = toHex(m.peerId);
      o.peers = m.peers.map((p) => ({ peer_id: toHex(p.peerId), public_key: toHex(p.publicKey) }));
      o.ice_servers = m.iceServers.map((x) => ({
        urls: x.urls,
        username: x.username,
        credential: x.credential,
      }));
      break;
    case 'PEER_JOINED':
      Object.assign(o, { peer_id: toHex(m.peerId), public_key: toHex(m.publicKey) });
      break;
    case 'PEER_LEFT':
      o.peer_id = toHex(m.peerId);
      break;
    case 'RELAYED':
      Object.assign(o, { from: toHex(m.from), envelope: toHex(m.envelope) });
      break;
    case 'SLOT_OPEN':
      o.public_key = toHex(m.publicKey);
      break;
    case 'SLOT_JOIN':
      Object.assign(o, { slot: m.slot, public_key: toHex(m.publicKey) });
      break;
    case 'SLOT_DONE':
      o.outcome = m.outcome;
      break;
    case 'SLOT_OPENED':
      Object.assign(o, { slot: m.slot, sid: toHex(m.sid), ttl: m.ttl });
      break;
    case 'SLOT_PAIRED':
      Object.assign(o, { sid: toHex(m.sid), public_key: toHex(m.publicKey) });
      break;
    case 'ERROR':
      Object.assign(o, {
        code: m.code,
        code_name: errorName(m.code),
        ref: m.ref === null ? null : toHex(m.ref),
      });
      break;
    default:
      break;
  }
  return o;
}

async function verifyRoomValid(t) {
  const bytes = fromHex(t.message_hex);
  const m = decodeRoomMessage(bytes, t.direction);
  if (JSON.stringify(roomToJson(m)) !== JSON.stringify(t.decoded)) return 'decoded fields differ';
  if (!equal(encodeRoomMessage(m), bytes)) return 're-encoding differs';
  return null;
}

async function verifyRoomInvalid(t) {
  const bytes = fromHex(t.message_hex);
  return expectCode(t.expect, () => decodeRoomMessage(bytes, t.direction));
}

// ---------------------------------------------------------------- data-channel.json

/** One sealer and one opener over the valid tests, in order (as DataChannelVectors.verify). */
const dataChannelState = { sealer: null, opener: null };

async function verifyDataChannelValid(t) {
  const secret = unhex(t, 'traffic_secret');
  if (t.seq === 0) {
    dataChannelState.sealer = new RecordSealer(secret, RecordFormat.PEER_DC_MAX_PLAINTEXT);
    dataChannelState.opener = new RecordOpener(secret, RecordFormat.PEER_DC_MAX_PLAINTEXT);
  }
  const tag = channelTag(unhex(t, 'handshake_hash'));
  if (!equal(tag, unhex(t, 'tag'))) return 'tag differs';
  const record = await dataChannelState.sealer.seal(unhex(t, 'plaintext'));
  if (!equal(record, unhex(t, 'record'))) return 'record differs';
  const frame = unhex(t, 'frame');
  if (!equal(encodeDataFrame(tag, record), frame)) return 'frame differs';
  const parsed = decodeDataFrame(frame);
  if (!equal(parsed.tag, tag)) return 'parsed tag differs';
  if (!equal(parsed.record, record)) return 'parsed record differs';
  const plaintext = await dataChannelState.opener.open(parsed.record);
  if (!equal(plaintext, unhex(t, 'plaintext'))) return 'opened plaintext differs';
  return null;
}

async function verifyDataChannelInvalid(t) {
  const frame = unhex(t, 'frame');
  return expectCode(t.expect, () => decodeDataFrame(frame));
}

// ---------------------------------------------------------------- file-chunk.json

async function verifyFileChunkValid(t) {
  const plaintext = unhex(t, 'plaintext');
  const data = unhex(t, 'data');
  if (!equal(encodeFileChunk(t.id, t.index, data), plaintext)) return 'plaintext differs';
  const d = decodeFileChunk(plaintext);
  if (d.drop !== undefined) return `dropped: ${d.drop}`;
  if (d.msg.t !== 'file-chunk') return 'decoded type differs';
  if (d.msg.id !== t.id) return 'decoded id differs';
  if (d.msg.index !== t.index) return 'decoded index differs';
  if (!equal(d.msg.data, data)) return 'decoded data differs';
  return null;
}

/** FileChunkVectors.verify: the reason is the drop reason; a drop is counted as MALFORMED. */
async function verifyFileChunkInvalid(t) {
  const d = decodeFileChunk(unhex(t, 'plaintext'));
  if (d.drop !== t.reason) return `reason ${d.drop}, expected ${t.reason}`;
  return expectCode(t.expect, () => {
    if (d.drop !== undefined) throw new ProtocolError('MALFORMED_MESSAGE');
  });
}

// ---------------------------------------------------------------- sframe-vp8.json

/** SFrameVp8Vectors.verify: seal `frame` at `ctr` to `sealed`, and open it back. */
async function verifySFrameVp8Valid(t) {
  const frame = unhex(t, 'frame');
  const sealed = unhex(t, 'sealed');
  if (vp8ClearLength(frame) !== t.clear_length) return 'clear length differs';
  const sender = new SFrameContext();
  await sender.addSendKey(BigInt(t.kid), unhex(t, 'base_key'));
  // the send counter starts at 0; a vector at another CTR sets it (the client never does)
  /** @type {{ctr: bigint}} */ (sender.send).ctr = BigInt(t.ctr);
  if (!equal(await sealVp8Frame(sender, frame), sealed)) return 'sealed differs';
  const receiver = new SFrameContext();
  await receiver.addReceiveKey(BigInt(t.kid), unhex(t, 'base_key'));
  const opened = await openVp8Frame(receiver, sealed);
  if (!equal(opened.plaintext, frame)) return 'opened differs';
  if (opened.ctr !== BigInt(t.ctr)) return 'opened CTR differs';
  return null;
}

/** A receiver holding only base_key under kid refuses `sealed` with the SFrame error `expect`. */
async function verifySFrameVp8Invalid(t) {
  const receiver = new SFrameContext();
  await receiver.addReceiveKey(BigInt(t.kid), unhex(t, 'base_key'));
  try {
    await openVp8Frame(receiver, unhex(t, 'sealed'));
    return `accepted, expected ${t.expect}`;
  } catch (e) {
    if (!(e instanceof SFrameError)) return `${e}, expected ${t.expect}`;
    return e.codeName === t.expect ? null : `got ${e.codeName}, expected ${t.expect}`;
  }
}

// ---------------------------------------------------------------- registry

const byResult = (valid, invalid) => (t) => {
  if (t.result === 'valid') return valid(t);
  if (t.result === 'invalid') return invalid(t);
  return Promise.resolve(`unknown result ${t.result}`);
};

/** Every file of test-vectors/ and its verifier, in the order of VectorFile.ALL. */
export const VERIFIERS = Object.freeze({
  'room-secret.json': verifyRoomSecret,
  'hop-handshake.json': byResult(verifyHopValid, verifyHopInvalid),
  'record-layer.json': byResult(verifyRecordValid, verifyRecordInvalid),
  'peer-handshake.json': byResult(verifyPeerValid, verifyPeerInvalid),
  'code-handshake.json': byResult(verifyCodeValid, verifyCodeInvalid),
  'room-messages.json': byResult(verifyRoomValid, verifyRoomInvalid),
  'data-channel.json': byResult(verifyDataChannelValid, verifyDataChannelInvalid),
  'file-chunk.json': byResult(verifyFileChunkValid, verifyFileChunkInvalid),
  'sframe-vp8.json': byResult(verifySFrameVp8Valid, verifySFrameVp8Invalid),
});

/** The step names (field `step`) each handshake file may use; record and room files have none. */
export const STEPS = Object.freeze({
  'hop-handshake.json': [
    'gateway_receives_client_hello',
    'client_receives_server_hello',
    'gateway_receives_client_finished',
  ],
  'peer-handshake.json': [
    'responder_receives_peer_init',
    'initiator_receives_peer_accept',
    'responder_receives_peer_finish',
  ],
  'record-layer.json': [],
  'code-handshake.json': [],
  'room-secret.json': [],
  'room-messages.json': [],
  'data-channel.json': [],
  'file-chunk.json': [],
  'sframe-vp8.json': [],
});

/** Runs a verifier, turning a thrown error into a failure description (as Java's verify loops do). */
export async function verifyOne(file, t) {
  try {
    return await VERIFIERS[file](t);
  } catch (e) {
    return `threw ${e instanceof ProtocolError ? e.code : e}`;
  }
}

// Browser side of the handshake benchmark: the client's share of the hop handshake and both
// sides of the peer handshake, computed in this browser (noble X-Wing, WebCrypto AES-GCM,
// HKDF), timed with performance.now(). The gateway's share runs here too, untimed, only to
// produce the messages the client has to process. Bundled by bench.mjs with esbuild.
import {
  HopClient,
  HopServer,
  PeerContext,
  PeerInitiator,
  PeerResponder,
  XWingKeyPair,
} from '../../web-client/src/protocol/index.js';

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

globalThis.runHandshakeBench = async (iterations = 30, warmup = 5) => {
  const gatewayKey = XWingKeyPair.generate();
  const server = new HopServer([gatewayKey]);
  const roomId = crypto.getRandomValues(new Uint8Array(32));
  const psk = crypto.getRandomValues(new Uint8Array(32));
  const hop = [];
  const initiator = [];
  const responder = [];
  for (let i = 0; i < warmup + iterations; i++) {
    // Hop: client start (ephemeral keygen + encapsulation to the gateway key), then its finish.
    let t = performance.now();
    const c = HopClient.start(gatewayKey.publicKey());
    let client = performance.now() - t;
    const s = server.receiveClientHello(c.clientHello);
    t = performance.now();
    const done = c.next.receive(s.serverHello);
    client += performance.now() - t;
    s.next.receive(done.clientFinished);
    // Peer: per-session keys exist before the handshake (made once per call), not timed.
    const kI = XWingKeyPair.generate();
    const kR = XWingKeyPair.generate();
    const idI = crypto.getRandomValues(new Uint8Array(8));
    const idR = crypto.getRandomValues(new Uint8Array(8));
    t = performance.now();
    const pi = PeerInitiator.start(
      new PeerContext(roomId, psk.slice(), idI, idR),
      kI,
      kR.publicKey(),
    );
    let tI = performance.now() - t;
    t = performance.now();
    const pr = PeerResponder.receive(
      new PeerContext(roomId, psk.slice(), idI, idR),
      kR,
      pi.peerInit,
    );
    let tR = performance.now() - t;
    t = performance.now();
    const fin = pi.next.receive(pr.peerAccept);
    tI += performance.now() - t;
    t = performance.now();
    pr.next.receive(fin.peerFinish);
    tR += performance.now() - t;
    if (i >= warmup) {
      hop.push(client);
      initiator.push(tI);
      responder.push(tR);
    }
  }
  return {
    iterations,
    hopClientMs: median(hop),
    peerInitiatorMs: median(initiator),
    peerResponderMs: median(responder),
  };
};

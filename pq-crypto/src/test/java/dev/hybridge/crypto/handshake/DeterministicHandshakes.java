package dev.hybridge.crypto.handshake;

import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.kdf.Trace;

/**
 * Test kit (pq-crypto's test-jar, never in the deployable jar): the hop and peer handshakes with
 * their randomness given, for vectors, the accumulated interop digest and benchmarks. Each method
 * goes through the same package-private seam that the production entry points call after drawing
 * from their {@code SecureRandom}, so the bytes are those of a real handshake. A {@code trace},
 * when not null, records the key schedule's intermediate values.
 */
public final class DeterministicHandshakes {
    private DeterministicHandshakes() {}

    /** {@link HopClient#start}, with the ephemeral key seed and encapsulation randomness given. */
    public static HopClient.Started hopClientStart(
            byte[] gatewayPublicKey, byte[] ephemeralSeed, byte[] eseed, Trace trace)
            throws ProtocolException {
        return HopClient.start(
                gatewayPublicKey, XWingKeyPair.fromSeed(ephemeralSeed), eseed, trace);
    }

    /** {@link HopServer#receiveClientHello}, with the encapsulation randomness given. */
    public static HopServer.Accepted hopServerReceive(
            HopServer server, byte[] clientHello, byte[] eseed, Trace trace)
            throws ProtocolException {
        return server.receive(clientHello, eseed, trace);
    }

    /** {@link PeerInitiator#start}, with the encapsulation randomness and the SAS nonce given. */
    public static PeerInitiator.Started peerInitiatorStart(
            PeerContext ctx,
            XWingKeyPair ownKey,
            byte[] responderPublicKey,
            byte[] eseed,
            byte[] nonce,
            Trace trace)
            throws ProtocolException {
        return PeerInitiator.start(ctx, ownKey, responderPublicKey, eseed, nonce.clone(), trace);
    }

    /** {@link PeerResponder#receive}, with the encapsulation randomness given. */
    public static PeerResponder.Accepted peerResponderReceive(
            PeerContext ctx, XWingKeyPair ownKey, byte[] peerInit, byte[] eseed, Trace trace)
            throws ProtocolException {
        return PeerResponder.receive(ctx, ownKey, peerInit, eseed, trace);
    }
}

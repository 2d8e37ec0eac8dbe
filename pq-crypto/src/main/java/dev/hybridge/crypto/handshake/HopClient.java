package dev.hybridge.crypto.handshake;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.kdf.HopSchedule;
import dev.hybridge.crypto.kdf.Trace;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.crypto.record.RecordFormat;
import java.security.SecureRandom;

/**
 * The client side of the hop handshake (spec/hop-handshake.md). States: start -> {@link
 * AwaitingServerHello} -> established {@link Channel}. Each state is used once; a failure is
 * terminal and wipes its secrets.
 */
public final class HopClient {
    private HopClient() {}

    /** The ClientHello to send and the state that waits for the ServerHello. */
    public record Started(byte[] clientHello, AwaitingServerHello next) {}

    /** The ClientFinished to send (before any record) and the established channel. */
    public record Established(byte[] clientFinished, Channel channel) {}

    /**
     * Sends HS1 to the gateway whose static public key is {@code gatewayPublicKey}; the caller has
     * already checked that key against the pinned fingerprint.
     */
    public static Started start(byte[] gatewayPublicKey, SecureRandom rng)
            throws ProtocolException {
        byte[] eseed = new byte[Primitives.XWING_ESEED_LEN];
        rng.nextBytes(eseed);
        XWingKeyPair ephemeral = XWingKeyPair.generate(rng);
        try {
            return start(gatewayPublicKey, ephemeral, eseed, null);
        } finally {
            Bytes.wipe(eseed);
        }
    }

    /**
     * The deterministic seam: the ephemeral key and encapsulation randomness are given, and the
     * key schedule may be traced. Production calls it only from {@link #start(byte[], SecureRandom)}
     * with no trace; the test kit (pq-crypto's test-jar, same package) calls it for vectors.
     */
    static Started start(byte[] gatewayPublicKey, XWingKeyPair ephemeral, byte[] eseed, Trace trace)
            throws ProtocolException {
        if (gatewayPublicKey.length != Wire.PK_LEN) {
            ephemeral.destroy();
            throw new ProtocolException(ErrorCode.INVALID_PUBLIC_KEY);
        }
        Primitives.Encapsulation enc;
        try {
            enc = Primitives.xwingEncapsulate(gatewayPublicKey, eseed);
        } catch (ProtocolException e) {
            ephemeral.destroy();
            throw e;
        }
        byte[] hello =
                Bytes.concat(
                        Wire.prefix(Wire.CLIENT_HELLO),
                        Fingerprint.of(gatewayPublicKey),
                        ephemeral.publicKey(),
                        enc.ciphertext());
        HopSchedule schedule = new HopSchedule(trace);
        Trace.put(trace, "ss_s", enc.sharedSecret());
        schedule.clientHello(hello, enc.sharedSecret());
        Bytes.wipe(enc.sharedSecret());
        return new Started(hello, new AwaitingServerHello(ephemeral, schedule, trace));
    }

    /** Waits for HS2 ServerHello. */
    public static final class AwaitingServerHello {
        private final XWingKeyPair ephemeral;
        private final HopSchedule schedule;
        private final Trace trace;
        private boolean used;

        private AwaitingServerHello(XWingKeyPair ephemeral, HopSchedule schedule, Trace trace) {
            this.ephemeral = ephemeral;
            this.schedule = schedule;
            this.trace = trace;
        }

        public Established receive(byte[] serverHello) throws ProtocolException {
            if (used) {
                throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE);
            }
            used = true;
            try {
                Wire.checkFrame(serverHello, Wire.SERVER_HELLO, Wire.SERVER_HELLO_LEN);
                Wire.checkVersionAndSuite(serverHello);
                byte[] ctE = Wire.slice(serverHello, Wire.PREFIX_LEN, Wire.CT_LEN);
                byte[] ssE = ephemeral.decapsulate(ctE);
                Trace.put(trace, "ss_e", ssE);
                byte[] expected =
                        schedule.serverHello(
                                Wire.slice(
                                        serverHello, 0, Wire.SERVER_HELLO_LEN - Wire.CONFIRM_LEN),
                                ssE);
                Bytes.wipe(ssE);
                byte[] got =
                        Wire.slice(
                                serverHello,
                                Wire.SERVER_HELLO_LEN - Wire.CONFIRM_LEN,
                                Wire.CONFIRM_LEN);
                if (!Bytes.constantTimeEquals(expected, got)) {
                    throw new ProtocolException(ErrorCode.CONFIRMATION_FAILED);
                }
                byte[] clientConfirm = schedule.serverConfirmed(got);
                byte[] finished = Bytes.concat(new byte[] {Wire.CLIENT_FINISHED}, clientConfirm);
                HopSchedule.Secrets s = schedule.finish(clientConfirm);
                Channel channel =
                        new Channel(
                                s.c2s(),
                                s.s2c(),
                                s.handshakeHash(),
                                RecordFormat.HOP_MAX_PLAINTEXT);
                Bytes.wipe(s.c2s(), s.s2c());
                return new Established(finished, channel);
            } finally {
                schedule.destroy();
                ephemeral.destroy();
            }
        }
    }
}

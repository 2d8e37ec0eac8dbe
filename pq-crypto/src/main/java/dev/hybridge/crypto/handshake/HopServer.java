package dev.hybridge.crypto.handshake;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.kdf.HopSchedule;
import dev.hybridge.crypto.kdf.Trace;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.crypto.record.RecordFormat;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

/**
 * The gateway side of the hop handshake (spec/hop-handshake.md). A {@code HopServer} holds the
 * gateway's static keys and is shared by all connections; each connection walks {@link
 * #receiveClientHello} -> {@link AwaitingClientFinished} -> {@link Channel}.
 */
public final class HopServer {
    private final List<XWingKeyPair> keys;
    private final List<byte[]> keyIds;

    /** @param keys the static keys clients may address (the current one first) */
    public HopServer(List<XWingKeyPair> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("at least one static key");
        }
        this.keys = List.copyOf(keys);
        this.keyIds = this.keys.stream().map(XWingKeyPair::fingerprint).toList();
    }

    /** The ServerHello to send and the state that waits for ClientFinished. */
    public record Accepted(byte[] serverHello, AwaitingClientFinished next) {}

    /** HS1 from a client: validates it and answers with HS2. */
    public Accepted receiveClientHello(byte[] clientHello, SecureRandom rng)
            throws ProtocolException {
        byte[] eseed = new byte[Primitives.XWING_ESEED_LEN];
        rng.nextBytes(eseed);
        try {
            return receive(clientHello, eseed, null);
        } finally {
            Bytes.wipe(eseed);
        }
    }

    /**
     * The deterministic seam: the encapsulation randomness is given, and the key schedule may be
     * traced. Production calls it only with fresh randomness and no trace; the test kit
     * (pq-crypto's test-jar, same package) calls it for vectors.
     */
    Accepted receive(byte[] hello, byte[] eseed, Trace trace) throws ProtocolException {
        Wire.checkFrame(hello, Wire.CLIENT_HELLO, Wire.CLIENT_HELLO_LEN);
        Wire.checkVersionAndSuite(hello);
        XWingKeyPair key = keyFor(Wire.slice(hello, Wire.PREFIX_LEN, Wire.KEY_ID_LEN));
        int off = Wire.PREFIX_LEN + Wire.KEY_ID_LEN;
        byte[] epk = Wire.slice(hello, off, Wire.PK_LEN);
        byte[] ctS = Wire.slice(hello, off + Wire.PK_LEN, Wire.CT_LEN);
        // Encapsulate to the client's ephemeral first: an invalid epk is INVALID_PUBLIC_KEY
        // whatever ct_s holds, as the check order in the spec says.
        Primitives.Encapsulation toClient = Primitives.xwingEncapsulate(epk, eseed);
        byte[] ssS = null;
        HopSchedule schedule = new HopSchedule(trace);
        try {
            ssS = key.decapsulate(ctS);
            Trace.put(trace, "ss_s", ssS);
            Trace.put(trace, "ss_e", toClient.sharedSecret());
            schedule.clientHello(hello, ssS);
            byte[] body = Bytes.concat(Wire.prefix(Wire.SERVER_HELLO), toClient.ciphertext());
            byte[] serverConfirm = schedule.serverHello(body, toClient.sharedSecret());
            byte[] clientConfirm = schedule.serverConfirmed(serverConfirm);
            return new Accepted(
                    Bytes.concat(body, serverConfirm),
                    new AwaitingClientFinished(schedule, clientConfirm));
        } catch (ProtocolException | RuntimeException e) {
            schedule.destroy();
            throw e;
        } finally {
            Bytes.wipe(ssS, toClient.sharedSecret());
        }
    }

    private XWingKeyPair keyFor(byte[] keyId) throws ProtocolException {
        for (int i = 0; i < keys.size(); i++) {
            if (Arrays.equals(keyIds.get(i), keyId)) { // key ids are public
                return keys.get(i);
            }
        }
        throw new ProtocolException(ErrorCode.UNKNOWN_GATEWAY_KEY);
    }

    /** Waits for HS3 ClientFinished; nothing else may arrive before it. */
    public static final class AwaitingClientFinished {
        private final HopSchedule schedule;
        private final byte[] expectedConfirm;
        private boolean used;

        private AwaitingClientFinished(HopSchedule schedule, byte[] expectedConfirm) {
            this.schedule = schedule;
            this.expectedConfirm = expectedConfirm;
        }

        public Channel receive(byte[] clientFinished) throws ProtocolException {
            if (used) {
                throw new ProtocolException(ErrorCode.UNEXPECTED_MESSAGE);
            }
            used = true;
            try {
                Wire.checkFrame(clientFinished, Wire.CLIENT_FINISHED, Wire.FINISHED_LEN);
                byte[] got = Wire.slice(clientFinished, 1, Wire.CONFIRM_LEN);
                if (!Bytes.constantTimeEquals(expectedConfirm, got)) {
                    throw new ProtocolException(ErrorCode.CONFIRMATION_FAILED);
                }
                HopSchedule.Secrets s = schedule.finish(got);
                Channel channel =
                        new Channel(
                                s.s2c(),
                                s.c2s(),
                                s.handshakeHash(),
                                RecordFormat.HOP_MAX_PLAINTEXT);
                Bytes.wipe(s.c2s(), s.s2c());
                return channel;
            } finally {
                schedule.destroy();
                Bytes.wipe(expectedConfirm);
            }
        }

        /** Abandons the handshake (timeout, connection closed) and wipes its secrets. */
        public void abandon() {
            used = true;
            schedule.destroy();
            Bytes.wipe(expectedConfirm);
        }
    }
}

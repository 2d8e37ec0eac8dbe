package dev.hybridge.gateway.sfu;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The ids the gateway derives for Janus (spec/sfu.md §4). */
public final class SfuIds {
    private SfuIds() {}

    /** Gateway-local label (no other party computes it, so it is not in spec/labels.md). */
    static final byte[] ROOM_LABEL = "hybridge/v1/sfu room".getBytes(StandardCharsets.US_ASCII);

    private static final long MOD = (1L << 53) - 1;

    /** {@code 1 + (u64(x) mod (2^53 - 1))}, with x read as an unsigned 64-bit integer. */
    static long toId(long x) {
        return 1 + Long.remainderUnsigned(x, MOD);
    }

    /** feed_id = 1 + (u64(peer_id) mod (2^53 - 1)). */
    public static long feedId(long peerId) {
        return toId(peerId);
    }

    /** janus_room = 1 + (u64(HMAC(sfu_secret, label || room_id)[0:8]) mod (2^53 - 1)). */
    public static long janusRoom(byte[] sfuSecret, byte[] roomId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(sfuSecret, "HmacSHA256"));
            mac.update(ROOM_LABEL);
            byte[] h = mac.doFinal(roomId);
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (h[i] & 0xFF);
            }
            return toId(v);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}

package dev.hybridge.gateway.room;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An opaque 32-byte room id as a map key. {@link #toString()} gives only a short hash prefix:
 * the id itself is what admits a peer to a room, so it never goes into logs.
 */
public final class RoomId {
    private final byte[] id;
    private final int hash;

    public RoomId(byte[] id) {
        this.id = id.clone();
        this.hash = Arrays.hashCode(this.id);
    }

    /** The id's 32 bytes (a copy), for a cluster node to pass on inside sealed bus messages. */
    public byte[] bytes() {
        return id.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RoomId r && Arrays.equals(id, r.id);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** "room:" and the first 4 bytes of SHA-256(id), hex: enough to correlate log lines, useless to join. */
    @Override
    public String toString() {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(id);
            return "room:" + HexFormat.of().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            return "room:?";
        }
    }
}

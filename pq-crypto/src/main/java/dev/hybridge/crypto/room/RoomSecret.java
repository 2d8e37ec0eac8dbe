package dev.hybridge.crypto.room;

import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.kdf.Kdf;
import dev.hybridge.crypto.kdf.Labels;
import java.security.SecureRandom;

/**
 * The 32-byte room secret from the link's #fragment and what derives from it
 * (spec/room-secret.md): the room id the gateway sees and the PSK it never sees.
 */
public final class RoomSecret {
    public static final int LEN = 32;

    private final byte[] roomId;
    private final byte[] psk;

    private RoomSecret(byte[] secret) {
        if (secret.length != LEN) {
            throw new IllegalArgumentException("room secret must be " + LEN + " bytes");
        }
        byte[] prk = Kdf.extract(Labels.ROOM_SALT.bytes(), secret);
        this.roomId = Kdf.expand(prk, Labels.ROOM_ID, Primitives.HASH_LEN);
        this.psk = Kdf.expand(prk, Labels.ROOM_PSK, Primitives.HASH_LEN);
        Bytes.wipe(prk);
    }

    public static RoomSecret of(byte[] secret) {
        return new RoomSecret(secret);
    }

    public static byte[] generate(SecureRandom rng) {
        byte[] s = new byte[LEN];
        rng.nextBytes(s);
        return s;
    }

    public byte[] roomId() {
        return roomId.clone();
    }

    public byte[] psk() {
        return psk.clone();
    }

    public void destroy() {
        Bytes.wipe(psk);
    }

    @Override
    public String toString() {
        return "RoomSecret[hidden]";
    }
}

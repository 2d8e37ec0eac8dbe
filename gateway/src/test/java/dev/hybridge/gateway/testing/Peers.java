package dev.hybridge.gateway.testing;

import dev.hybridge.crypto.XWingKeyPair;
import java.security.SecureRandom;

/** Test helpers for peers' announced keys. */
public final class Peers {
    private static final SecureRandom RNG = new SecureRandom();

    private Peers() {}

    /** A fresh per-session X-Wing public key, as a peer announces at JOIN. */
    public static byte[] key() {
        return XWingKeyPair.generate(RNG).publicKey();
    }

    public static byte[] roomId() {
        byte[] id = new byte[32];
        RNG.nextBytes(id);
        return id;
    }
}

package dev.hybridge.crypto;

import dev.hybridge.crypto.internal.Bytes;
import dev.hybridge.crypto.internal.Primitives;
import java.security.SecureRandom;

/**
 * An X-Wing key pair held as its 32-byte seed (the draft's private key format) and the derived
 * 1216-byte public key. Used for the gateway's static key and for peers' per-session keys.
 * {@link #toString()} never shows the seed.
 */
public final class XWingKeyPair {
    public static final int SEED_LEN = Primitives.XWING_SEED_LEN;
    public static final int PUBLIC_KEY_LEN = Primitives.XWING_PK_LEN;

    private final byte[] seed;
    private final Primitives.XWingPrivateKey expanded;
    private final byte[] publicKey;
    private volatile boolean destroyed;

    private XWingKeyPair(byte[] seed) {
        this.seed = seed.clone();
        // Expanded once: decapsulation then skips ML-KEM and X25519 key generation, which a
        // gateway would otherwise repeat in every handshake.
        this.expanded = new Primitives.XWingPrivateKey(this.seed);
        this.publicKey = expanded.publicKey();
    }

    public static XWingKeyPair generate(SecureRandom rng) {
        byte[] seed = new byte[SEED_LEN];
        rng.nextBytes(seed);
        try {
            return new XWingKeyPair(seed);
        } finally {
            Bytes.wipe(seed);
        }
    }

    /** X-Wing GenerateKeyPairDerand: the key pair of a 32-byte seed. */
    public static XWingKeyPair fromSeed(byte[] seed) {
        if (seed.length != SEED_LEN) {
            throw new IllegalArgumentException("X-Wing seed must be " + SEED_LEN + " bytes");
        }
        return new XWingKeyPair(seed);
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** SHA-256 of the public key (spec/primitives.md). */
    public byte[] fingerprint() {
        return Fingerprint.of(publicKey);
    }

    /** The secret seed, for writing an owner-only key file. The caller wipes the copy. */
    public byte[] exportSecretSeed() {
        checkLive();
        return seed.clone();
    }

    /** Decapsulates with this key; see {@link Primitives#xwingDecapsulate}. */
    public byte[] decapsulate(byte[] ciphertext) throws ProtocolException {
        checkLive();
        return expanded.decapsulate(ciphertext);
    }

    /** Wipes the seed and drops the expanded key (see {@link Primitives.XWingPrivateKey#forget()}). */
    public void destroy() {
        destroyed = true;
        Bytes.wipe(seed);
        expanded.forget();
    }

    private void checkLive() {
        if (destroyed) {
            throw new IllegalStateException("key destroyed");
        }
    }

    @Override
    public String toString() {
        return "XWingKeyPair[fingerprint=" + Fingerprint.toHex(fingerprint()) + "]";
    }
}

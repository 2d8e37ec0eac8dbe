package dev.hybridge.crypto.kdf;

import dev.hybridge.crypto.internal.Primitives;

/** The key-schedule vocabulary of the spec (spec/primitives.md): H, Extract, Expand with labels. */
public final class Kdf {
    private Kdf() {}

    /** H(parts...) = SHA-256 over the concatenation. */
    public static byte[] hash(byte[]... parts) {
        return Primitives.sha256(parts);
    }

    public static byte[] extract(byte[] salt, byte[] ikm) {
        return Primitives.hkdfExtract(salt, ikm);
    }

    /** Expand(prk, label, length): the info is the label's ASCII bytes and nothing else. */
    public static byte[] expand(byte[] prk, Labels label, int length) {
        return Primitives.hkdfExpand(prk, label.bytes(), length);
    }

    public static byte[] hmac(byte[] key, byte[] data) {
        return Primitives.hmacSha256(key, data);
    }
}

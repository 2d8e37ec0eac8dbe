package dev.hybridge.crypto;

import dev.hybridge.crypto.internal.Primitives;
import java.util.Base64;
import java.util.HexFormat;

/** Fingerprints of X-Wing public keys: SHA-256(pk), shown as grouped hex or base64url (spec/primitives.md). */
public final class Fingerprint {
    public static final int LEN = 32;

    private Fingerprint() {}

    public static byte[] of(byte[] publicKey) {
        return Primitives.sha256(publicKey);
    }

    /** 64 lowercase hex characters. */
    public static String toHex(byte[] fingerprint) {
        return HexFormat.of().formatHex(fingerprint);
    }

    /** Hex in groups of four, space separated: what people read aloud and compare. */
    public static String toDisplay(byte[] fingerprint) {
        String hex = toHex(fingerprint);
        StringBuilder sb = new StringBuilder(hex.length() + hex.length() / 4);
        for (int i = 0; i < hex.length(); i += 4) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(hex, i, i + 4);
        }
        return sb.toString();
    }

    /** base64url without padding (43 characters): the form used in invite links. */
    public static String toBase64Url(byte[] fingerprint) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(fingerprint);
    }
}

package dev.hybridge.crypto.published;

import static dev.hybridge.crypto.testing.SharedVectors.assertHex;
import static dev.hybridge.crypto.testing.VectorRun.expectProtocolException;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.internal.Primitives.Gcm;
import dev.hybridge.crypto.testing.SharedVectors;
import dev.hybridge.crypto.testing.SharedVectors.WycheproofCase;
import dev.hybridge.crypto.testing.VectorRun;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * AES-GCM against Wycheproof aes_gcm_test.json.
 *
 * <p>The Hybridge protocol only ever uses AES-256 keys, 96-bit nonces and 128-bit tags
 * ({@link Primitives#AES_KEY_LEN}, {@link Primitives#GCM_NONCE_LEN}, {@link Primitives#GCM_TAG_LEN}),
 * so vectors with exactly those sizes go through the protocol's own {@code seal} / {@code open}
 * and an invalid one must fail with RECORD_AUTH_FAILED. Vectors with other key, IV or tag sizes
 * are outside the protocol; they are checked through {@code openWithTagBits} (and through
 * {@code seal} where the tag is 128 bits, since {@code seal} always emits a 16-byte tag) only to
 * show the JDK primitive underneath is sound. Any vector this class cannot exercise is counted
 * as skipped with its reason, and the counts are printed.
 */
class AesGcmVectorsTest {
    private static final String FILE = "wycheproof/aes_gcm_test.json";
    private static final String SCHEMA = "aead_test_schema_v1.json";

    /** Tag lengths the JDK's GCMParameterSpec accepts (SunJCE: 96, 104, 112, 120, 128 bits). */
    private static final Set<Integer> JDK_TAG_BITS = Set.of(96, 104, 112, 120, 128);

    private static boolean protocolProfile(WycheproofCase c) {
        return c.groupInt("keySize") == Primitives.AES_KEY_LEN * 8
                && c.groupInt("ivSize") == Primitives.GCM_NONCE_LEN * 8
                && c.groupInt("tagSize") == Primitives.GCM_TAG_LEN * 8;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void checkSizes(WycheproofCase c, byte[] key, byte[] iv, byte[] tag) {
        if (key.length * 8 != c.groupInt("keySize")
                || iv.length * 8 != c.groupInt("ivSize")
                || tag.length * 8 != c.groupInt("tagSize")) {
            throw new AssertionError(
                    "field sizes disagree with the group's keySize/ivSize/tagSize");
        }
    }

    /** AES-256, 96-bit nonce, 128-bit tag: the only sizes the protocol uses. */
    @Test
    void protocolProfileSealAndOpen() {
        List<WycheproofCase> cases =
                SharedVectors.wycheproof(FILE, SCHEMA).stream()
                        .filter(AesGcmVectorsTest::protocolProfile)
                        .toList();
        VectorRun run = new VectorRun("AES-256-GCM 96-bit IV 128-bit tag (Wycheproof)");
        for (WycheproofCase c : cases) {
            run.check(
                    c.id(),
                    c.result(),
                    () -> {
                        byte[] key = c.hex("key");
                        byte[] iv = c.hex("iv");
                        byte[] aad = c.hex("aad");
                        byte[] msg = c.hex("msg");
                        byte[] tag = c.hex("tag");
                        checkSizes(c, key, iv, tag);
                        byte[] sealed = concat(c.hex("ct"), tag);
                        Gcm gcm = new Gcm(key);
                        switch (c.result()) {
                            case "valid" -> {
                                assertHex(
                                        sealed,
                                        gcm.seal(iv, aad, msg, 0, msg.length),
                                        "seal: ct || tag");
                                assertHex(
                                        msg,
                                        gcm.open(iv, aad, sealed, 0, sealed.length),
                                        "open: msg");
                            }
                            case "invalid" ->
                                    expectProtocolException(
                                            ErrorCode.RECORD_AUTH_FAILED,
                                            () -> gcm.open(iv, aad, sealed, 0, sealed.length));
                            case "acceptable" -> {
                                try {
                                    assertHex(
                                            msg,
                                            gcm.open(iv, aad, sealed, 0, sealed.length),
                                            "open (acceptable, accepted)");
                                } catch (ProtocolException e) {
                                    if (e.code() != ErrorCode.RECORD_AUTH_FAILED) {
                                        throw new AssertionError(
                                                "acceptable vector rejected with " + e.code());
                                    }
                                }
                            }
                            default ->
                                    throw new AssertionError("unknown result '" + c.result() + "'");
                        }
                    });
        }
        // 39 valid (Ktv, Pseudorandom, SpecialCase) + 27 invalid (ModifiedTag).
        run.finish(66);
    }

    /**
     * Every other key / IV / tag size (AES-128 and -192 keys; IVs of 0 to 2056 bits). Not used
     * by the protocol. Valid: openWithTagBits must return msg, and seal must give ct || tag when
     * the tag is 128 bits. Invalid (modified tags, zero-length IVs): openWithTagBits must throw a
     * ProtocolException — RECORD_AUTH_FAILED for a bad tag, MALFORMED_MESSAGE where the JDK
     * refuses the parameters (an empty IV) before any tag check.
     */
    @Test
    void otherSizesViaOpenWithTagBits() {
        List<WycheproofCase> cases =
                SharedVectors.wycheproof(FILE, SCHEMA).stream()
                        .filter(c -> !protocolProfile(c))
                        .toList();
        VectorRun run = new VectorRun("AES-GCM other key/IV/tag sizes (Wycheproof)");
        for (WycheproofCase c : cases) {
            int tagBits = c.groupInt("tagSize");
            if (!JDK_TAG_BITS.contains(tagBits)) {
                run.skip(
                        c.id(),
                        tagBits + "-bit tag: the JDK's GCM refuses tags other than 96..128 bits");
                continue;
            }
            String category =
                    c.group().path("ivSize").asInt() == 0 ? c.result() + "/empty IV" : c.result();
            run.check(
                    c.id(),
                    category,
                    () -> {
                        byte[] key = c.hex("key");
                        byte[] iv = c.hex("iv");
                        byte[] aad = c.hex("aad");
                        byte[] msg = c.hex("msg");
                        byte[] tag = c.hex("tag");
                        checkSizes(c, key, iv, tag);
                        byte[] sealed = concat(c.hex("ct"), tag);
                        Gcm gcm = new Gcm(key);
                        switch (c.result()) {
                            case "valid" -> {
                                assertHex(
                                        msg,
                                        gcm.openWithTagBits(iv, aad, sealed, tagBits),
                                        "openWithTagBits: msg");
                                if (tagBits == Primitives.GCM_TAG_LEN * 8) {
                                    assertHex(
                                            sealed,
                                            gcm.seal(iv, aad, msg, 0, msg.length),
                                            "seal: ct || tag");
                                }
                            }
                            case "invalid" -> {
                                ErrorCode expected =
                                        iv.length == 0
                                                ? ErrorCode.MALFORMED_MESSAGE
                                                : ErrorCode.RECORD_AUTH_FAILED;
                                expectProtocolException(
                                        expected,
                                        () -> gcm.openWithTagBits(iv, aad, sealed, tagBits));
                            }
                            case "acceptable" -> {
                                try {
                                    assertHex(
                                            msg,
                                            gcm.openWithTagBits(iv, aad, sealed, tagBits),
                                            "openWithTagBits (acceptable, accepted)");
                                } catch (ProtocolException rejected) {
                                    // rejecting an acceptable vector is allowed
                                }
                            }
                            default ->
                                    throw new AssertionError("unknown result '" + c.result() + "'");
                        }
                    });
        }
        // 316 in the file - 66 in the protocol profile; none skipped (all tags are 128 bits).
        run.finish(250);
        if (run.skippedCount() != 0) {
            throw new AssertionError(
                    "vectors skipped; update the expected counts: " + run.skippedCount());
        }
    }
}

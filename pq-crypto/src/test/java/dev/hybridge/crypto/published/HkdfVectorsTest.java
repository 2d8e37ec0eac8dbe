package dev.hybridge.crypto.published;

import static dev.hybridge.crypto.testing.SharedVectors.assertHex;
import static dev.hybridge.crypto.testing.SharedVectors.field;
import static dev.hybridge.crypto.testing.SharedVectors.hex;
import static dev.hybridge.crypto.testing.VectorRun.expectThrown;

import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.testing.SharedVectors;
import dev.hybridge.crypto.testing.SharedVectors.WycheproofCase;
import dev.hybridge.crypto.testing.VectorRun;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** HKDF-SHA-256 (hkdfExtract + hkdfExpand) against RFC 5869 Appendix A and Wycheproof. */
class HkdfVectorsTest {

    @Test
    void rfc5869AppendixA() {
        List<Map<String, String>> records =
                SharedVectors.nistRecords("rfc5869-hkdf/rfc-5869-HKDF-SHA256.txt");
        VectorRun run = new VectorRun("HKDF-SHA256 RFC 5869 A.1-A.3");
        for (Map<String, String> r : records) {
            run.check(
                    "A." + r.get("COUNT"),
                    () -> {
                        if (!field(r, "Hash").equals("SHA-256")) {
                            throw new AssertionError("unexpected Hash " + r.get("Hash"));
                        }
                        byte[] prk =
                                Primitives.hkdfExtract(hex(field(r, "salt")), hex(field(r, "IKM")));
                        assertHex(hex(field(r, "PRK")), prk, "PRK");
                        assertHex(
                                hex(field(r, "OKM")),
                                Primitives.hkdfExpand(
                                        prk,
                                        hex(field(r, "info")),
                                        Integer.parseInt(field(r, "L"))),
                                "OKM");
                    });
        }
        run.finish(3);
    }

    /**
     * Wycheproof hkdf_sha256_test.json. The only "invalid" kind is SizeTooLarge (size > 255 *
     * HashLen), for which hkdfExpand's IllegalArgumentException is the expected rejection.
     */
    @Test
    void wycheproof() {
        List<WycheproofCase> cases =
                SharedVectors.wycheproof(
                        "wycheproof/hkdf_sha256_test.json", "hkdf_test_schema_v1.json");
        VectorRun run = new VectorRun("HKDF-SHA256 (Wycheproof)");
        for (WycheproofCase c : cases) {
            run.check(
                    c.id(),
                    c.result(),
                    () -> {
                        byte[] ikm = c.hex("ikm");
                        if (ikm.length * 8 != c.groupInt("keySize")) {
                            throw new AssertionError(
                                    "ikm is "
                                            + ikm.length
                                            + " bytes in a keySize "
                                            + c.groupInt("keySize")
                                            + " group");
                        }
                        byte[] salt = c.hex("salt");
                        byte[] info = c.hex("info");
                        int size = c.test().path("size").asInt(-1);
                        switch (c.result()) {
                            case "valid" ->
                                    assertHex(
                                            c.hex("okm"),
                                            Primitives.hkdfExpand(
                                                    Primitives.hkdfExtract(salt, ikm), info, size),
                                            "okm");
                            case "invalid" -> {
                                byte[] prk = Primitives.hkdfExtract(salt, ikm);
                                expectThrown(
                                        IllegalArgumentException.class,
                                        () -> Primitives.hkdfExpand(prk, info, size));
                            }
                            case "acceptable" -> {
                                try {
                                    assertHex(
                                            c.hex("okm"),
                                            Primitives.hkdfExpand(
                                                    Primitives.hkdfExtract(salt, ikm), info, size),
                                            "okm (acceptable, accepted)");
                                } catch (IllegalArgumentException rejected) {
                                    // rejecting an acceptable vector is allowed
                                }
                            }
                            default ->
                                    throw new AssertionError("unknown result '" + c.result() + "'");
                        }
                    });
        }
        run.finish(86);
    }
}

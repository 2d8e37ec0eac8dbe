package dev.hybridge.crypto.published;

import static dev.hybridge.crypto.testing.SharedVectors.assertHex;
import static dev.hybridge.crypto.testing.SharedVectors.hex;
import static dev.hybridge.crypto.testing.VectorRun.expectProtocolException;
import static dev.hybridge.crypto.testing.VectorRun.expectThrown;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.internal.Primitives.Encapsulation;
import dev.hybridge.crypto.testing.SharedVectors;
import dev.hybridge.crypto.testing.SharedVectors.WycheproofCase;
import dev.hybridge.crypto.testing.VectorRun;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ML-KEM-768 (final FIPS 203) against Wycheproof (keygen from seed, deterministic encaps, decaps
 * including implicit rejection) and the C2SP CCTV modulus-check keys.
 *
 * <p>Result handling, per the Wycheproof schemas: "valid" must produce exactly the published
 * output; "invalid" must be rejected; "acceptable" (none in these files today) may go either way
 * but if accepted must match. Any other value fails the vector.
 */
class MlKemVectorsTest {
    private static final int EK_LEN = 1184;
    private static final int CT_LEN = 1088;
    private static final int SEED_LEN = 64;

    @Test
    void keyGenFromSeed() {
        List<WycheproofCase> cases =
                SharedVectors.wycheproof(
                        "wycheproof/mlkem_768_keygen_seed_test.json",
                        "mlkem_keygen_seed_test_schema.json");
        VectorRun run = new VectorRun("ML-KEM-768 keygen from seed (Wycheproof)");
        for (WycheproofCase c : cases) {
            run.check(
                    c.id(),
                    c.result(),
                    () -> {
                        requireParameterSet(c);
                        switch (c.result()) {
                            case "valid" ->
                                    assertHex(
                                            c.hex("ek"),
                                            Primitives.mlkem768PublicKey(c.hex("seed")),
                                            "ek");
                            case "invalid", "acceptable" ->
                                    throw new AssertionError(
                                            "keygen-from-seed vector with result "
                                                    + c.result()
                                                    + ": no rejection path is defined for it; extend this test");
                            default ->
                                    throw new AssertionError("unknown result '" + c.result() + "'");
                        }
                    });
        }
        run.finish(100);
    }

    @Test
    void encapsulation() {
        List<WycheproofCase> cases =
                SharedVectors.wycheproof(
                        "wycheproof/mlkem_768_encaps_test.json", "mlkem_encaps_test_schema.json");
        VectorRun run = new VectorRun("ML-KEM-768 encaps (Wycheproof)");
        for (WycheproofCase c : cases) {
            run.check(
                    c.id(),
                    c.result(),
                    () -> {
                        requireParameterSet(c);
                        byte[] ek = c.hex("ek");
                        byte[] m = c.hex("m");
                        switch (c.result()) {
                            case "valid" -> {
                                if (!Primitives.mlkemPublicKeyValid(ek, 0)) {
                                    throw new AssertionError(
                                            "mlkemPublicKeyValid refused a valid ek");
                                }
                                Encapsulation enc = Primitives.mlkem768Encapsulate(ek, m);
                                assertHex(c.hex("c"), enc.ciphertext(), "c");
                                assertHex(c.hex("K"), enc.sharedSecret(), "K");
                            }
                            case "invalid" -> {
                                // Modulus overflow ("Public key not reduced", ModulusOverflow) or a
                                // bad length.
                                if (ek.length == EK_LEN && Primitives.mlkemPublicKeyValid(ek, 0)) {
                                    throw new AssertionError(
                                            "mlkemPublicKeyValid accepted an invalid ek");
                                }
                                expectProtocolException(
                                        ErrorCode.INVALID_PUBLIC_KEY,
                                        () -> Primitives.mlkem768Encapsulate(ek, m));
                            }
                            case "acceptable" -> {
                                try {
                                    Encapsulation enc = Primitives.mlkem768Encapsulate(ek, m);
                                    assertHex(
                                            c.hex("c"),
                                            enc.ciphertext(),
                                            "c (acceptable, accepted)");
                                    assertHex(
                                            c.hex("K"),
                                            enc.sharedSecret(),
                                            "K (acceptable, accepted)");
                                } catch (ProtocolException rejected) {
                                    // rejecting an acceptable vector is allowed
                                }
                            }
                            default ->
                                    throw new AssertionError("unknown result '" + c.result() + "'");
                        }
                    });
        }
        run.finish(265);
    }

    /**
     * Decapsulation with the key expanded from its 64-byte seed. All 153 valid vectors must give
     * K, including the implicit-rejection ones (random / bit-flipped ciphertexts, CCTV strcmp),
     * where K is the rejection key J(z || c). The published ek is checked against keygen too.
     *
     * <p>Invalid vectors are wrong lengths. A wrong ciphertext length is network input and must be
     * a ProtocolException(MALFORMED_MESSAGE). A wrong seed length is a local key-handling error
     * (the seed never comes from the wire), which the wrapper reports with
     * IllegalArgumentException, so that is the rejection expected for those.
     */
    @Test
    void decapsulation() {
        List<WycheproofCase> cases =
                SharedVectors.wycheproof(
                        "wycheproof/mlkem_768_test.json", "mlkem_test_schema.json");
        VectorRun run = new VectorRun("ML-KEM-768 decaps (Wycheproof)");
        for (WycheproofCase c : cases) {
            String category = c.result() + (c.flags().contains("Strcmp") ? "/strcmp" : "");
            run.check(
                    c.id(),
                    category,
                    () -> {
                        requireParameterSet(c);
                        byte[] seed = c.hex("seed");
                        byte[] ct = c.hex("c");
                        switch (c.result()) {
                            case "valid" -> {
                                assertHex(
                                        c.hex("ek"),
                                        Primitives.mlkem768PublicKey(seed),
                                        "ek from seed");
                                assertHex(
                                        c.hex("K"), Primitives.mlkem768Decapsulate(seed, ct), "K");
                            }
                            case "invalid" -> {
                                if (seed.length != SEED_LEN) {
                                    expectThrown(
                                            IllegalArgumentException.class,
                                            () -> Primitives.mlkem768Decapsulate(seed, ct));
                                } else if (ct.length != CT_LEN) {
                                    expectProtocolException(
                                            ErrorCode.MALFORMED_MESSAGE,
                                            () -> Primitives.mlkem768Decapsulate(seed, ct));
                                } else {
                                    throw new AssertionError(
                                            "invalid vector with well-formed lengths: ML-KEM decaps has no failure path"
                                                    + " (implicit rejection); decide what the wrapper should do and extend this test");
                                }
                            }
                            case "acceptable" -> {
                                try {
                                    assertHex(
                                            c.hex("K"),
                                            Primitives.mlkem768Decapsulate(seed, ct),
                                            "K (acceptable, accepted)");
                                } catch (ProtocolException | IllegalArgumentException rejected) {
                                    // rejecting an acceptable vector is allowed
                                }
                            }
                            default ->
                                    throw new AssertionError("unknown result '" + c.result() + "'");
                        }
                    });
        }
        run.finish(193);
    }

    /**
     * C2SP CCTV ML-KEM/modulus: 780 encapsulation keys, each with one coefficient in q..4095.
     * Every one must fail mlkemPublicKeyValid, be refused by mlkem768Encapsulate with
     * INVALID_PUBLIC_KEY, and — placed as the ML-KEM half of an X-Wing public key — be refused by
     * xwingEncapsulate too (the path the protocol actually uses).
     */
    @Test
    void cctvModulusKeysRejected() {
        List<String> lines = SharedVectors.lines("cctv-mlkem/modulus-ML-KEM-768.txt.gz");
        // A genuine X25519 public key to complete the X-Wing keys (from the X-Wing draft vector 0).
        byte[] xwingPk0 = hex(SharedVectors.json("xwing/test-vectors.json").get(0), "pk");
        byte[] x25519Part = Arrays.copyOfRange(xwingPk0, EK_LEN, Primitives.XWING_PK_LEN);
        byte[] m = new byte[32];
        byte[] eseed = new byte[Primitives.XWING_ESEED_LEN];
        Arrays.fill(eseed, (byte) 0x42);

        VectorRun run = new VectorRun("ML-KEM-768 CCTV modulus keys");
        int lineNo = 0;
        for (String line : lines) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            run.check(
                    "line " + lineNo,
                    () -> {
                        byte[] ek = hex(line.strip());
                        if (ek.length != EK_LEN) {
                            throw new AssertionError(
                                    "key is " + ek.length + " bytes, expected " + EK_LEN);
                        }
                        if (Primitives.mlkemPublicKeyValid(ek, 0)) {
                            throw new AssertionError("mlkemPublicKeyValid accepted it");
                        }
                        expectProtocolException(
                                ErrorCode.INVALID_PUBLIC_KEY,
                                () -> Primitives.mlkem768Encapsulate(ek, m));
                        byte[] xwingPk = new byte[Primitives.XWING_PK_LEN];
                        System.arraycopy(ek, 0, xwingPk, 0, EK_LEN);
                        System.arraycopy(x25519Part, 0, xwingPk, EK_LEN, x25519Part.length);
                        expectProtocolException(
                                ErrorCode.INVALID_PUBLIC_KEY,
                                () -> Primitives.xwingEncapsulate(xwingPk, eseed));
                    });
        }
        run.finish(780);
    }

    private static void requireParameterSet(WycheproofCase c) {
        String ps = c.group().path("parameterSet").asText();
        if (!ps.equals("ML-KEM-768")) {
            throw new AssertionError("unexpected parameterSet " + ps);
        }
    }
}

package dev.hybridge.crypto.published;

import static dev.hybridge.crypto.testing.SharedVectors.assertHex;
import static dev.hybridge.crypto.testing.SharedVectors.field;
import static dev.hybridge.crypto.testing.SharedVectors.hex;
import static dev.hybridge.crypto.testing.VectorRun.expectProtocolException;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.testing.SharedVectors;
import dev.hybridge.crypto.testing.SharedVectors.WycheproofCase;
import dev.hybridge.crypto.testing.VectorRun;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** X25519 against RFC 7748 (§5.2 single and iterated vectors, §6.1 DH) and Wycheproof. */
class X25519VectorsTest {
    private static final String ITERATED = "rfc7748-x25519/rfc7748-sec5.2-iterated-and-sec6.1.json";
    private static final byte[] BASE_POINT = basePoint();

    private static byte[] basePoint() {
        byte[] b = new byte[32];
        b[0] = 9;
        return b;
    }

    @Test
    void rfc7748SingleVectors() {
        List<Map<String, String>> records = SharedVectors.nistRecords("rfc7748-x25519/rfc7748.txt");
        VectorRun run = new VectorRun("X25519 RFC 7748 §5.2 single");
        for (Map<String, String> r : records) {
            run.check(
                    "COUNT " + r.get("COUNT"),
                    () ->
                            assertHex(
                                    hex(field(r, "OUTPUT_U")),
                                    Primitives.x25519(
                                            hex(field(r, "INPUT_SCALAR")),
                                            hex(field(r, "INPUT_U"))),
                                    "OUTPUT_U"));
        }
        run.finish(3);
    }

    /** §5.2 iteration: k = u = 9; each round r = X25519(k, u); u = k; k = r. */
    @Test
    void rfc7748Iterated1And1000() {
        JsonNode it = SharedVectors.json(ITERATED).path("iterated");
        VectorRun run = new VectorRun("X25519 RFC 7748 §5.2 iterated (1, 1000)");
        run.check(
                "1 iteration",
                () -> assertHex(hex(it, "after_1"), iterate(it, 1), "after 1 iteration"));
        run.check(
                "1000 iterations",
                () ->
                        assertHex(
                                hex(it, "after_1000"),
                                iterate(it, 1000),
                                "after 1,000 iterations"));
        run.finish(2);
    }

    /** The 1,000,000-iteration value takes minutes; run it with -Dhybridge.slow=true. */
    @Test
    void rfc7748IteratedMillion() {
        Assumptions.assumeTrue(
                Boolean.getBoolean("hybridge.slow"),
                "1,000,000-iteration X25519 vector skipped; set -Dhybridge.slow=true");
        JsonNode it = SharedVectors.json(ITERATED).path("iterated");
        VectorRun run = new VectorRun("X25519 RFC 7748 §5.2 iterated (1,000,000)");
        run.check(
                "1000000 iterations",
                () ->
                        assertHex(
                                hex(it, "after_1000000"),
                                iterate(it, 1_000_000),
                                "after 1,000,000 iterations"));
        run.finish(1);
    }

    private static byte[] iterate(JsonNode it, int rounds) throws ProtocolException {
        byte[] k = hex(it, "initial_k");
        byte[] u = hex(it, "initial_u");
        for (int i = 0; i < rounds; i++) {
            byte[] r = Primitives.x25519(k, u);
            u = k;
            k = r;
        }
        return k;
    }

    @Test
    void rfc7748Section61DiffieHellman() {
        JsonNode dh = SharedVectors.json(ITERATED).path("dh_6_1");
        VectorRun run = new VectorRun("X25519 RFC 7748 §6.1 Alice/Bob");
        run.check(
                "Alice public",
                () ->
                        assertHex(
                                hex(dh, "alice_public"),
                                Primitives.x25519(hex(dh, "alice_private"), BASE_POINT),
                                "alice_public"));
        run.check(
                "Bob public",
                () ->
                        assertHex(
                                hex(dh, "bob_public"),
                                Primitives.x25519(hex(dh, "bob_private"), BASE_POINT),
                                "bob_public"));
        run.check(
                "Alice shared",
                () ->
                        assertHex(
                                hex(dh, "shared_secret"),
                                Primitives.x25519(hex(dh, "alice_private"), hex(dh, "bob_public")),
                                "K (Alice)"));
        run.check(
                "Bob shared",
                () ->
                        assertHex(
                                hex(dh, "shared_secret"),
                                Primitives.x25519(hex(dh, "bob_private"), hex(dh, "alice_public")),
                                "K (Bob)"));
        run.finish(4);
    }

    /**
     * Wycheproof x25519_test.json (XdhComp). "valid" must match. "acceptable" covers low-order,
     * twist and non-canonical public keys: our policy is to refuse an all-zero shared secret with
     * INVALID_PUBLIC_KEY, and every other acceptable case must match (u's top bit is masked, per
     * RFC 7748 §5). "invalid" must be rejected.
     */
    @Test
    void wycheproof() {
        List<WycheproofCase> cases =
                SharedVectors.wycheproof("wycheproof/x25519_test.json", "xdh_comp_schema_v1.json");
        VectorRun run = new VectorRun("X25519 (Wycheproof)");
        for (WycheproofCase c : cases) {
            byte[] shared = c.hex("shared");
            boolean zero = shared.length == 32 && Arrays.equals(shared, new byte[32]);
            String category =
                    switch (c.result()) {
                        case "acceptable" ->
                                zero ? "acceptable/zero-secret refused" : "acceptable/matched";
                        default -> c.result();
                    };
            run.check(
                    c.id(),
                    category,
                    () -> {
                        if (!c.group().path("curve").asText().equals("curve25519")) {
                            throw new AssertionError(
                                    "unexpected curve " + c.group().path("curve").asText());
                        }
                        byte[] priv = c.hex("private");
                        byte[] pub = c.hex("public");
                        switch (c.result()) {
                            case "valid" ->
                                    assertHex(shared, Primitives.x25519(priv, pub), "shared");
                            case "acceptable" -> {
                                if (zero) {
                                    expectProtocolException(
                                            ErrorCode.INVALID_PUBLIC_KEY,
                                            () -> Primitives.x25519(priv, pub));
                                } else {
                                    assertHex(shared, Primitives.x25519(priv, pub), "shared");
                                }
                            }
                            case "invalid" ->
                                    expectProtocolException(
                                            ErrorCode.INVALID_PUBLIC_KEY,
                                            () -> Primitives.x25519(priv, pub));
                            default ->
                                    throw new AssertionError("unknown result '" + c.result() + "'");
                        }
                    });
        }
        run.finish(518);
    }
}

package dev.hybridge.crypto.published;

import static dev.hybridge.crypto.testing.SharedVectors.assertHex;
import static dev.hybridge.crypto.testing.SharedVectors.hex;
import static dev.hybridge.crypto.testing.VectorRun.expectProtocolException;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.internal.Primitives;
import dev.hybridge.crypto.internal.Primitives.Encapsulation;
import dev.hybridge.crypto.testing.SharedVectors;
import dev.hybridge.crypto.testing.VectorRun;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * X-Wing against the draft's own vectors: draft-connolly-cfrg-xwing-kem-10, spec/test-vectors.json
 * ({seed, eseed, sk, pk, ct, ss}).
 */
class XWingVectorsTest {
    private static final String FILE = "xwing/test-vectors.json";
    private static final int VECTORS = 3;

    private record Vector(
            int index, byte[] seed, byte[] eseed, byte[] sk, byte[] pk, byte[] ct, byte[] ss) {}

    private static List<Vector> load() {
        List<Vector> out = new ArrayList<>();
        for (JsonNode v : SharedVectors.json(FILE)) {
            out.add(
                    new Vector(
                            out.size(),
                            hex(v, "seed"),
                            hex(v, "eseed"),
                            hex(v, "sk"),
                            hex(v, "pk"),
                            hex(v, "ct"),
                            hex(v, "ss")));
        }
        return out;
    }

    @Test
    void keyGenEncapsDecapsMatchDraftVectors() {
        VectorRun run = new VectorRun("X-Wing");
        for (Vector v : load()) {
            run.check(
                    "vector " + v.index(),
                    () -> {
                        // In draft-10 the private key is the 32-byte seed itself.
                        assertHex(v.seed(), v.sk(), "sk (must equal seed)");
                        assertHex(
                                v.pk(),
                                Primitives.xwingPublicKey(v.seed()),
                                "pk = GenerateKeyPairDerand(seed)");
                        Encapsulation enc = Primitives.xwingEncapsulate(v.pk(), v.eseed());
                        assertHex(v.ct(), enc.ciphertext(), "ct = EncapsulateDerand(pk, eseed)");
                        assertHex(v.ss(), enc.sharedSecret(), "ss from encapsulation");
                        assertHex(
                                v.ss(),
                                Primitives.xwingDecapsulate(v.seed(), v.ct()),
                                "ss = Decapsulate(ct, sk)");
                    });
        }
        run.finish(VECTORS);
    }

    /**
     * filippo.io/mlkem's TestBadLengths idea: every truncation (lengths 0 .. n-1) and the
     * one-byte extension of pk and ct must be refused with a ProtocolException carrying the
     * documented code (INVALID_PUBLIC_KEY for pk, MALFORMED_MESSAGE for ct) — never an unchecked
     * exception out of Bouncy Castle, never a result.
     */
    @Test
    void everyTruncationAndOneByteExtensionRejected() {
        VectorRun run = new VectorRun("X-Wing bad lengths");
        for (Vector v : load()) {
            for (int len = 0; len <= v.pk().length + 1; len++) {
                if (len == v.pk().length) {
                    continue;
                }
                byte[] pk = Arrays.copyOf(v.pk(), len); // extension appends a zero byte
                run.check(
                        "vector " + v.index() + " pk length " + len,
                        "pk",
                        () ->
                                expectProtocolException(
                                        ErrorCode.INVALID_PUBLIC_KEY,
                                        () -> Primitives.xwingEncapsulate(pk, v.eseed())));
            }
            for (int len = 0; len <= v.ct().length + 1; len++) {
                if (len == v.ct().length) {
                    continue;
                }
                byte[] ct = Arrays.copyOf(v.ct(), len);
                run.check(
                        "vector " + v.index() + " ct length " + len,
                        "ct",
                        () ->
                                expectProtocolException(
                                        ErrorCode.MALFORMED_MESSAGE,
                                        () -> Primitives.xwingDecapsulate(v.seed(), ct)));
            }
        }
        // 3 vectors x ((1216 + 1) + (1120 + 1)) length variants.
        run.finish(VECTORS * ((Primitives.XWING_PK_LEN + 1) + (Primitives.XWING_CT_LEN + 1)));
    }
}

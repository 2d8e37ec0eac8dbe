package dev.hybridge.crypto.vectors;

import dev.hybridge.crypto.internal.Primitives;
import java.nio.charset.StandardCharsets;

/**
 * Every random input of every vector, derived from its name so regeneration is reproducible:
 * bytes = HKDF-Expand(SHA-256("hybridge test vectors"), "file/tc_id/name", n). Not a protocol
 * construction; only a way to write fixed inputs down.
 */
final class DeterministicInputs {
    private static final byte[] ROOT =
            Primitives.sha256("hybridge test vectors".getBytes(StandardCharsets.US_ASCII));

    private DeterministicInputs() {}

    static byte[] bytes(String file, int tcId, String name, int length) {
        String info = file + "/" + tcId + "/" + name;
        return Primitives.hkdfExpand(ROOT, info.getBytes(StandardCharsets.US_ASCII), length);
    }
}

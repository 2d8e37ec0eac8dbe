package dev.hybridge.crypto.kdf;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Records named intermediate values of a key schedule, in order, for test vectors and debugging.
 * Only the package-private deterministic seams of the handshakes take one, and only the test kit
 * (pq-crypto's test-jar) passes one: a production handshake never holds a trace, so secrets are
 * not copied anywhere else.
 */
public final class Trace {
    private final Map<String, byte[]> values = new LinkedHashMap<>();

    public void put(String name, byte[] value) {
        values.put(name, value.clone());
    }

    public Map<String, byte[]> values() {
        return values;
    }

    /** Adds a value if a trace is present. */
    public static void put(Trace trace, String name, byte[] value) {
        if (trace != null) {
            trace.put(name, value);
        }
    }
}

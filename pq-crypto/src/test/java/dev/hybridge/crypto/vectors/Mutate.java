package dev.hybridge.crypto.vectors;

import dev.hybridge.crypto.ProtocolException;
import java.util.Arrays;

/** Message mutations for negative vectors, and the check that a scenario fails with a given code. */
final class Mutate {
    private Mutate() {}

    static byte[] flipBit(byte[] msg, int byteIndex, int bit) {
        byte[] m = msg.clone();
        m[byteIndex] ^= (byte) (1 << bit);
        return m;
    }

    static byte[] set(byte[] msg, int index, int value) {
        byte[] m = msg.clone();
        m[index] = (byte) value;
        return m;
    }

    static byte[] truncate(byte[] msg, int length) {
        return Arrays.copyOf(msg, length);
    }

    static byte[] extend(byte[] msg) {
        return Arrays.copyOf(msg, msg.length + 1);
    }

    static byte[] zero(byte[] msg, int off, int len) {
        byte[] m = msg.clone();
        Arrays.fill(m, off, off + len, (byte) 0);
        return m;
    }

    /** Makes the first 12-bit coefficient of an ML-KEM encapsulation key at {@code off} equal 4095 (>= q). */
    static byte[] badModulus(byte[] msg, int off) {
        byte[] m = msg.clone();
        m[off] = (byte) 0xFF;
        m[off + 1] |= 0x0F;
        return m;
    }

    interface Scenario {
        void run() throws ProtocolException;
    }

    /** Runs a negative scenario; returns null if it failed with {@code expected}, else what happened. */
    static String expect(String expected, Scenario s) {
        try {
            s.run();
            return "accepted, expected " + expected;
        } catch (ProtocolException e) {
            return e.code().name().equals(expected)
                    ? null
                    : "got " + e.code() + ", expected " + expected;
        } catch (RuntimeException e) {
            return "unchecked " + e + ", expected " + expected;
        }
    }
}

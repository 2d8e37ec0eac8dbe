package dev.hybridge.crypto.internal;

import java.security.MessageDigest;
import java.util.Arrays;

/** Small byte helpers used across the library. */
public final class Bytes {
    private Bytes() {}

    public static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }

    /** Constant-time equality for secrets and confirmations (length is not secret). */
    public static boolean constantTimeEquals(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    public static void wipe(byte[]... arrays) {
        for (byte[] a : arrays) {
            if (a != null) {
                Arrays.fill(a, (byte) 0);
            }
        }
    }

    public static void putU64(byte[] dst, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            dst[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    public static long getU64(byte[] src, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (src[off + i] & 0xFF);
        }
        return v;
    }

    public static int getU16(byte[] src, int off) {
        return ((src[off] & 0xFF) << 8) | (src[off + 1] & 0xFF);
    }

    public static boolean isAllZero(byte[] a) {
        int acc = 0;
        for (byte b : a) {
            acc |= b;
        }
        return acc == 0;
    }
}

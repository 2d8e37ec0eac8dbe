package dev.hybridge.gateway.ws;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The pure RFC 6455 codec: frame headers (decode and encode), masking, close payloads, close-code
 * and UTF-8 rules. No I/O and no state, so the gateway's socket layer, the load tool and the test
 * clients frame bytes with one piece of code, and a unit test can hold each function against the
 * RFC byte for byte.
 */
public final class WsCodec {
    private WsCodec() {}

    /** Opcodes (RFC 6455 §5.2). */
    public static final int OP_CONTINUATION = 0x0;

    public static final int OP_TEXT = 0x1;
    public static final int OP_BINARY = 0x2;
    public static final int OP_CLOSE = 0x8;
    public static final int OP_PING = 0x9;
    public static final int OP_PONG = 0xA;

    /** Close codes (RFC 6455 §7.4.1) used by the gateway. */
    public static final int NORMAL = 1000;

    public static final int GOING_AWAY = 1001;
    public static final int PROTOCOL_ERROR = 1002;

    /** Never sent: "no status code" as reported to the application (§7.1.5). */
    public static final int NO_STATUS = 1005;

    /** Never sent: "closed without a close frame" as reported to the application (§7.1.5). */
    public static final int ABNORMAL = 1006;

    public static final int INVALID_DATA = 1007;
    public static final int TOO_BIG = 1009;
    public static final int INTERNAL_ERROR = 1011;

    /** The longest payload of a control frame (§5.5). */
    public static final int MAX_CONTROL_PAYLOAD = 125;

    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /**
     * A decoded frame header (§5.2). {@code length} is the payload length as announced (up to
     * 2^63 - 1); {@code mask} is the 4-byte masking key as an int, meaningful when {@code masked}.
     */
    public record Header(
            boolean fin,
            int rsv,
            int opcode,
            boolean masked,
            long length,
            int mask,
            int headerLength) {
        public boolean control() {
            return (opcode & 0x08) != 0;
        }
    }

    /** A header whose 64-bit length has its top bit set (§5.2: "the most significant bit MUST be 0"). */
    public static final long LENGTH_OVERFLOW = -1;

    /**
     * Decodes the frame header at {@code buf[off..off+available)}; null when more bytes are needed.
     * A 64-bit length with the top bit set decodes to {@link #LENGTH_OVERFLOW}.
     */
    public static Header decodeHeader(byte[] buf, int off, int available) {
        if (available < 2) {
            return null;
        }
        int b0 = buf[off] & 0xFF;
        int b1 = buf[off + 1] & 0xFF;
        boolean masked = (b1 & 0x80) != 0;
        int lengthCode = b1 & 0x7F;
        int extended = lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0;
        int headerLength = 2 + extended + (masked ? 4 : 0);
        if (available < headerLength) {
            return null;
        }
        long length = lengthCode;
        if (extended > 0) {
            length = 0;
            for (int i = 0; i < extended; i++) {
                length = (length << 8) | (buf[off + 2 + i] & 0xFF);
            }
            if (length < 0) {
                length = LENGTH_OVERFLOW;
            }
        }
        int mask = 0;
        if (masked) {
            int m = off + 2 + extended;
            mask =
                    ((buf[m] & 0xFF) << 24)
                            | ((buf[m + 1] & 0xFF) << 16)
                            | ((buf[m + 2] & 0xFF) << 8)
                            | (buf[m + 3] & 0xFF);
        }
        return new Header(
                (b0 & 0x80) != 0, (b0 >>> 4) & 0x07, b0 & 0x0F, masked, length, mask, headerLength);
    }

    /** Bytes an unmasked (server) frame of {@code payloadLength} takes on the wire. */
    public static int frameSize(int payloadLength) {
        return headerSize(payloadLength, false) + payloadLength;
    }

    /** Bytes the header of a frame of {@code payloadLength} takes, masked (client) or not. */
    public static int headerSize(int payloadLength, boolean masked) {
        return (payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10) + (masked ? 4 : 0);
    }

    /** Encodes one final, unmasked server frame at {@code at}; returns the end offset. */
    public static int encode(byte[] dst, int at, int opcode, byte[] payload, int off, int len) {
        at = encodeHeader(dst, at, true, opcode, len, false, 0);
        System.arraycopy(payload, off, dst, at, len);
        return at + len;
    }

    /**
     * Encodes one masked client frame at {@code at} (§5.3: clients mask every frame), the
     * payload XORed with {@code mask}; returns the end offset.
     */
    public static int encodeMasked(
            byte[] dst,
            int at,
            boolean fin,
            int opcode,
            byte[] payload,
            int off,
            int len,
            int mask) {
        at = encodeHeader(dst, at, fin, opcode, len, true, mask);
        System.arraycopy(payload, off, dst, at, len);
        unmask(dst, at, len, mask);
        return at + len;
    }

    private static int encodeHeader(
            byte[] dst, int at, boolean fin, int opcode, int len, boolean masked, int mask) {
        dst[at++] = (byte) ((fin ? 0x80 : 0) | opcode);
        int maskBit = masked ? 0x80 : 0;
        if (len < 126) {
            dst[at++] = (byte) (maskBit | len);
        } else if (len < 65536) {
            dst[at++] = (byte) (maskBit | 126);
            dst[at++] = (byte) (len >>> 8);
            dst[at++] = (byte) len;
        } else {
            dst[at++] = (byte) (maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                dst[at++] = (byte) ((long) len >>> shift);
            }
        }
        if (masked) {
            dst[at++] = (byte) (mask >>> 24);
            dst[at++] = (byte) (mask >>> 16);
            dst[at++] = (byte) (mask >>> 8);
            dst[at++] = (byte) mask;
        }
        return at;
    }

    /** The payload of a close frame: code, then the reason in UTF-8, cut at a character boundary to fit 125 bytes. */
    public static byte[] closePayload(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, MAX_CONTROL_PAYLOAD - 2);
        while (n > 0 && n < r.length && (r[n] & 0xC0) == 0x80) {
            n--; // never cut a multi-byte character: the reason must stay valid UTF-8 (§5.5.1)
        }
        byte[] p = new byte[2 + n];
        p[0] = (byte) (code >>> 8);
        p[1] = (byte) code;
        System.arraycopy(r, 0, p, 2, n);
        return p;
    }

    /**
     * §7.4: codes an endpoint may send in a close frame. 1004-1006 and 1015 are reserved and never
     * sent; 1012-1014 were registered with IANA after the RFC (service restart, try again later,
     * bad gateway) and are valid.
     */
    public static boolean validCloseCode(int code) {
        return (code >= 1000 && code <= 1003)
                || (code >= 1007 && code <= 1014)
                || (code >= 3000 && code <= 4999);
    }

    /** XORs {@code data} with the repeated 4-byte mask (§5.3), eight bytes at a time. */
    public static void unmask(byte[] data, int mask) {
        unmask(data, 0, data.length, mask);
    }

    /** As {@link #unmask(byte[], int)} over {@code data[off..off+len)}, the mask's byte 0 at {@code off}. */
    public static void unmask(byte[] data, int off, int len, int mask) {
        long m = mask & 0xFFFFFFFFL;
        long mask8 = m | (m << 32);
        int i = off;
        int end = off + len;
        int end8 = off + (len & ~7);
        for (; i < end8; i += 8) {
            LONGS.set(data, i, (long) LONGS.get(data, i) ^ mask8);
        }
        for (; i < end; i++) {
            data[i] ^= (byte) (mask8 >>> (56 - 8 * ((i - off) & 3)));
        }
    }

    /**
     * Incremental UTF-8 validation (RFC 3629 §4, as §8.1 of RFC 6455 requires of text): feed bytes
     * in any split, then {@link #complete()}. Overlong forms, surrogates and code points above
     * U+10FFFF are invalid. A failure is reported on the first byte that cannot start or continue
     * a valid sequence, so a fragmented text message fails as early as possible.
     */
    public static final class Utf8Validator {
        private int needed; // continuation bytes still expected
        private int lower =
                0x80; // bounds for the next continuation byte (excludes overlongs and surrogates)
        private int upper = 0xBF;
        private boolean failed;

        /** Feeds {@code data[off..off+len)}; false once the bytes can no longer be valid UTF-8. */
        public boolean feed(byte[] data, int off, int len) {
            for (int i = off; i < off + len && !failed; i++) {
                int b = data[i] & 0xFF;
                if (needed == 0) {
                    if (b < 0x80) {
                        continue;
                    } else if (b >= 0xC2 && b <= 0xDF) {
                        needed = 1;
                    } else if (b >= 0xE0 && b <= 0xEF) {
                        needed = 2;
                        lower = b == 0xE0 ? 0xA0 : 0x80;
                        upper = b == 0xED ? 0x9F : 0xBF;
                    } else if (b >= 0xF0 && b <= 0xF4) {
                        needed = 3;
                        lower = b == 0xF0 ? 0x90 : 0x80;
                        upper = b == 0xF4 ? 0x8F : 0xBF;
                    } else {
                        failed = true;
                    }
                } else {
                    if (b < lower || b > upper) {
                        failed = true;
                    }
                    lower = 0x80;
                    upper = 0xBF;
                    needed--;
                }
            }
            return !failed;
        }

        /** True when everything fed is valid and no sequence is left unfinished. */
        public boolean complete() {
            return !failed && needed == 0;
        }
    }

    /** True when {@code data[off..off+len)} is valid UTF-8. */
    public static boolean isUtf8(byte[] data, int off, int len) {
        Utf8Validator v = new Utf8Validator();
        return v.feed(data, off, len) && v.complete();
    }
}

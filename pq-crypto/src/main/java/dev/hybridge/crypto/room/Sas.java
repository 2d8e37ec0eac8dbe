package dev.hybridge.crypto.room;

/**
 * The short authentication string of a peer channel (spec/peer-handshake.md, PK10): 5 bytes from
 * the key schedule, rendered as three numbers from 1000 to 9191 that two people read to each other.
 */
public final class Sas {
    private final byte[] bytes;

    public Sas(byte[] bytes) {
        if (bytes.length != 5) {
            throw new IllegalArgumentException("SAS is 5 bytes");
        }
        this.bytes = bytes.clone();
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** The three 13-bit numbers, each plus 1000. */
    public int[] numbers() {
        int b0 = bytes[0] & 0xFF,
                b1 = bytes[1] & 0xFF,
                b2 = bytes[2] & 0xFF,
                b3 = bytes[3] & 0xFF,
                b4 = bytes[4] & 0xFF;
        return new int[] {
            ((b0 << 5) | (b1 >> 3)) + 1000,
            (((b1 & 0x07) << 10) | (b2 << 2) | (b3 >> 6)) + 1000,
            (((b3 & 0x3F) << 7) | (b4 >> 1)) + 1000,
        };
    }

    /** "n1-n2-n3". */
    public String decimal() {
        int[] n = numbers();
        return n[0] + "-" + n[1] + "-" + n[2];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sas s && java.util.Arrays.equals(bytes, s.bytes);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return decimal();
    }
}

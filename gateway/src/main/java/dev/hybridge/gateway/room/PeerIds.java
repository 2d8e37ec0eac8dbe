package dev.hybridge.gateway.room;

/** Peer ids are 8 opaque bytes on the wire; inside the gateway they are held as a long. */
public final class PeerIds {
    private PeerIds() {}

    public static byte[] toBytes(long id) {
        byte[] b = new byte[8];
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) id;
            id >>>= 8;
        }
        return b;
    }

    public static long fromBytes(byte[] b) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }
}

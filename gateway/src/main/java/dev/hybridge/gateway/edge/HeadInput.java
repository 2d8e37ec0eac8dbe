package dev.hybridge.gateway.edge;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The socket's input while the request head is read: buffered (one system call per chunk, not
 * per byte), and able to hand over the bytes it read past the head, which a client may send
 * right behind its upgrade request and which belong to the WebSocket.
 */
final class HeadInput extends InputStream {
    private final InputStream in;
    private final byte[] buf = new byte[1024];
    private int pos;
    private int limit;

    HeadInput(InputStream in) {
        this.in = in;
    }

    @Override
    public int read() throws IOException {
        if (pos == limit) {
            int n = in.read(buf);
            if (n <= 0) {
                return -1;
            }
            pos = 0;
            limit = n;
        }
        return buf[pos++] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (pos < limit) {
            int n = Math.min(len, limit - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }
        return in.read(b, off, len);
    }

    @Override
    public int available() throws IOException {
        return (limit - pos) + in.available();
    }

    /** The bytes read from the socket but not yet from this stream; they are taken. */
    byte[] takeBuffered() {
        byte[] rest = Arrays.copyOfRange(buf, pos, limit);
        pos = limit;
        return rest;
    }
}

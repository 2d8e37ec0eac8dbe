package dev.hybridge.gateway.ws;

import java.io.IOException;
import java.io.InputStream;

/**
 * The TCP connection under a WebSocket, as the edge hands it over after the upgrade. Two kinds:
 * a blocking one (a TLS socket read and written by the connection's own virtual thread), whose
 * writes may block and so run on a thread of the outbox's own; and a non-blocking one (a plain
 * socket on an event loop), whose writes never block: what the socket does not take at once is
 * kept, in order, and written when it can be.
 */
public interface Transport {
    /** The bytes to read, for a blocking transport (its reader thread loops on it); null for a non-blocking one. */
    InputStream in();

    /** True when {@link #write} can block the calling thread. */
    boolean blocking();

    /**
     * Writes all of {@code b[off, off+len)} after what was written before. A blocking transport
     * returns when they are on the socket; a non-blocking one keeps what the socket does not take.
     */
    void write(byte[] b, int off, int len) throws IOException;

    /** Bytes accepted by {@link #write} that are not on the socket yet (0 for a blocking transport). */
    long unsent();

    /** The WebSocket is over: close the TCP connection once what was written is on the socket. */
    void finish();

    /** Closes the TCP connection now: a blocked read or write fails. Any thread; idempotent. */
    void cut();
}

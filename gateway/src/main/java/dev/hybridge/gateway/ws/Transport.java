package dev.hybridge.gateway.ws;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * The TCP connection under a WebSocket, as the edge hands it over after the upgrade: its streams,
 * a way to cut it from any thread, and a bracket around blocking writes so that the edge's timer
 * can cut a write that makes no progress (a client that stops reading).
 */
public interface Transport {
    InputStream in();

    OutputStream out();

    /** Closes the TCP connection now: a blocked read or write fails. Any thread; idempotent. */
    void cut();

    /** A blocking write begins; {@link #writeEnded} follows it, also when it fails. */
    void writeStarted();

    void writeEnded();
}

package dev.hybridge.gateway.ws;

/** The reading side of an open WebSocket, for an event loop that reads its socket. One thread at a time. */
public interface Inbound {
    /** Takes the bytes the client sent, as they came; false once the connection is over (stop reading). */
    boolean feed(byte[] b, int off, int len);

    /** The socket ended (end of stream or an error): the connection is over. */
    void endOfStream();

    /** True once the WebSocket is over (closing handshake done, framing lost, or the socket ended). */
    boolean ended();
}

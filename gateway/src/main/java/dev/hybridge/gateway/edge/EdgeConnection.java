package dev.hybridge.gateway.edge;

import dev.hybridge.gateway.observe.Metrics;
import dev.hybridge.gateway.ws.Connection;
import dev.hybridge.gateway.ws.Transport;
import dev.hybridge.protocol.RoomError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * One accepted TCP connection, from accept to the last byte, on its own virtual thread: the TLS
 * handshake (if any) and the request head under the head deadline, then either the WebSocket
 * (handed to {@link Connection}) or one plain HTTP request forwarded to Helidon under the request
 * deadline, then the close. It counts against the connection limits for exactly as long as its
 * socket is open: the slot is released after the close, never before. Every state has a
 * deadline, enforced by the edge's timer through {@link #tick}, which cuts the socket.
 */
final class EdgeConnection implements Transport {
    private static final System.Logger LOG = System.getLogger(EdgeConnection.class.getName());

    enum State {
        HEAD,
        WEBSOCKET,
        FORWARD,
        LINGER,
        DONE
    }

    /** After a whole response, how long the client's remaining bytes are read and dropped before the close. */
    private static final long LINGER_NANOS = 2_000_000_000L;

    /** Most bytes dropped while lingering. */
    private static final int LINGER_BYTES = 64 * 1024;

    private final Edge edge;

    /** The TCP socket: cutting closes it, which never blocks. */
    private final SocketChannel channel;

    private final Socket raw;

    /** What is read and written: {@code raw}, or a TLS socket layered over it. */
    private final Socket socket;

    /** The peer's IP literal, for the head only: run() takes it and drops it. */
    private String peer;

    /** The key the connection is counted under at accept (null: a trusted proxy, counted in total only). */
    private final String acceptKey;

    private final long acceptedAt = System.nanoTime();

    private volatile State state = State.HEAD;
    private volatile long deadline;
    private volatile String deadlineLimit;
    private volatile long writeStartedAt;
    private volatile Connection ws;

    /** Set when an event loop took the socket over: the loop closes it and releases the slot. */
    private volatile LoopTransport loopTransport;

    private volatile Socket upstream;
    private HeadInput in;
    private OutputStream out;

    /** Set once the socket is cut ({@link #CUT}: a field, not an object per connection). */
    private volatile boolean cut;

    private static final java.lang.invoke.VarHandle CUT;

    static {
        try {
            CUT =
                    java.lang.invoke.MethodHandles.lookup()
                            .findVarHandle(EdgeConnection.class, "cut", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    EdgeConnection(Edge edge, SocketChannel channel, Socket socket, String peer, String acceptKey) {
        this.edge = edge;
        this.channel = channel;
        this.raw = channel.socket();
        this.socket = socket;
        this.peer = peer;
        this.acceptKey = acceptKey;
        this.deadline = acceptedAt + edge.limits().headerTimeout().toNanos();
        this.deadlineLimit = Metrics.LIMIT_HEADER_TIMEOUT;
    }

    String acceptKey() {
        return acceptKey;
    }

    /** Runs the connection to its end on the calling (virtual) thread; the edge releases it after. */
    void run() {
        String peer = this.peer;
        this.peer = null; // only the head needs it: an idle session does not keep the string
        String forwardedKey = null;
        try {
            socket.setTcpNoDelay(true); // signaling is many small messages: Nagle would add delay
            in = new HeadInput(socket.getInputStream());
            out = socket.getOutputStream();
            RequestHead head;
            try {
                head = RequestHead.read(in);
            } catch (HttpRefusal r) {
                refuse(r);
                return;
            }
            if (head == null) {
                return; // opened and closed without a request
            }
            try {
                if (head.path().equals(edge.wsPath())) {
                    byte[] switching = WsHandshake.accept(head, edge.origins());
                    String client = edge.clientAddress().of(peer, forwardedFor(head));
                    RoomError refusal = null;
                    if (acceptKey == null && !client.equals(peer)) {
                        // behind a trusted proxy: the per-address cap applies to the forwarded
                        // client
                        forwardedKey = AddressKey.of(client);
                        if (!edge.forwardedLimiter().tryAcquire(forwardedKey)) {
                            forwardedKey = null;
                            refusal = RoomError.TOO_MANY_CONNECTIONS;
                        }
                    }
                    websocket(switching, refusal, AddressKey.of(client));
                } else {
                    refuseBody(head);
                    if (head.path().equals(HttpReplies.WELL_KNOWN_PATH)
                            && (head.method().equals("GET") || head.method().equals("HEAD"))) {
                        wellKnown(head.method().equals("HEAD"));
                    } else {
                        forward(head);
                    }
                }
            } catch (HttpRefusal r) {
                refuse(r);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // the client went away, or the timer cut the socket at a deadline
            if (state == State.HEAD || state == State.FORWARD) {
                edge.metrics().requestAborted(state.name().toLowerCase(java.util.Locale.ROOT));
                LOG.log(System.Logger.Level.DEBUG, () -> "request aborted in " + state + ": " + e);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "bug: connection failed in " + state, e);
        } finally {
            if (loopTransport == null) {
                state = State.DONE;
                cut();
                if (forwardedKey != null) {
                    edge.forwardedLimiter().release(forwardedKey);
                }
            } else if (forwardedKey != null) {
                String key = forwardedKey; // released with the socket, by the loop
                loopTransport.alsoOnClose(() -> edge.forwardedLimiter().release(key));
            }
        }
    }

    /** True once an event loop owns the socket (it closes it and releases the connection's slot). */
    boolean adopted() {
        return loopTransport != null;
    }

    private void websocket(byte[] switching, RoomError refusal, String clientKey)
            throws IOException {
        Connection c = edge.newConnection(refusal, clientKey);
        ws = c;
        deadline = 0; // from now on the WebSocket's own deadlines apply (Connection.tick)
        state = State.WEBSOCKET;
        writeStartedAt = System.nanoTime();
        out.write(switching);
        out.flush();
        writeStartedAt = 0;
        if (socket == raw && !cut) {
            // plain TCP: an event loop serves it from now on; this thread ends and holds nothing
            EventLoop loop = edge.nextLoop();
            LoopTransport t = new LoopTransport(loop, channel, () -> edge.closed(this));
            loopTransport = t;
            byte[] first = in.takeBuffered();
            in = null; // the head's buffer goes: an idle session keeps no read buffer
            loop.adopt(channel, t, lt -> c.open(lt, edge.limits().maxFrameBytes()), first);
            return;
        }
        c.run(
                this,
                edge.limits().maxFrameBytes(),
                new byte[0]); // TLS: this thread reads until the end
        if (!cut) {
            linger(); // the closing handshake is done: FIN first, so no reset destroys our close
            // frame
        }
    }

    /**
     * One plain HTTP request, forwarded to Helidon on loopback with {@code Connection: close}, its
     * response copied back; then the connection ends (one request per connection: a client's
     * {@code Connection: close} is honoured, and no idle keep-alive connection is ever held).
     */
    private void forward(RequestHead head) throws IOException, HttpRefusal {
        if (!edge.forwards().tryAcquire()) {
            edge.metrics().limitHit(Metrics.LIMIT_HTTP_REQUESTS);
            throw new HttpRefusal(503, "too many requests in flight", "Retry-After: 1");
        }
        try {
            forwardAcquired(head);
        } finally {
            edge.forwards().release();
        }
    }

    private void forwardAcquired(RequestHead head) throws IOException, HttpRefusal {
        state = State.FORWARD;
        deadline = System.nanoTime() + edge.limits().httpRequestTimeout().toNanos();
        deadlineLimit = Metrics.LIMIT_HTTP_REQUEST_TIMEOUT;
        Socket up = new Socket();
        upstream = up;
        if (cut) {
            up.close();
            return;
        }
        up.setTcpNoDelay(true);
        try {
            up.connect(edge.upstream(), 2_000);
        } catch (IOException e) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "the gateway's HTTP routes (loopback) did not accept a request: " + e);
            throw new HttpRefusal(502, "the gateway's HTTP service is unavailable");
        }
        StringBuilder sb = new StringBuilder(256);
        sb.append(head.method()).append(' ').append(head.target()).append(" HTTP/1.1\r\n");
        for (RequestHead.Field f : head.fields()) {
            switch (f.key()) {
                case "connection",
                        "keep-alive",
                        "proxy-connection",
                        "te",
                        "upgrade",
                        "content-length",
                        "trailer" -> {}
                default -> sb.append(f.name()).append(": ").append(f.value()).append("\r\n");
            }
        }
        sb.append("Connection: close\r\n\r\n");
        OutputStream upOut = up.getOutputStream();
        upOut.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        upOut.flush();
        // Helidon keeps a connection open after a response even when asked to close it; the
        // half-close tells it no request follows, so it closes after this response and the
        // copy below ends at its end of stream.
        up.shutdownOutput();
        InputStream upIn = up.getInputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = upIn.read(buf)) > 0) {
            writeStartedAt = System.nanoTime();
            out.write(buf, 0, n);
            writeStartedAt = 0;
        }
        out.flush();
        linger();
    }

    /** No route of the gateway takes a request body (spec/room-protocol.md, "The HTTP edge"). */
    private static void refuseBody(RequestHead head) throws HttpRefusal {
        if (head.all("Transfer-Encoding").size() > 0
                || head.all("Content-Length").stream().anyMatch(v -> !v.trim().equals("0"))) {
            throw new HttpRefusal(413, "request bodies are not accepted");
        }
    }

    /** The key document, from memory: no forward to Helidon, for it is what a reconnection storm asks for. */
    private void wellKnown(boolean headOnly) throws IOException, HttpRefusal {
        byte[] r = edge.wellKnownResponse();
        int len = headOnly ? headLength(r) : r.length;
        writeStartedAt = System.nanoTime();
        out.write(r, 0, len);
        out.flush();
        writeStartedAt = 0;
        linger();
    }

    private static int headLength(byte[] response) {
        for (int i = 3; i < response.length; i++) {
            if (response[i] == '\n'
                    && response[i - 1] == '\r'
                    && response[i - 2] == '\n'
                    && response[i - 3] == '\r') {
                return i + 1;
            }
        }
        return response.length;
    }

    /** Writes the edge's own error response (with the security headers) and ends the connection. */
    private void refuse(HttpRefusal r) throws IOException {
        edge.metrics().httpRefused(r.status());
        if (r.status() == 403) {
            edge.metrics()
                    .inputRejected(
                            "FOREIGN_ORIGIN"); // the one 403: an upgrade from another site's page
        }
        LOG.log(
                System.Logger.Level.DEBUG,
                () -> "refused a request with " + r.status() + ": " + r.getMessage());
        writeStartedAt = System.nanoTime();
        out.write(HttpReplies.error(r.status(), r.getMessage(), r.extraHeaders(), edge.tls()));
        out.flush();
        writeStartedAt = 0;
        linger();
    }

    /**
     * The response is whole: half-close (FIN; under TLS a close_notify first), then read and drop
     * what the client still sends, for a bounded time and amount, before the close. Closing with
     * unread bytes would reset the connection, and a reset can destroy the response before the
     * client has read it (RFC 9112 §9.6).
     */
    private void linger() throws IOException {
        state = State.LINGER;
        deadline = System.nanoTime() + LINGER_NANOS;
        deadlineLimit = null;
        writeStartedAt = System.nanoTime();
        socket.shutdownOutput();
        writeStartedAt = 0;
        byte[] sink = new byte[1024];
        int total = 0;
        int n;
        while (total < LINGER_BYTES && (n = in.read(sink)) > 0) {
            total += n;
        }
    }

    private static Optional<String> forwardedFor(RequestHead head) {
        var all = head.all("X-Forwarded-For");
        return all.isEmpty() ? Optional.empty() : Optional.of(String.join(",", all));
    }

    // ---------------------------------------------------------------- deadlines (timer thread)

    /** The edge's timer: cuts a connection past its deadline or stuck in a write; ticks the WebSocket. */
    void tick(long now) {
        if (cut) {
            return;
        }
        LoopTransport lt = loopTransport;
        if (lt != null && lt.lingerSince() != 0 && now - lt.lingerSince() > LINGER_NANOS) {
            lt.cut(); // the client never sent its FIN after the closing handshake
            return;
        }
        long w = lt != null ? lt.stalledSince() : writeStartedAt;
        if (w != 0 && now - w > edge.limits().writeTimeout().toNanos()) {
            edge.metrics().limitHit(Metrics.LIMIT_WRITE_TIMEOUT);
            cut();
            return;
        }
        long d = deadline;
        if (d != 0 && now - d > 0) {
            String limit = deadlineLimit;
            if (limit != null) {
                edge.metrics().limitHit(limit);
            }
            cut();
            return;
        }
        Connection c = ws;
        if (c != null) {
            c.tick(now);
        }
    }

    /** Graceful shutdown: a WebSocket gets 1001; a connection still in its head is cut. */
    void goingAway() {
        Connection c = ws;
        if (c != null) {
            c.goingAway();
        } else if (state == State.HEAD) {
            cut();
        }
    }

    // ---------------------------------------------------------------- Transport (the blocking, TLS
    // path)

    @Override
    public InputStream in() {
        return in;
    }

    @Override
    public boolean blocking() {
        return true;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        writeStartedAt = System.nanoTime();
        try {
            out.write(b, off, len);
            out.flush();
        } finally {
            writeStartedAt = 0;
        }
    }

    @Override
    public long unsent() {
        return 0;
    }

    @Override
    public void finish() {
        // the reader returns from Connection.run, and run() closes the socket
    }

    @Override
    public void cut() {
        LoopTransport lt = loopTransport;
        if (lt != null) {
            lt.cut();
            return;
        }
        if (!CUT.compareAndSet(this, false, true)) {
            return;
        }
        closeQuietly(upstream);
        closeQuietly(raw);
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing is all we wanted
            }
        }
    }

    /** The peer's IP literal. */
    static String peerOf(Socket s) {
        if (s.getRemoteSocketAddress() instanceof InetSocketAddress a && a.getAddress() != null) {
            return a.getAddress().getHostAddress();
        }
        return String.valueOf(s.getRemoteSocketAddress());
    }
}

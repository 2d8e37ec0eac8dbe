package dev.hybridge.gateway.edge;

import dev.hybridge.gateway.config.ClientAddress;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.gateway.observe.Metrics;
import dev.hybridge.gateway.relay.AddressLimiter;
import dev.hybridge.gateway.ws.Connection;
import dev.hybridge.gateway.ws.OriginPolicy;
import dev.hybridge.gateway.ws.Services;
import dev.hybridge.protocol.RoomError;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The gateway's edge: it owns the public listening socket, and every TCP connection from accept
 * to the last byte. Helidon's listener cannot do what the edge must (issue: one address could
 * take the gateway down): count connections per address and in total at accept, before any
 * byte is parsed; survive running out of file descriptors without closing the listener; give
 * the request head a deadline. So the edge accepts, admits or refuses at once, reads the request
 * head itself, answers {@code /ws} with the WebSocket ({@link Connection}) and forwards every
 * other request to Helidon's routes on a loopback listener of its own.
 *
 * <p>Threads: one platform thread accepts; each admitted connection runs on its own virtual
 * thread ({@link EdgeConnection}) until its request head is answered; an upgraded plain-TCP
 * WebSocket then moves to one of the {@link EventLoop}s (one per core), a TLS one keeps its
 * thread; one platform timer enforces every deadline.
 */
public final class Edge {
    private static final System.Logger LOG = System.getLogger(Edge.class.getName());

    /** File descriptors kept free of connections: log files, key files, the JDK's own, Helidon's listener. */
    static final int FD_RESERVE = 128;

    /** Most plain HTTP requests forwarded to Helidon at once (each holds two more descriptors); more get 503. */
    static final int MAX_FORWARDS = 256;

    private final GatewayConfig.Limits limits;
    private final Services services;
    private final Metrics metrics;
    private final ClientAddress clientAddress;
    private final AddressLimiter limiter;

    /** The whole response to GET /.well-known/hybridge.json, made once. */
    private final byte[] wellKnownResponse;

    private final AddressLimiter forwardedLimiter;
    private final OriginPolicy origins;
    private final InetSocketAddress upstream;
    private final Optional<SSLContext> tls;
    private final String wsPath;
    private final Runnable onListenerLost;
    private final Set<EdgeConnection> open = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.Semaphore forwards =
            new java.util.concurrent.Semaphore(MAX_FORWARDS);
    private final RateLimitedLog acceptLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));
    private final RateLimitedLog capLog = new RateLimitedLog(LOG, Duration.ofSeconds(10));

    private volatile ServerSocketChannel server;

    /** Event loops for upgraded plain-TCP WebSockets: one per core. */
    private final EventLoop[] loops;

    private final java.util.concurrent.atomic.AtomicInteger nextLoop =
            new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean running;
    private Thread acceptor;
    private ScheduledExecutorService timer;

    /**
     * @param limiter counts every TCP connection per address and in total (its total is the
     *     connection cap, see {@link #connectionCap})
     * @param upstream Helidon's loopback listener for everything that is not {@code wsPath}
     * @param onListenerLost called when accepting has failed without a pause for longer than
     *     {@code limits.acceptFailureTimeout}: the gateway can no longer serve, and Main exits
     *     non-zero so that a supervisor restarts it
     */
    public Edge(
            GatewayConfig.Limits limits,
            Services services,
            ClientAddress clientAddress,
            AddressLimiter limiter,
            byte[] wellKnown,
            OriginPolicy origins,
            InetSocketAddress upstream,
            Optional<SSLContext> tls,
            String wsPath,
            Runnable onListenerLost) {
        this.limits = limits;
        this.services = services;
        this.metrics = services.metrics();
        this.clientAddress = clientAddress;
        this.limiter = limiter;
        this.wellKnownResponse = HttpReplies.wellKnown(wellKnown, tls.isPresent());
        this.forwardedLimiter =
                new AddressLimiter(limits.connectionsPerAddress(), Integer.MAX_VALUE);
        this.origins = origins;
        this.upstream = upstream;
        this.tls = tls;
        this.wsPath = wsPath;
        this.onListenerLost = onListenerLost;
        this.loops = new EventLoop[Math.max(1, Runtime.getRuntime().availableProcessors())];
    }

    /**
     * The connection cap in force: {@code configured}, lowered so that connections, forwarded
     * requests and a reserve fit the process's file-descriptor limit (running out of descriptors
     * is refused per connection at accept, never met by accept itself).
     */
    public static int connectionCap(int configured) {
        long fds = maxFileDescriptors();
        if (fds <= 0) {
            return configured;
        }
        long fit = fds - FD_RESERVE - 2L * MAX_FORWARDS;
        if (fit < configured) {
            int cap = (int) Math.max(16, fit);
            LOG.log(
                    System.Logger.Level.WARNING,
                    "limits.max-connections "
                            + configured
                            + " does not fit the file descriptor limit "
                            + fds
                            + " (ulimit -n): using "
                            + cap
                            + "; raise LimitNOFILE to serve more");
            return cap;
        }
        return configured;
    }

    static long maxFileDescriptors() {
        if (ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean u) {
            return u.getMaxFileDescriptorCount();
        }
        return -1;
    }

    /** Binds {@code host:port} (0: any free port) and starts accepting. */
    public synchronized void start(String host, int port) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.socket().setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1024);
        server = s;
        running = true;
        for (int i = 0; i < loops.length; i++) {
            loops[i] = new EventLoop("hybridge-loop-" + i);
            loops[i].start();
        }
        long tick =
                Math.max(
                        20,
                        Math.min(
                                250,
                                Math.min(
                                                limits.headerTimeout().toMillis(),
                                                Math.min(
                                                        limits.handshakeTimeout().toMillis(),
                                                        limits.pingInterval().toMillis()))
                                        / 4));
        timer =
                Executors.newSingleThreadScheduledExecutor(
                        Thread.ofPlatform().name("hybridge-edge-timer").daemon().factory());
        timer.scheduleAtFixedRate(this::tick, tick, tick, TimeUnit.MILLISECONDS);
        acceptor = Thread.ofPlatform().name("hybridge-accept").daemon().start(this::acceptLoop);
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    public boolean isRunning() {
        return running;
    }

    /** Open TCP connections (any state). */
    public int openConnections() {
        return open.size();
    }

    /**
     * Graceful shutdown: every WebSocket gets ERROR(SHUTTING_DOWN) if established, then close 1001;
     * waits up to {@code grace} for the connections to end, then stops.
     */
    public void shutdown(Duration grace) {
        for (EdgeConnection c : open) {
            c.goingAway();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        stop();
    }

    /** Stops accepting and cuts every connection. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        try {
            server.close();
        } catch (IOException e) {
            // closing is all we wanted
        }
        for (EdgeConnection c : open) {
            c.cut();
        }
        timer.shutdownNow();
        for (EventLoop l : loops) {
            l.stop();
        }
    }

    // ---------------------------------------------------------------- accepting

    private void acceptLoop() {
        long failingSince = 0;
        long backoffMillis = 0;
        while (running) {
            SocketChannel s;
            try {
                s = server.accept();
            } catch (Throwable e) { // EMFILE, ENOBUFS, an OutOfMemoryError: never the end of the
                // listener
                if (!running) {
                    return;
                }
                metrics.acceptFailed();
                long now = System.nanoTime();
                failingSince = failingSince == 0 ? now : failingSince;
                acceptLog.warn("accepting connections fails", e);
                if (now - failingSince > limits.acceptFailureTimeout().toNanos()) {
                    LOG.log(
                            System.Logger.Level.ERROR,
                            "accepting connections has failed for "
                                    + limits.acceptFailureTimeout().toSeconds()
                                    + " s without a pause: exiting so that a supervisor restarts the gateway");
                    onListenerLost.run();
                    return;
                }
                // back off so a persistent failure does not spin: the descriptors come back as
                // connections end (each has a deadline)
                backoffMillis = Math.min(500, Math.max(10, backoffMillis * 2));
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                continue;
            }
            failingSince = 0;
            backoffMillis = 0;
            try {
                admit(s);
            } catch (Throwable e) {
                closeQuietly(s.socket());
                acceptLog.warn("admitting a connection failed", e);
            }
        }
    }

    /** Counts the connection or refuses it at once; an admitted one gets its own thread. */
    private void admit(SocketChannel ch) throws IOException {
        Socket s = ch.socket();
        String peer = EdgeConnection.peerOf(s);
        boolean proxy = clientAddress.isTrustedProxy(peer);
        // a trusted proxy carries many clients: its connections count in total only here, and
        // per forwarded client once the head names it (EdgeConnection)
        String key = proxy ? null : AddressKey.of(s.getInetAddress());
        boolean admitted = proxy ? limiter.tryAcquireTotal() : limiter.tryAcquire(key);
        if (!admitted) {
            metrics.limitHit(Metrics.LIMIT_CONNECTIONS);
            metrics.inputRejected(RoomError.TOO_MANY_CONNECTIONS.name());
            capLog.warn("refusing connections over the per-address or total cap", null);
            if (tls.isEmpty()) {
                // a fresh socket's send buffer takes this without blocking the acceptor
                try {
                    ch.write(java.nio.ByteBuffer.wrap(HttpReplies.OVER_CAPACITY));
                } catch (IOException e) {
                    // the client is gone already
                }
            }
            closeQuietly(ch);
            return;
        }
        EdgeConnection c;
        try {
            Socket io = s;
            if (tls.isPresent()) {
                SSLSocket t =
                        (SSLSocket)
                                ((SSLSocketFactory) tls.get().getSocketFactory())
                                        .createSocket(s, null, s.getPort(), false);
                t.setUseClientMode(false);
                io = t;
            }
            c = new EdgeConnection(this, ch, io, peer, key);
            open.add(c);
            Thread.ofVirtual().name("hybridge-conn").start(() -> run(c));
        } catch (Throwable e) {
            closeQuietly(ch);
            release(key);
            throw e;
        }
    }

    private void run(EdgeConnection c) {
        try {
            c.run();
        } finally {
            if (!c.adopted()) {
                closed(c);
            }
        }
    }

    /** After {@code c}'s socket is closed (by its thread, or by its event loop): counted from accept to the last byte. */
    void closed(EdgeConnection c) {
        if (open.remove(c)) {
            release(c.acceptKey());
        }
    }

    /** The event loop for an upgraded plain-TCP WebSocket: round robin. */
    EventLoop nextLoop() {
        return loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)];
    }

    private void release(String key) {
        if (key == null) {
            limiter.releaseTotal();
        } else {
            limiter.release(key);
        }
    }

    private void tick() {
        long now = System.nanoTime();
        for (EdgeConnection c : open) {
            try {
                c.tick(now);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "bug: a connection's timer tick failed", e);
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing is all we wanted
        }
    }

    private static void closeQuietly(SocketChannel s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing is all we wanted
        }
    }

    // ---------------------------------------------------------------- for EdgeConnection

    GatewayConfig.Limits limits() {
        return limits;
    }

    Metrics metrics() {
        return metrics;
    }

    ClientAddress clientAddress() {
        return clientAddress;
    }

    AddressLimiter forwardedLimiter() {
        return forwardedLimiter;
    }

    OriginPolicy origins() {
        return origins;
    }

    InetSocketAddress upstream() {
        return upstream;
    }

    java.util.concurrent.Semaphore forwards() {
        return forwards;
    }

    boolean tls() {
        return tls.isPresent();
    }

    String wsPath() {
        return wsPath;
    }

    byte[] wellKnownResponse() {
        return wellKnownResponse;
    }

    Connection newConnection(RoomError refusal, String clientKey) {
        return new Connection(services, refusal, clientKey);
    }
}

package dev.hybridge.gateway;

import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.HopServer;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.gateway.observe.Metrics;
import dev.hybridge.gateway.relay.AddressLimiter;
import dev.hybridge.gateway.relay.IceServers;
import dev.hybridge.gateway.room.RoomRegistry;
import dev.hybridge.gateway.ws.Connection;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The running gateway's state, independent of Helidon: static key, rooms, limits, metrics, and
 * the open connections with one timer that enforces handshake and idle timeouts and sends pings.
 */
public final class Gateway {
    private final GatewayConfig config;
    private final XWingKeyPair staticKey;
    private final HopServer hopServer;
    private final SecureRandom rng;
    private final RoomRegistry rooms;
    private final IceServers ice;
    private final AddressLimiter connectionLimiter;
    private final Metrics metrics;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private volatile boolean shuttingDown;

    public Gateway(GatewayConfig config, XWingKeyPair staticKey, SecureRandom rng) {
        this.config = config;
        this.staticKey = staticKey;
        this.hopServer = new HopServer(List.of(staticKey));
        this.rng = rng;
        GatewayConfig.Limits l = config.limits();
        this.rooms = new RoomRegistry(l.roomCapacity(), l.maxRooms(), rng);
        this.ice = new IceServers(config.ice().stunUrls(), config.ice().turnUrls(), config.ice().turnSecret(),
                config.ice().turnCredentialTtl(), Clock.systemUTC(), rng);
        this.connectionLimiter = new AddressLimiter(l.connectionsPerAddress(), l.maxConnections());
        this.metrics = new Metrics(connectionLimiter::open, rooms::rooms, rooms::peers);
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("hybridge-timer").daemon().factory());
        long tick = Math.max(50, Math.min(1000, Math.min(l.handshakeTimeout().toMillis(), l.pingInterval().toMillis()) / 4));
        timer.scheduleAtFixedRate(this::tick, tick, tick, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        long now = System.nanoTime();
        for (Connection c : connections) {
            try {
                c.tick(now);
            } catch (RuntimeException e) {
                System.getLogger(Gateway.class.getName()).log(System.Logger.Level.ERROR, "timer tick failed", e);
            }
        }
    }

    /**
     * Graceful shutdown: every connection gets ERROR(SHUTTING_DOWN) if established, then close
     * 1001; waits up to {@code grace} for them to go. The caller stops the web server after.
     */
    public void shutdown(Duration grace) {
        shuttingDown = true;
        for (Connection c : connections) {
            c.goingAway();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        timer.shutdownNow();
    }

    public void register(Connection c) {
        connections.add(c);
    }

    public void unregister(Connection c) {
        connections.remove(c);
    }

    public boolean shuttingDown() {
        return shuttingDown;
    }

    public GatewayConfig config() {
        return config;
    }

    public GatewayConfig.Limits limits() {
        return config.limits();
    }

    public byte[] publicKey() {
        return staticKey.publicKey();
    }

    public String fingerprintHex() {
        return Fingerprint.toHex(staticKey.fingerprint());
    }

    public HopServer hopServer() {
        return hopServer;
    }

    public SecureRandom rng() {
        return rng;
    }

    public RoomRegistry rooms() {
        return rooms;
    }

    public IceServers ice() {
        return ice;
    }

    public AddressLimiter connectionLimiter() {
        return connectionLimiter;
    }

    public Metrics metrics() {
        return metrics;
    }

    public int openConnections() {
        return connections.size();
    }
}

package dev.hybridge.gateway;

import dev.hybridge.crypto.Fingerprint;
import dev.hybridge.crypto.KeyRotation;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.HopServer;
import dev.hybridge.gateway.cluster.ClusterNode;
import dev.hybridge.gateway.config.ClientAddress;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.gateway.edge.Edge;
import dev.hybridge.gateway.observe.Metrics;
import dev.hybridge.gateway.relay.AddressLimiter;
import dev.hybridge.gateway.relay.IceServers;
import dev.hybridge.gateway.room.RoomRegistry;
import dev.hybridge.gateway.room.Rooms;
import dev.hybridge.gateway.slot.SlotRegistry;
import dev.hybridge.gateway.slot.Slots;
import dev.hybridge.gateway.ws.Services;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;

/**
 * The running gateway's state, independent of Helidon and of sockets: static key, rooms, limits,
 * metrics. Connections (and their timer) belong to the edge; a connection sees only
 * {@link #services()}.
 */
public final class Gateway {
    private final GatewayConfig config;
    private final XWingKeyPair staticKey;
    private final HopServer hopServer;
    private final SecureRandom rng;
    private final Rooms rooms;
    private final ClusterNode cluster;
    private final IceServers ice;
    private final AddressLimiter connectionLimiter;
    private final Metrics metrics;
    private final ClientAddress clientAddress;
    private final List<KeyRotation.Retired> retiredKeys;
    private final Services services;
    private volatile boolean shuttingDown;

    public Gateway(GatewayConfig config, XWingKeyPair staticKey, SecureRandom rng)
            throws IOException {
        this(config, staticKey, List.of(), rng);
    }

    /**
     * @param retiredKeys fingerprints of keys this gateway held before (KeyRotation), announced in
     *     the well-known document and never accepted: a ClientHello addressed to one of them is
     *     UNKNOWN_GATEWAY_KEY like any other (spec/hop-handshake.md §3)
     */
    public Gateway(
            GatewayConfig config,
            XWingKeyPair staticKey,
            List<KeyRotation.Retired> retiredKeys,
            SecureRandom rng)
            throws IOException {
        this.config = config;
        this.staticKey = staticKey;
        this.hopServer = new HopServer(List.of(staticKey));
        String current = Fingerprint.toHex(staticKey.fingerprint());
        // an operator who rolled back (moved a retired file over the key file) holds that key again
        this.retiredKeys =
                retiredKeys.stream().filter(r -> !r.fingerprintHex().equals(current)).toList();
        this.clientAddress = new ClientAddress(config.trustedProxies());
        this.rng = rng;
        GatewayConfig.Limits l = config.limits();
        // rooms() is read by the metrics' suppliers only once they render, after this is set
        Rooms[] roomsRef = new Rooms[1];
        this.metrics =
                new Metrics(
                        () -> connectionLimiter().open(),
                        () -> roomsRef[0].rooms(),
                        () -> roomsRef[0].peers());
        if (config.cluster().isPresent()) {
            this.cluster = new ClusterNode(config.cluster().get(), l, rng, metrics);
            this.rooms = cluster;
            metrics.extra(cluster::prometheus);
        } else {
            this.cluster = null;
            this.rooms = new RoomRegistry(l.roomCapacity(), l.maxRooms(), rng);
        }
        roomsRef[0] = rooms;
        this.ice =
                new IceServers(
                        config.ice().stunUrls(),
                        config.ice().turnUrls(),
                        config.ice().turnSecret(),
                        config.ice().turnCredentialTtl(),
                        Clock.systemUTC(),
                        rng);
        this.connectionLimiter =
                new AddressLimiter(
                        l.connectionsPerAddress(), Edge.connectionCap(l.maxConnections()));
        SlotRegistry slots =
                new SlotRegistry(
                        l.maxSlots(),
                        l.slotTtl(),
                        l.slotCreatesPerMinute(),
                        l.slotCreateBurst(),
                        l.slotAttemptsPerMinute(),
                        l.slotAttemptBurst(),
                        rng,
                        metrics);
        metrics.openSlots(slots::openSlots);
        // In a cluster, codes work whichever node each side reaches (spec/cluster.md §6).
        Slots codeSlots = cluster == null ? slots : cluster.slots(slots);
        this.services =
                new Services(
                        l,
                        metrics,
                        hopServer,
                        rng,
                        rooms,
                        ice,
                        this::shuttingDown,
                        codeSlots,
                        new dev.hybridge.gateway.sfu.SfuBridge(
                                config.sfuInUse(), l.roomCapacity(), rng));
    }

    /** From now on new sessions are refused with 1001 and readiness is DOWN. */
    public void beginShutdown() {
        shuttingDown = true;
    }

    /** What a WebSocket connection uses of the gateway. */
    public Services services() {
        return services;
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

    /** Keys this gateway no longer accepts, oldest first, for /.well-known/hybridge.json. */
    public List<KeyRotation.Retired> retiredKeys() {
        return retiredKeys;
    }

    public ClientAddress clientAddress() {
        return clientAddress;
    }

    public HopServer hopServer() {
        return hopServer;
    }

    public SecureRandom rng() {
        return rng;
    }

    public Rooms rooms() {
        return rooms;
    }

    /** This gateway's cluster node, or null when it runs alone (no cluster block). */
    public ClusterNode cluster() {
        return cluster;
    }

    /** Ready for new clients: not shutting down, and (in a cluster) on the bus. */
    public boolean clusterReady() {
        return cluster == null || cluster.ready();
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
}

package dev.hybridge.gateway.cluster;

import dev.hybridge.gateway.cluster.Wire.In;
import dev.hybridge.gateway.cluster.Wire.M;
import dev.hybridge.gateway.cluster.Wire.Out;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.gateway.observe.Metrics;
import dev.hybridge.gateway.room.Member;
import dev.hybridge.gateway.room.PeerIds;
import dev.hybridge.gateway.room.RoomId;
import dev.hybridge.gateway.room.RoomRegistry.JoinResult;
import dev.hybridge.gateway.room.RoomRegistry.RelayResult;
import dev.hybridge.gateway.room.Rooms;
import dev.hybridge.gateway.room.SeatRef;
import dev.hybridge.gateway.slot.SlotRegistry;
import dev.hybridge.gateway.slot.Slots;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One gateway node of a cluster (spec/cluster.md): the {@link Rooms} a connection uses, with the
 * owner of each room on some node of the cluster and the bus (NATS) between the nodes.
 *
 * <p>Threads and locks: connection threads call {@link #join}, {@link #relay}, {@link #leave};
 * the bus's one dispatcher thread handles every message from other nodes (so those are handled
 * in arrival order); a timer sends heartbeats and notices silent nodes. {@code mu} guards the
 * owner state, liveness and the membership side of replicas; a seat's monitor orders its
 * activation against its own relays; {@code pubLock} makes sealing and publishing one step, so the
 * counters go out in order. Lock order: mu, then a seat, then pubLock. The relay path takes no
 * {@code mu}.
 */
public final class ClusterNode implements Rooms {
    private static final System.Logger LOG = System.getLogger(ClusterNode.class.getName());

    /** Relays of a member whose JOIN is still out, held until it is answered (spec/cluster.md §5). */
    static final int MAX_QUEUED_RELAYS = 64;

    /** Relays or events held per room for a member whose JOIN is still out. */
    static final int MAX_PARKED = 256;

    /** Departed peer ids remembered per room, to drop a PEER_JOINED that arrives after its PEER_LEFT. */
    static final int MAX_GONE = 256;

    /** How long an old owner forwards requests for a room it handed over. */
    private static final long MOVED_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final GatewayConfig.Cluster cfg;
    private final int capacity;
    private final int maxRooms;
    private final SecureRandom rng;
    private final Metrics metrics;
    private final byte[] selfId;
    private final String self;
    private final BusSeal seal;
    private final Mac route;

    /** The slot numbers' rendezvous (spec/cluster.md §6), apart from {@code route}, which needs mu. */
    private final Mac slotRoute;

    private volatile ClusterSlots slots;
    private final String prefix;
    private final String hbSubject;
    private final long hbNanos;
    private final long timeoutNanos;

    private final Object mu = new Object();
    private final Object pubLock = new Object();
    private volatile Connection nc;
    private volatile Dispatcher dispatcher;
    private volatile boolean busUp;
    private volatile long busUpSince;
    private volatile boolean stopping;
    private ScheduledExecutorService timer;
    private final KeyCheck keyCheck;
    private final Expulsions expulsions = new Expulsions();

    /** Grows each time this node drops its clients and state to rejoin the cluster (mu). */
    private volatile long incarnation;

    /** When the bus was lost (0 while connected), for the log. */
    private volatile long busLostAt;

    // ---- liveness (mu) ----
    private final Map<String, Long> lastSeen = new HashMap<>();
    private volatile Set<String> live = Set.of();
    private long lastChange = System.nanoTime();
    private long lastHeartbeat;
    private long lastTick = System.nanoTime();

    /** When this node last heard its own heartbeat back from the bus. */
    private volatile long lastEcho = System.nanoTime();

    private boolean deaf;

    /** When this node last made its bus connection start again for deafness (0: never). */
    private long lastForcedReconnect;

    private final Map<String, Long> incarnations = new HashMap<>();

    // ---- owner side (mu) ----
    private final Map<RoomId, Owned> owned = new HashMap<>();
    private final Map<RoomId, Moved> moved = new HashMap<>();
    private volatile int ownedCount;

    // ---- replica side ----
    private final ConcurrentHashMap<RoomId, View> views = new ConcurrentHashMap<>();
    private final Map<Long, CSeat> pendingByReq = new HashMap<>(); // mu
    private long nextReq; // mu
    private final AtomicInteger localPeers = new AtomicInteger();

    private final ClusterMetrics counts = new ClusterMetrics();

    public ClusterNode(
            GatewayConfig.Cluster cfg,
            GatewayConfig.Limits limits,
            SecureRandom rng,
            Metrics metrics)
            throws IOException {
        this.cfg = cfg;
        this.capacity = limits.roomCapacity();
        this.maxRooms = limits.maxRooms();
        this.rng = rng;
        this.metrics = metrics;
        this.selfId = new byte[Wire.NODE];
        rng.nextBytes(selfId);
        this.self = Wire.hex(selfId);
        byte[] key = BusSeal.loadKey(cfg.keyFile());
        this.seal = new BusSeal(key, selfId);
        this.keyCheck = new KeyCheck(KeyCheck.value(key), cfg.nodeTimeout().toNanos());
        java.util.Arrays.fill(key, (byte) 0);
        try {
            this.route = Mac.getInstance("HmacSHA256");
            route.init(new SecretKeySpec(seal.routeKey(), "HmacSHA256"));
            this.slotRoute = Mac.getInstance("HmacSHA256");
            slotRoute.init(new SecretKeySpec(seal.routeKey(), "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        this.prefix = cfg.subjectPrefix();
        this.hbSubject = prefix + ".hb";
        this.hbNanos = cfg.heartbeatInterval().toNanos();
        this.timeoutNanos = cfg.nodeTimeout().toNanos();
    }

    /**
     * The short-code slots of this node, cluster-wide (spec/cluster.md §6): slots live in {@code
     * local} on their creator's node; joiners on other nodes reach them over the bus.
     */
    public Slots slots(SlotRegistry local) {
        ClusterSlots cs =
                new ClusterSlots(
                        local,
                        new ClusterSlots.Bus() {
                            @Override
                            public String self() {
                                return self;
                            }

                            @Override
                            public String slotOwner(long n) {
                                return ClusterNode.this.slotOwner(n);
                            }

                            @Override
                            public void publish(String node, Wire.Out msg) {
                                ClusterNode.this.publish(node, msg);
                            }
                        });
        slots = cs;
        return cs;
    }

    /** This node's id in hex (not secret: it names the node's subject). */
    public String nodeId() {
        return self;
    }

    // ================================================================ lifecycle

    /** Connects to the bus in the background (retrying for ever) and starts the heartbeat timer. */
    public void start() throws InterruptedException {
        LOG.log(
                System.Logger.Level.INFO,
                "cluster key check value "
                        + keyCheck.own()
                        + " (the same on every node of one cluster; not a secret)");
        timer =
                Executors.newSingleThreadScheduledExecutor(
                        Thread.ofPlatform().name("hybridge-cluster-timer").daemon().factory());
        long period = Math.max(20, cfg.heartbeatInterval().toMillis() / 5);
        timer.scheduleAtFixedRate(this::tickSafely, period, period, TimeUnit.MILLISECONDS);
        Options o =
                new Options.Builder()
                        .servers(cfg.natsUrls().toArray(String[]::new))
                        .connectionName("hybridge-" + self.substring(0, 8))
                        .maxReconnects(-1)
                        .reconnectWait(Duration.ofMillis(250))
                        .connectionTimeout(Duration.ofSeconds(2))
                        .pingInterval(Duration.ofSeconds(2))
                        .connectionListener(this::connectionEvent)
                        .errorListener(
                                new ErrorListener() {
                                    @Override
                                    public void slowConsumerDetected(
                                            Connection conn, io.nats.client.Consumer consumer) {
                                        counts.busRejected.increment();
                                        LOG.log(
                                                System.Logger.Level.WARNING,
                                                "cluster: this node falls behind the bus");
                                    }
                                })
                        .build();
        Nats.connectAsynchronously(o, true);
    }

    private void connectionEvent(Connection conn, ConnectionListener.Events type) {
        switch (type) {
            case CONNECTED -> {
                synchronized (mu) {
                    if (dispatcher == null) {
                        nc = conn;
                        Dispatcher d = conn.createDispatcher(this::onMessage);
                        // bounded: what the node has not handled yet (it never blocks handling)
                        d.setPendingLimits(200_000, 256L * 1024 * 1024);
                        d.subscribe(hbSubject);
                        d.subscribe(subject(self));
                        dispatcher = d;
                    }
                    busUpSince = System.nanoTime();
                    lastEcho = busUpSince;
                    busUp = true;
                    busLostAt = 0;
                    LOG.log(System.Logger.Level.INFO, "cluster node " + self + " on the bus");
                    for (CSeat s : pendingByReq.values()) {
                        if (s.state != State.GONE) {
                            sendJoinReq(s);
                        }
                    }
                }
            }
            case RECONNECTED, RESUBSCRIBED -> {
                synchronized (mu) {
                    if (!busUp) {
                        busUpSince = System.nanoTime();
                        lastEcho = busUpSince;
                        long now = System.nanoTime();
                        lastSeen.replaceAll((k, v) -> now); // give the others a fresh window
                    }
                    busUp = true;
                }
                long lost = busLostAt;
                busLostAt = 0;
                LOG.log(
                        System.Logger.Level.INFO,
                        "cluster node "
                                + self
                                + " back on the bus"
                                + (lost == 0
                                        ? ""
                                        : " after "
                                                + (System.nanoTime() - lost) / 1_000_000
                                                + " ms"));
            }
            case DISCONNECTED, CLOSED -> {
                boolean was = busUp;
                busUp = false;
                if (was) { // once per loss: every failed reconnect attempt says DISCONNECTED too
                    busLostAt = System.nanoTime();
                    if (!stopping) {
                        LOG.log(
                                System.Logger.Level.WARNING,
                                "cluster node " + self + " lost the bus");
                    }
                }
            }
            default -> {}
        }
    }

    /**
     * Ready for new clients: on the bus, and long enough (two heartbeats) to have heard the other
     * nodes, so that it does not route a JOIN as if it were alone.
     */
    public boolean ready() {
        return onBusLongEnough() && !keyCheck.misconfigured();
    }

    private boolean onBusLongEnough() {
        return busUp && !stopping && System.nanoTime() - busUpSince >= 2 * hbNanos;
    }

    /**
     * Leaves the cluster (after the node's own connections are closed): LEAVING, so that the
     * others move its rooms at once, then closes the bus connection.
     */
    public void stop() {
        stopping = true;
        synchronized (mu) {
            heartbeat(Wire.LEAVING);
        }
        Connection c = nc;
        try {
            if (c != null) {
                c.flush(Duration.ofSeconds(1));
            }
        } catch (Exception e) {
            // the bus is gone anyway: the others notice after node-timeout
        }
        if (timer != null) {
            timer.shutdownNow();
        }
        try {
            if (c != null) {
                c.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ================================================================ Rooms (connection threads)

    @Override
    public JoinResult join(
            RoomId roomId, byte[] publicKey, Member member, List<RoomMessage.IceServer> ice) {
        synchronized (mu) {
            View v = views.computeIfAbsent(roomId, View::new);
            if (v.owner == null) {
                v.owner = rendezvous(v.room);
            }
            CSeat s = new CSeat(v, member, publicKey.clone(), ice, ++nextReq);
            v.pending.add(s);
            pendingByReq.put(s.req, s);
            sendJoinReq(s);
            return new JoinResult.Joined(s);
        }
    }

    @Override
    public void leave(SeatRef ref) {
        CSeat s = (CSeat) ref;
        synchronized (mu) {
            State prev;
            synchronized (s) {
                prev = s.state;
                s.state = State.GONE;
                s.queued = null;
            }
            View v = s.view;
            if (prev == State.ACTIVE) {
                v.local.remove(s.peerId, s);
                localPeers.decrementAndGet();
                publish(v.owner, new Out(Wire.LEAVE_REQ).bytes(v.room).node(self).u64(s.peerId));
            }
            // PENDING: the answer to its JOIN finds it GONE and gives the seat back (LEAVE_REQ)
            maybeDrop(v);
        }
    }

    @Override
    public RelayResult relay(SeatRef ref, long to, byte[] envelope) {
        CSeat s = (CSeat) ref;
        synchronized (s) {
            if (s.state == State.GONE) {
                return RelayResult.NOT_IN_ROOM;
            }
            if (s.state == State.PENDING) {
                if (s.queued.size() >= MAX_QUEUED_RELAYS) {
                    return RelayResult.UNKNOWN_PEER;
                }
                s.queued.add(new Queued(to, envelope));
                return RelayResult.DELIVERED;
            }
        }
        return relayNow(s, to, envelope);
    }

    private RelayResult relayNow(CSeat s, long to, byte[] envelope) {
        View v = s.view;
        M m = v.members.get(to);
        if (m == null || to == s.peerId) {
            return RelayResult.UNKNOWN_PEER;
        }
        if (m.node().equals(self)) {
            CSeat t = v.local.get(to);
            if (t == null) {
                return RelayResult.UNKNOWN_PEER;
            }
            return t.member.deliver(relayed(s.peerId, envelope))
                    ? RelayResult.DELIVERED
                    : RelayResult.TARGET_OVERLOADED;
        }
        if (!live.contains(m.node())) {
            return RelayResult.UNKNOWN_PEER;
        }
        publish(m.node(), new Out(Wire.RELAY).bytes(v.room).u64(s.peerId).u64(to).bytes(envelope));
        counts.forwardedOut.increment();
        return RelayResult.DELIVERED;
    }

    @Override
    public boolean seated(SeatRef seat) {
        return ((CSeat) seat).state != State.GONE;
    }

    @Override
    public boolean exists(RoomId roomId) {
        synchronized (mu) {
            return owned.containsKey(roomId) || views.containsKey(roomId);
        }
    }

    @Override
    public int rooms() {
        return ownedCount;
    }

    @Override
    public int peers() {
        return localPeers.get();
    }

    // ================================================================ bus (dispatcher thread)

    private void onMessage(Message msg) {
        BusSeal.Opened o = seal.open(msg.getSubject(), msg.getData());
        if (o == null) {
            counts.busRejected.increment();
            if (msg.getSubject().equals(hbSubject)) {
                unopenedHeartbeat(msg);
            }
            return;
        }
        counts.busIn.increment();
        try {
            In in = new In(o.plaintext());
            if (in.type != Wire.HEARTBEAT && expulsions.contains(o.senderHex())) {
                counts.staleDropped.increment(); // sent before it learned it was declared gone
                return;
            }
            switch (in.type) {
                case Wire.HEARTBEAT -> onHeartbeat(o.senderHex(), in);
                case Wire.RELAY -> onRelay(o.senderHex(), in);
                case Wire.SLOT_JOIN, Wire.SLOT_RELAY, Wire.SLOT_DONE, Wire.SLOT_DELIVER ->
                        onSlotMessage(o.senderHex(), in);
                default -> {
                    synchronized (mu) {
                        handleLocked(o.senderHex(), o.plaintext());
                    }
                }
            }
        } catch (Wire.Malformed e) {
            counts.busRejected.increment();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cluster: failure handling a bus message", e);
        }
    }

    /** A short-code slot message (ClusterSlots), outside {@code mu}. */
    private void onSlotMessage(String from, In in) {
        ClusterSlots cs = slots;
        if (cs == null) {
            counts.busRejected.increment();
            return;
        }
        switch (in.type) {
            case Wire.SLOT_JOIN -> cs.onJoin(from, in);
            case Wire.SLOT_RELAY -> cs.onRelay(from, in);
            case Wire.SLOT_DONE -> cs.onDone(from, in);
            default -> cs.onDeliver(from, in);
        }
    }

    /** Handles a membership message under {@code mu}; also replays requests held while settling. */
    private void handleLocked(String from, byte[] plain) {
        In in = new In(plain);
        switch (in.type) {
            case Wire.JOIN_REQ -> onJoinReq(plain, in);
            case Wire.LEAVE_REQ -> onLeaveReq(plain, in);
            case Wire.REHOME -> onRehome(plain, in);
            case Wire.HANDOFF -> onHandoff(in);
            case Wire.SEATED -> onSeated(from, in);
            case Wire.REFUSED -> onRefused(in);
            case Wire.PEER_JOINED -> onPeerJoined(in);
            case Wire.PEER_LEFT -> onPeerLeft(in);
            case Wire.RELAY_ERR -> onRelayErr(in);
            case Wire.OWNER_MOVED -> onOwnerMoved(in);
            case Wire.ROOM_STATE -> onRoomState(from, in);
            case Wire.EXPELLED -> onExpelled(in);
            default -> counts.busRejected.increment();
        }
    }

    /** A heartbeat that failed to open: perhaps a node with another cluster key (KeyCheck). */
    private void unopenedHeartbeat(Message msg) {
        byte[] data = msg.getData();
        if (data == null || data.length < BusSeal.HEADER || data[0] != BusSeal.VERSION) {
            return;
        }
        String kcv = msg.hasHeaders() ? msg.getHeaders().getFirst(KeyCheck.HEADER) : null;
        keyCheck.unopened(
                Wire.hex(java.util.Arrays.copyOfRange(data, 1, 1 + Wire.NODE)),
                kcv,
                System.nanoTime());
    }

    private void onHeartbeat(String from, In in) {
        int state = in.u8();
        long sent = in.u64();
        long inc = in.u64();
        in.end();
        if (from.equals(self)) {
            lastEcho = System.nanoTime();
            counts.busLatency(System.nanoTime() - sent); // our own clock: the bus's round trip
            return;
        }
        synchronized (mu) {
            Long expelledAt = expulsions.at(from);
            if (expelledAt != null) {
                if (inc <= expelledAt) { // still the incarnation we declared gone: tell it
                    if (state != Wire.LEAVING) {
                        publish(from, new Out(Wire.EXPELLED).u64(inc));
                    }
                    return;
                }
                expulsions.readmit(from); // it dropped its old clients and state: a new node
            }
            if (state == Wire.LEAVING) {
                if (lastSeen.containsKey(from)) {
                    nodeGone(from, false);
                }
                return;
            }
            Long knownInc = incarnations.put(from, inc);
            if (knownInc != null && inc > knownInc && lastSeen.containsKey(from)) {
                // it rejoined (another node expelled it): its members and rooms are gone
                nodeGone(from, false);
                incarnations.put(from, inc);
            }
            if (lastSeen.put(from, System.nanoTime()) == null) {
                LOG.log(System.Logger.Level.INFO, "cluster: node " + from + " joined");
                lastChange = System.nanoTime();
                updateLive();
                rebalance();
            }
        }
    }

    // ---------------------------------------------------------------- owner side (mu)

    private void onJoinReq(byte[] raw, In in) {
        byte[] room = in.bytes(Wire.ROOM);
        String origin = in.node();
        long req = in.u64();
        byte[] pk = in.bytes(Wire.KEY);
        in.end();
        RoomId id = new RoomId(room);
        Moved mv = moved.get(id);
        if (mv != null) {
            publishRaw(mv.to, raw);
            return;
        }
        if (!origin.equals(self) && !lastSeen.containsKey(origin)) {
            return; // from a node that is gone: nobody would take the answer
        }
        Owned o = owned.get(id);
        long now = System.nanoTime();
        if (o == null) {
            if (owned.size() >= maxRooms) {
                refuse(origin, room, req, RoomError.TOO_MANY_ROOMS);
                return;
            }
            o = new Owned(id, room);
            if (now - lastChange < timeoutNanos) {
                o.settleUntil = lastChange + timeoutNanos; // a HANDOFF or REHOME may be on its way
            }
            putOwned(o);
        }
        if (o.settling()) {
            o.held.add(raw);
            return;
        }
        if (o.members.size() >= capacity) {
            refuse(origin, room, req, RoomError.ROOM_FULL);
            return;
        }
        long pid;
        do {
            pid = rng.nextLong();
        } while (o.find(pid) != null);
        M m = new M(pid, o.nextSeq++, origin, pk);
        List<M> before = List.copyOf(o.members);
        o.members.add(m);
        publish(
                origin,
                new Out(Wire.SEATED).bytes(room).u64(req).u64(pid).u64(m.seq()).members(before));
    }

    private void refuse(String origin, byte[] room, long req, RoomError code) {
        publish(origin, new Out(Wire.REFUSED).bytes(room).u64(req).u16(code.code()));
    }

    private void onLeaveReq(byte[] raw, In in) {
        byte[] room = in.bytes(Wire.ROOM);
        in.node();
        long pid = in.u64();
        in.end();
        RoomId id = new RoomId(room);
        Moved mv = moved.get(id);
        if (mv != null) {
            publishRaw(mv.to, raw);
            return;
        }
        Owned o = owned.get(id);
        if (o == null) {
            return;
        }
        M m = o.find(pid);
        if (m == null) {
            return;
        }
        o.members.remove(m);
        byte[] left = new Out(Wire.PEER_LEFT).bytes(room).u64(pid).done();
        for (String node : o.nodes()) {
            publishRaw(node, left);
        }
        dropIfEmpty(o);
    }

    private void onRehome(byte[] raw, In in) {
        byte[] room = in.bytes(Wire.ROOM);
        String origin = in.node();
        List<M> seats = in.members();
        in.end();
        RoomId id = new RoomId(room);
        Moved mv = moved.get(id);
        if (mv != null) {
            publishRaw(mv.to, raw);
            return;
        }
        Owned o = owned.get(id);
        if (o == null) {
            o = new Owned(id, room);
            o.settleUntil = System.nanoTime() + timeoutNanos;
            putOwned(o);
            counts.roomMoves.increment();
        }
        Set<Long> listed = new HashSet<>();
        for (M m : seats) {
            listed.add(m.peerId());
        }
        o.members.removeIf(m -> m.node().equals(origin) && !listed.contains(m.peerId()));
        merge(o, seats, 0);
        if (!o.settling()) {
            broadcastState(o);
            dropIfEmpty(o);
        }
    }

    private void onHandoff(In in) {
        byte[] room = in.bytes(Wire.ROOM);
        long nextSeq = in.u64();
        List<M> members = in.members();
        in.end();
        RoomId id = new RoomId(room);
        moved.remove(id);
        Owned o = owned.get(id);
        counts.roomMoves.increment();
        if (o == null) {
            o = new Owned(id, room);
            merge(o, members, nextSeq);
            putOwned(o);
        } else {
            merge(o, members, nextSeq);
            if (!o.settling()) {
                broadcastState(o);
            }
        }
        if (!o.settling()) {
            rebalance(o);
        }
    }

    private static void merge(Owned o, List<M> add, long nextSeq) {
        for (M m : add) {
            if (o.find(m.peerId()) == null) {
                o.members.add(m);
            }
            o.nextSeq = Math.max(o.nextSeq, m.seq() + 1);
        }
        o.nextSeq = Math.max(o.nextSeq, nextSeq);
        o.members.sort(Comparator.comparingLong(M::seq));
    }

    private void broadcastState(Owned o) {
        byte[] state = new Out(Wire.ROOM_STATE).bytes(o.room).members(o.members).done();
        for (String node : o.nodes()) {
            publishRaw(node, state);
        }
    }

    private void putOwned(Owned o) {
        owned.put(o.id, o);
        ownedCount = owned.size();
    }

    private void dropIfEmpty(Owned o) {
        if (o.members.isEmpty() && !o.settling() && owned.get(o.id) == o) {
            owned.remove(o.id);
            ownedCount = owned.size();
        }
    }

    /** Hands every owned room whose rendezvous owner is another node over to it. */
    private void rebalance() {
        for (Owned o : List.copyOf(owned.values())) {
            if (!o.settling()) {
                rebalance(o);
            }
        }
    }

    private void rebalance(Owned o) {
        String target = rendezvous(o.room);
        if (target.equals(self)) {
            return;
        }
        publish(target, new Out(Wire.HANDOFF).bytes(o.room).u64(o.nextSeq).members(o.members));
        byte[] movedMsg = new Out(Wire.OWNER_MOVED).bytes(o.room).node(target).done();
        for (String node : o.nodes()) {
            publishRaw(node, movedMsg);
        }
        moved.put(o.id, new Moved(target, System.nanoTime() + MOVED_NANOS));
        owned.remove(o.id);
        ownedCount = owned.size();
        counts.roomMoves.increment();
    }

    // ---------------------------------------------------------------- replica side (mu)

    private void onSeated(String from, In in) {
        byte[] room = in.bytes(Wire.ROOM);
        long req = in.u64();
        long pid = in.u64();
        long seq = in.u64();
        List<M> before = in.members();
        in.end();
        CSeat s = pendingByReq.remove(req);
        if (s == null || s.state == State.GONE) {
            publish(from, new Out(Wire.LEAVE_REQ).bytes(room).node(self).u64(pid));
            if (s != null) {
                s.view.pending.remove(s);
                maybeDrop(s.view);
            }
            return;
        }
        View v = s.view;
        v.pending.remove(s);
        v.owner = from;
        List<RoomMessage.Peer> peers = new ArrayList<>(before.size());
        Set<String> nodes = new LinkedHashSet<>();
        for (M m : before) {
            if (v.gone.contains(m.peerId())) {
                continue;
            }
            v.members.putIfAbsent(m.peerId(), m);
            peers.add(new RoomMessage.Peer(PeerIds.toBytes(m.peerId()), m.publicKey()));
            if (!m.node().equals(self)) {
                nodes.add(m.node());
            }
        }
        M me = new M(pid, seq, self, s.publicKey);
        byte[] announce =
                RoomCodec.encode(new RoomMessage.PeerJoined(PeerIds.toBytes(pid), s.publicKey));
        byte[] evt = new Out(Wire.PEER_JOINED).bytes(room).member(me).done();
        List<Queued> queued;
        synchronized (s) {
            s.peerId = pid;
            s.seq = seq;
            v.members.put(pid, me);
            v.local.put(pid, s);
            localPeers.incrementAndGet();
            s.member.deliver(
                    RoomCodec.encode(new RoomMessage.Joined(PeerIds.toBytes(pid), peers, s.ice)));
            v.announced.add(pid);
            // members whose PEER_JOINED_EVT overtook this answer (seated after this one)
            List<M> later = new ArrayList<>();
            for (M m : v.members.values()) {
                if (m.seq() > seq && !m.node().equals(self) && v.announced.contains(m.peerId())) {
                    later.add(m);
                }
            }
            later.sort(Comparator.comparingLong(M::seq));
            for (M m : later) {
                s.member.deliver(
                        RoomCodec.encode(
                                new RoomMessage.PeerJoined(
                                        PeerIds.toBytes(m.peerId()), m.publicKey())));
            }
            for (String node : nodes) {
                publishRaw(node, evt);
            }
            for (CSeat o : v.local.values()) {
                if (o != s && o.state == State.ACTIVE && o.seq < seq) {
                    o.member.deliver(announce);
                }
            }
            s.state = State.ACTIVE;
            queued = s.queued;
            s.queued = null;
            for (Queued q : queued) {
                if (relayNow(s, q.to, q.envelope) == RelayResult.UNKNOWN_PEER) {
                    s.member.deliver(unknownPeer(q.to));
                }
            }
        }
        // relays that reached this node before the answer
        for (Iterator<Parked> it = v.parked.iterator(); it.hasNext(); ) {
            Parked p = it.next();
            if (p.to == pid) {
                it.remove();
                s.member.deliver(relayed(p.from, p.envelope));
                counts.forwardedIn.increment();
            }
        }
        if (v.pending.isEmpty()) {
            flushParked(v);
        }
    }

    private void onRefused(In in) {
        in.bytes(Wire.ROOM);
        long req = in.u64();
        int code = in.u16();
        in.end();
        CSeat s = pendingByReq.remove(req);
        if (s == null) {
            return;
        }
        s.view.pending.remove(s);
        boolean was;
        synchronized (s) {
            was = s.state != State.GONE;
            s.state = State.GONE;
            s.queued = null;
        }
        RoomError ec = RoomError.ofCode(code);
        if (was) {
            if (ec == RoomError.ROOM_FULL) {
                metrics.limitHit(Metrics.LIMIT_ROOM_CAPACITY);
            } else if (ec == RoomError.TOO_MANY_ROOMS) {
                metrics.limitHit(Metrics.LIMIT_ROOMS);
            }
            metrics.inputRejected(ec == null ? "UNKNOWN" : ec.name());
            s.member.deliver(RoomCodec.encode(new RoomMessage.Error(code, null)));
        }
        if (s.view.pending.isEmpty()) {
            flushParked(s.view);
        }
        maybeDrop(s.view);
    }

    private void onPeerJoined(In in) {
        byte[] room = in.bytes(Wire.ROOM);
        M m = in.member();
        in.end();
        View v = views.get(new RoomId(room));
        if (v == null) {
            return;
        }
        announce(v, m, m.seq());
    }

    /**
     * Announces {@code m} (PEER_JOINED) to this node's active members of lower seq than
     * {@code belowSeq}, once per member: the replica may already hold it (listed in the JOINED of
     * a later local member), but the earlier local members learn of it only here.
     */
    private void announce(View v, M m, long belowSeq) {
        if (v.gone.contains(m.peerId()) || !v.announced.add(m.peerId())) {
            return;
        }
        v.members.putIfAbsent(m.peerId(), m);
        byte[] msg =
                RoomCodec.encode(
                        new RoomMessage.PeerJoined(PeerIds.toBytes(m.peerId()), m.publicKey()));
        for (CSeat s : v.local.values()) {
            if (s.state == State.ACTIVE && s.seq < belowSeq) {
                s.member.deliver(msg);
            }
        }
    }

    private void onPeerLeft(In in) {
        byte[] room = in.bytes(Wire.ROOM);
        long pid = in.u64();
        in.end();
        View v = views.get(new RoomId(room));
        if (v != null) {
            departed(v, pid);
        }
    }

    /** A member left the room: PEER_LEFT to this node's members, once. */
    private void departed(View v, long pid) {
        if (v.local.containsKey(pid)) {
            return; // a local seat ends only with its own connection (or LEAVE)
        }
        v.markGone(pid);
        v.announced.remove(pid);
        M m = v.members.remove(pid);
        if (m == null) {
            return;
        }
        byte[] left = RoomCodec.encode(new RoomMessage.PeerLeft(PeerIds.toBytes(pid)));
        for (CSeat s : v.local.values()) {
            if (s.state == State.ACTIVE) {
                s.member.deliver(left);
            }
        }
    }

    private void onRelay(String from, In in) {
        byte[] room = in.bytes(Wire.ROOM);
        long fromPeer = in.u64();
        long to = in.u64();
        byte[] envelope = in.rest();
        View v = views.get(new RoomId(room));
        CSeat t = v == null ? null : v.local.get(to);
        if (t != null) {
            t.member.deliver(relayed(fromPeer, envelope));
            counts.forwardedIn.increment();
            return;
        }
        synchronized (mu) {
            if (v != null && !v.pending.isEmpty() && v.parked.size() < MAX_PARKED) {
                v.parked.add(new Parked(from, fromPeer, to, envelope));
            } else {
                publish(from, new Out(Wire.RELAY_ERR).bytes(room).u64(fromPeer).u64(to));
            }
        }
    }

    private void flushParked(View v) {
        for (Parked p : v.parked) {
            publish(p.node, new Out(Wire.RELAY_ERR).bytes(v.room).u64(p.from).u64(p.to));
        }
        v.parked.clear();
    }

    private void onRelayErr(In in) {
        byte[] room = in.bytes(Wire.ROOM);
        long fromPeer = in.u64();
        long to = in.u64();
        in.end();
        View v = views.get(new RoomId(room));
        CSeat s = v == null ? null : v.local.get(fromPeer);
        if (s != null) {
            metrics.inputRejected(RoomError.UNKNOWN_PEER.name());
            s.member.deliver(unknownPeer(to));
        }
    }

    private void onOwnerMoved(In in) {
        byte[] room = in.bytes(Wire.ROOM);
        String to = in.node();
        in.end();
        View v = views.get(new RoomId(room));
        if (v != null) {
            v.owner = to;
        }
    }

    private void onRoomState(String from, In in) {
        byte[] room = in.bytes(Wire.ROOM);
        List<M> members = in.members();
        in.end();
        View v = views.get(new RoomId(room));
        if (v == null) {
            return;
        }
        v.owner = from;
        Set<Long> listed = new HashSet<>();
        for (M m : members) {
            listed.add(m.peerId());
        }
        for (M m : List.copyOf(v.members.values())) {
            if (!listed.contains(m.peerId()) && !m.node().equals(self)) {
                departed(v, m.peerId());
            }
        }
        for (M m : members) {
            if (!m.node().equals(self) && !v.members.containsKey(m.peerId())) {
                announce(v, m, Long.MAX_VALUE); // nobody here knew it
            }
        }
    }

    /** Another node declared this one gone: its view is stale, rejoin (spec/cluster.md §3). */
    private void onExpelled(In in) {
        long inc = in.u64();
        in.end();
        if (inc == incarnation) { // once: later EXPELLEDs name the incarnation we left
            rejoin("the other nodes declared it gone (no heartbeat of it for node-timeout)");
        }
    }

    /**
     * Drops this node's stale part of the cluster and comes back as a new incarnation (mu): every
     * member seated here, or waiting for its JOIN, gets ERROR(SHUTTING_DOWN) and a close with 1001
     * (its client reconnects and joins again, as after a drain); the rooms it owned and its
     * replicas are forgotten; the next heartbeat, sent at once, carries the new incarnation, so
     * the others take it for a node that just appeared. Clients in no room are not touched.
     */
    private void rejoin(String why) {
        incarnation++;
        counts.rejoins.increment();
        int closed = 0;
        for (View v : List.copyOf(views.values())) {
            List<CSeat> seats = new ArrayList<>(v.local.values());
            seats.addAll(v.pending);
            for (CSeat s : seats) {
                // first: the connection ignores what its client sends from now on (no
                // NOT_IN_ROOM for a relay that crosses this); goingAway never blocks
                s.member.goingAway();
                synchronized (s) {
                    if (s.state == State.ACTIVE) {
                        localPeers.decrementAndGet();
                    }
                    s.state = State.GONE;
                    s.queued = null;
                }
                closed++;
            }
        }
        views.clear();
        pendingByReq.clear();
        owned.clear();
        moved.clear();
        ownedCount = 0;
        lastChange = System.nanoTime();
        LOG.log(
                System.Logger.Level.WARNING,
                "cluster: this node rejoins the cluster because "
                        + why
                        + ": closed its "
                        + closed
                        + " room member(s) with 1001 so that they join again");
        if (busUp && !stopping) {
            heartbeat(Wire.SERVING);
            lastHeartbeat = System.nanoTime();
        }
    }

    private void maybeDrop(View v) {
        if (v.local.isEmpty() && v.pending.isEmpty()) {
            views.remove(v.id, v);
        }
    }

    private void sendJoinReq(CSeat s) {
        View v = s.view;
        publish(
                v.owner,
                new Out(Wire.JOIN_REQ).bytes(v.room).node(self).u64(s.req).bytes(s.publicKey));
    }

    // ---------------------------------------------------------------- liveness (mu)

    private void tickSafely() {
        try {
            synchronized (mu) {
                tick(System.nanoTime());
            }
            ClusterSlots cs = slots;
            if (cs != null) {
                cs.purge(System.nanoTime()); // off mu
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cluster: timer failure", e);
        }
    }

    private void tick(long now) {
        if (now - lastTick > timeoutNanos / 2) {
            // this process did not run (a pause): the others' heartbeats wait in our socket
            long paused = now - lastTick;
            LOG.log(
                    System.Logger.Level.WARNING,
                    "cluster: this node did not run for " + paused / 1_000_000 + " ms");
            lastSeen.replaceAll((k, v) -> now);
        }
        lastTick = now;
        if (busUp && !stopping && now - lastHeartbeat >= hbNanos) {
            heartbeat(Wire.SERVING);
            lastHeartbeat = now;
        }
        boolean wasReady = ready();
        if (keyCheck.judge(live.size() + 1, wasReady, now) && wasReady) {
            rejoin("it is outnumbered by nodes with another cluster key");
        }
        boolean lagging = busUp && now - lastEcho > timeoutNanos / 2;
        if (lagging != deaf) {
            deaf = lagging;
            LOG.log(
                    System.Logger.Level.WARNING,
                    lagging
                            ? "cluster: this node's own heartbeats come back from the bus late"
                                    + " (it falls behind what the bus delivers): it declares no"
                                    + " other node gone meanwhile"
                            : "cluster: this node hears its own heartbeats again");
        }
        if (busUp
                && now - lastEcho > timeoutNanos
                && now - lastForcedReconnect > timeoutNanos
                && idleDispatcher()) {
            // Not even our own heartbeats for node-timeout while the connection says it is up:
            // the connection is useless (seen after a cut through a proxy: heard by nobody, not
            // even itself, until the bus restarted), and a node that keeps it stays ready while
            // its members' JOINs hang. Start it again; the others expel us meanwhile, and the
            // rejoin that follows is the one of any cut (spec/cluster.md §3).
            lastForcedReconnect = now;
            long deafMs = (now - lastEcho) / 1_000_000;
            // what it missed meanwhile (relays, joins, room state) is lost: its members must not
            // go on as if nothing happened, so it rejoins as a cut-off node does
            rejoin("it has not heard its own heartbeats for " + deafMs + " ms");
            forceReconnect(deafMs);
        }
        if (lagging) { // others' silence cannot be told from our own deafness
            lastSeen.replaceAll((k, v) -> now);
        } else if (busUp) { // without the bus we cannot tell a dead node from our own isolation
            List<String> silent = new ArrayList<>();
            for (Map.Entry<String, Long> e : lastSeen.entrySet()) {
                if (now - e.getValue() > timeoutNanos) {
                    silent.add(e.getKey());
                }
            }
            for (String n : silent) {
                nodeGone(n, true);
            }
        }
        for (Owned o : List.copyOf(owned.values())) {
            if (o.settleUntil != 0 && now - o.settleUntil >= 0) {
                o.settleUntil = 0;
                broadcastState(o);
                List<byte[]> held = o.held;
                o.held = new ArrayList<>();
                for (byte[] h : held) {
                    handleLocked(self, h);
                }
                dropIfEmpty(o);
                if (owned.get(o.id) == o) {
                    rebalance(o);
                }
            }
        }
        moved.values().removeIf(m -> now - m.until > 0);
    }

    /**
     * Whether nothing waits in this node's bus dispatcher: a late echo with messages waiting is
     * a node falling behind (handled above), not a deaf connection.
     */
    private boolean idleDispatcher() {
        Dispatcher d = dispatcher;
        return d != null && d.getPendingMessageCount() == 0;
    }

    /** Makes the bus connection start again, off the timer thread (it may block). */
    private void forceReconnect(long deafMs) {
        Connection c = nc;
        if (c == null) {
            return;
        }
        counts.forcedReconnects.increment();
        LOG.log(
                System.Logger.Level.WARNING,
                "cluster: this node has not heard its own heartbeats for "
                        + deafMs
                        + " ms on a connection that says it is up: it reconnects to the bus");
        Thread.ofPlatform()
                .daemon()
                .name("hybridge-cluster-reconnect")
                .start(
                        () -> {
                            try {
                                c.forceReconnect();
                            } catch (java.io.IOException e) {
                                LOG.log(
                                        System.Logger.Level.WARNING,
                                        "cluster: reconnect failed: " + e.getMessage());
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
    }

    private void heartbeat(byte state) {
        Headers h = new Headers().put(KeyCheck.HEADER, keyCheck.own());
        publishTo(
                hbSubject,
                h,
                new Out(Wire.HEARTBEAT).u8(state).u64(System.nanoTime()).u64(incarnation).done());
    }

    /**
     * {@code n} is gone: it said LEAVING, rejoined with a new incarnation, or ({@code silent})
     * its heartbeats stopped for node-timeout, in which case it may still run, cut off: it is
     * expelled until it comes back with a new incarnation.
     */
    private void nodeGone(String n, boolean silent) {
        LOG.log(System.Logger.Level.INFO, "cluster: node " + n + " gone");
        if (silent) {
            expulsions.expel(n, incarnations.getOrDefault(n, 0L));
        }
        incarnations.remove(n);
        lastSeen.remove(n);
        updateLive();
        ClusterSlots cs = slots;
        if (cs != null && timer != null) {
            timer.execute(() -> cs.nodeGone(n)); // off mu: the slots take their registry's lock
        }
        lastChange = System.nanoTime();
        seal.forget(n);
        // as owner: its members leave
        for (Owned o : List.copyOf(owned.values())) {
            List<M> dead = new ArrayList<>();
            for (M m : o.members) {
                if (m.node().equals(n)) {
                    dead.add(m);
                }
            }
            if (dead.isEmpty()) {
                continue;
            }
            o.members.removeAll(dead);
            for (M d : dead) {
                byte[] left = new Out(Wire.PEER_LEFT).bytes(o.room).u64(d.peerId()).done();
                for (String node : o.nodes()) {
                    publishRaw(node, left);
                }
            }
            dropIfEmpty(o);
        }
        // as replica of a room the dead node owned: its members leave here, the room moves
        for (View v : List.copyOf(views.values())) {
            if (!n.equals(v.owner)) {
                continue;
            }
            for (M m : List.copyOf(v.members.values())) {
                if (m.node().equals(n)) {
                    departed(v, m.peerId());
                }
            }
            v.owner = rendezvous(v.room);
            List<M> mine = new ArrayList<>();
            for (CSeat s : v.local.values()) {
                if (s.state == State.ACTIVE) {
                    mine.add(new M(s.peerId, s.seq, self, s.publicKey));
                }
            }
            if (!mine.isEmpty()) {
                publish(v.owner, new Out(Wire.REHOME).bytes(v.room).node(self).members(mine));
            }
            for (CSeat s : List.copyOf(v.pending)) {
                if (s.state == State.GONE) {
                    v.pending.remove(s);
                    pendingByReq.remove(s.req);
                } else {
                    sendJoinReq(s);
                }
            }
            maybeDrop(v);
        }
        rebalance();
    }

    private void updateLive() {
        live = Set.copyOf(lastSeen.keySet());
    }

    /** The live node with the greatest HMAC(k_route, room_id || node_id) (spec/cluster.md §1). */
    private String rendezvous(byte[] room) {
        return highest(route, room, lastSeen.keySet()); // route and lastSeen: under mu
    }

    /**
     * The live node that owns short-code slot number {@code n}: the greatest HMAC(k_route,
     * "slot" || n u32 || node_id) (spec/cluster.md §6). Not under mu: the volatile live set, and
     * a MAC of its own.
     */
    String slotOwner(long n) {
        byte[] key = {
            's', 'l', 'o', 't', (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n
        };
        synchronized (slotRoute) {
            return highest(slotRoute, key, live);
        }
    }

    /** Of this node and {@code nodes}, the one with the greatest HMAC(mac's key, input || id). */
    private String highest(Mac mac, byte[] input, Iterable<String> nodes) {
        String best = self;
        long bestScore = score(mac, input, selfId);
        for (String n : nodes) {
            long sc = score(mac, input, Wire.unhex(n));
            if (Long.compareUnsigned(sc, bestScore) > 0
                    || sc == bestScore && n.compareTo(best) > 0) {
                best = n;
                bestScore = sc;
            }
        }
        return best;
    }

    private static long score(Mac mac, byte[] input, byte[] node) {
        mac.update(input);
        return java.nio.ByteBuffer.wrap(mac.doFinal(node)).getLong();
    }

    // ---------------------------------------------------------------- publishing

    private String subject(String nodeHex) {
        return prefix + ".node." + nodeHex;
    }

    private void publish(String nodeHex, Out msg) {
        publishRaw(nodeHex, msg.done());
    }

    private void publishRaw(String nodeHex, byte[] plain) {
        publishTo(subject(nodeHex), plain);
    }

    private void publishTo(String subject, byte[] plain) {
        publishTo(subject, null, plain);
    }

    private void publishTo(String subject, Headers headers, byte[] plain) {
        Connection c = nc;
        if (c == null) {
            counts.busPublishFailed.increment();
            return;
        }
        try {
            synchronized (pubLock) {
                c.publish(subject, headers, seal.seal(subject, plain));
            }
            counts.busOut.increment();
        } catch (RuntimeException e) { // closed, or the reconnect buffer is full
            counts.busPublishFailed.increment();
        }
    }

    private static byte[] relayed(long from, byte[] envelope) {
        return RoomCodec.encode(new RoomMessage.Relayed(PeerIds.toBytes(from), envelope));
    }

    private static byte[] unknownPeer(long to) {
        return RoomCodec.encode(
                new RoomMessage.Error(RoomError.UNKNOWN_PEER.code(), PeerIds.toBytes(to)));
    }

    // ---------------------------------------------------------------- metrics

    /** The cluster's metrics in Prometheus text. */
    public String prometheus() {
        return counts.prometheus(
                busUp,
                live.size() + 1,
                ownedCount,
                keyCheck.foreignNodes(),
                keyCheck.misconfigured());
    }

    // ---------------------------------------------------------------- state

    private enum State {
        PENDING,
        ACTIVE,
        GONE
    }

    private record Queued(long to, byte[] envelope) {}

    private record Parked(String node, long from, long to, byte[] envelope) {}

    private record Moved(String to, long until) {}

    /** A connection's seat on this node; its peer id is known once the owner answered. */
    private static final class CSeat implements SeatRef {
        final View view;
        final Member member;
        final byte[] publicKey;
        final List<RoomMessage.IceServer> ice;
        final long req;
        volatile State state = State.PENDING;
        volatile long peerId;
        volatile long seq;
        List<Queued> queued = new ArrayList<>();

        CSeat(
                View view,
                Member member,
                byte[] publicKey,
                List<RoomMessage.IceServer> ice,
                long req) {
            this.view = view;
            this.member = member;
            this.publicKey = publicKey;
            this.ice = ice;
            this.req = req;
        }
    }

    /** This node's replica of a room in which it has members (or a JOIN out). */
    private static final class View {
        final RoomId id;
        final byte[] room;
        volatile String owner;
        final ConcurrentHashMap<Long, M> members = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Long, CSeat> local = new ConcurrentHashMap<>();
        final List<CSeat> pending = new ArrayList<>();
        final LinkedHashSet<Long> gone = new LinkedHashSet<>();

        /** Members whose PEER_JOINED this node has handed out (or who are its own). */
        final Set<Long> announced = new HashSet<>();

        final ArrayDeque<Parked> parked = new ArrayDeque<>();

        View(RoomId id) {
            this.id = id;
            this.room = id.bytes();
        }

        void markGone(long pid) {
            gone.add(pid);
            if (gone.size() > MAX_GONE) {
                Iterator<Long> it = gone.iterator();
                it.next();
                it.remove();
            }
        }
    }

    /** A room this node owns: the member list in join order. */
    private static final class Owned {
        final RoomId id;
        final byte[] room;
        final List<M> members = new ArrayList<>();
        long nextSeq;
        long settleUntil;
        List<byte[]> held = new ArrayList<>();

        Owned(RoomId id, byte[] room) {
            this.id = id;
            this.room = room;
        }

        boolean settling() {
            return settleUntil != 0;
        }

        M find(long pid) {
            for (M m : members) {
                if (m.peerId() == pid) {
                    return m;
                }
            }
            return null;
        }

        Set<String> nodes() {
            Set<String> n = new LinkedHashSet<>();
            for (M m : members) {
                n.add(m.node());
            }
            return n;
        }
    }
}

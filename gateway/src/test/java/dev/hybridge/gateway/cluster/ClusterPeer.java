package dev.hybridge.gateway.cluster;

import dev.hybridge.gateway.room.PeerIds;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A room member for the cluster tests: a real client (WebSocket, hop handshake, room protocol)
 * whose reader checks, for every message, the guarantees of spec/room-protocol.md: no RELAYED
 * from a peer it was not told of, each sender's envelopes numbered 1, 2, 3... with no gap, no
 * repeat and no reordering. Envelopes are a type byte and a big-endian counter per receiver.
 */
final class ClusterPeer implements AutoCloseable {
    final String name;
    final int node;
    private final TestClient client;
    private final Thread reader;
    private volatile boolean stop;

    final CompletableFuture<RoomMessage> joinAnswer = new CompletableFuture<>();
    volatile long id;

    /** Peers it was told of (JOINED, PEER_JOINED) and that have not left. */
    final Set<Long> known = ConcurrentHashMap.newKeySet();

    /** Every peer it was ever told of. */
    final Set<Long> everKnown = ConcurrentHashMap.newKeySet();

    /** Per sender: the last counter received, the arrival time of the last envelope. */
    final Map<Long, Long> lastSeq = new ConcurrentHashMap<>();

    final Map<Long, Long> lastArrival = new ConcurrentHashMap<>();

    /** Per sender: the longest pause between two of its envelopes, nanoseconds. */
    final Map<Long, Long> maxGap = new ConcurrentHashMap<>();

    /** Per target: the last counter sent. */
    final Map<Long, Long> sentSeq = new ConcurrentHashMap<>();

    final List<String> violations = Collections.synchronizedList(new ArrayList<>());

    private ClusterPeer(String name, int node, TestClient client) {
        this.name = name;
        this.node = node;
        this.client = client;
        this.reader = Thread.ofPlatform().daemon().name("peer-" + name).start(this::read);
    }

    static ClusterPeer connect(String name, int node, URI ws, byte[] gatewayKey) throws Exception {
        return new ClusterPeer(name, node, TestClient.established(ws, gatewayKey));
    }

    /** The per-session key it announced in its last JOIN. */
    volatile byte[] publicKey;

    /** Envelopes that were not numbered ones (first byte not 0x17), in arrival order. */
    final List<byte[]> other = Collections.synchronizedList(new ArrayList<>());

    void join(byte[] room) throws Exception {
        publicKey = Peers.key();
        client.send(new RoomMessage.Join(room, publicKey));
    }

    /** Sends {@code envelope} as it is to {@code to}. */
    void relayRaw(long to, byte[] envelope) throws Exception {
        client.send(new RoomMessage.Relay(PeerIds.toBytes(to), envelope));
    }

    /** JOINED or ERROR; fails after {@code wait}. */
    RoomMessage awaitJoin(Duration wait) throws Exception {
        return joinAnswer.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean seated() {
        return joinAnswer.getNow(null) instanceof RoomMessage.Joined;
    }

    /** Sends the next numbered envelope to {@code to}. */
    void relay(long to) throws Exception {
        long n = sentSeq.merge(to, 1L, Long::sum);
        byte[] env = ByteBuffer.allocate(9).put((byte) 0x17).putLong(n).array();
        client.send(new RoomMessage.Relay(PeerIds.toBytes(to), env));
    }

    /** Got ERROR(SHUTTING_DOWN): its node is draining. */
    volatile boolean shuttingDown;

    boolean closed() {
        return client.isClosed();
    }

    /** The close code the node sent (waits up to 10 s). */
    int closeCode() {
        return client.awaitClose().code();
    }

    /** The close code the node sent, waiting at most {@code wait}. */
    int closeCode(Duration wait) {
        return client.awaitClose(wait).code();
    }

    /**
     * Whether an ERROR(SHUTTING_DOWN) came before the close. The socket's close is seen by the
     * client's own reader, possibly before this peer's reader has decoded the records queued
     * ahead of it: wait (up to {@code limit}) for that reader to drain the queue and stop.
     */
    boolean sawShuttingDownBeforeClose(java.time.Duration limit) throws InterruptedException {
        reader.join(limit.toMillis());
        return shuttingDown;
    }

    private void read() {
        while (!stop) {
            byte[] raw;
            try {
                raw = client.nextRaw(Duration.ofMillis(200));
            } catch (InterruptedException e) {
                return;
            }
            if (raw == null) {
                if (client.isClosed()) {
                    return;
                }
                continue;
            }
            RoomMessage m;
            try {
                m = RoomCodec.decodeFromGateway(client.channel().open(raw));
            } catch (Exception e) {
                violations.add(name + ": undecodable message " + e);
                return;
            }
            long now = System.nanoTime();
            switch (m) {
                case RoomMessage.Joined j -> {
                    id = PeerIds.fromBytes(j.peerId());
                    for (RoomMessage.Peer p : j.peers()) {
                        long pid = PeerIds.fromBytes(p.peerId());
                        known.add(pid);
                        everKnown.add(pid);
                    }
                    if (!joinAnswer.complete(j)) {
                        violations.add(name + ": a second JOINED");
                    }
                }
                case RoomMessage.PeerJoined pj -> {
                    long pid = PeerIds.fromBytes(pj.peerId());
                    if (!seated()) {
                        violations.add(name + ": PEER_JOINED before JOINED");
                    }
                    if (!everKnown.add(pid)) {
                        violations.add(name + ": PEER_JOINED twice for one peer");
                    }
                    known.add(pid);
                }
                case RoomMessage.PeerLeft pl -> {
                    long pid = PeerIds.fromBytes(pl.peerId());
                    if (!known.remove(pid)) {
                        violations.add(name + ": PEER_LEFT for a peer it did not know");
                    }
                }
                case RoomMessage.Relayed r -> {
                    long from = PeerIds.fromBytes(r.from());
                    if (!known.contains(from)) {
                        violations.add(name + ": RELAYED from an unannounced peer");
                        break;
                    }
                    if (r.envelope()[0] != 0x17) {
                        other.add(r.envelope());
                        break;
                    }
                    long n = ByteBuffer.wrap(r.envelope(), 1, 8).getLong();
                    long expected = lastSeq.getOrDefault(from, 0L) + 1;
                    if (n != expected) {
                        violations.add(
                                name
                                        + ": from a peer got envelope "
                                        + n
                                        + ", expected "
                                        + expected);
                    }
                    lastSeq.put(from, n);
                    Long before = lastArrival.put(from, now);
                    if (before != null) {
                        maxGap.merge(from, now - before, Math::max);
                    }
                }
                case RoomMessage.Error e -> {
                    if (e.code() == RoomError.UNKNOWN_PEER.code()) {
                        break; // a relay that crossed a departure (spec: ignored)
                    }
                    if (e.code() == RoomError.SHUTTING_DOWN.code()) {
                        shuttingDown = true;
                        break;
                    }
                    if (!joinAnswer.complete(e)) {
                        violations.add(name + ": unexpected ERROR " + e.code());
                    }
                }
                default -> violations.add(name + ": unexpected " + m);
            }
        }
    }

    /** Closes the WebSocket (a normal close: its seat ends). */
    @Override
    public void close() {
        stop = true;
        client.close();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

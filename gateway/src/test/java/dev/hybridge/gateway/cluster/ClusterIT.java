package dev.hybridge.gateway.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.KeyFile;
import dev.hybridge.gateway.testing.JarGateway;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three gateway nodes (the jar, as an operator runs it) on one real nats-server, all on loopback
 * (spec/cluster.md). One room's members spread over the three nodes: relays arrive in order,
 * exactly once, never before the sender was announced; concurrent joins on different nodes never
 * exceed the room's capacity; and the owner of a busy room killed with SIGKILL changes nothing
 * for the members on the other nodes, while its own members are back within a bound.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    /** Relays between members on live nodes never pause longer than this, an owner's death included. */
    static final Duration RELAY_GAP_BOUND = Duration.ofSeconds(2);

    /**
     * The dead node's members are seated again (JOINED on another node, announced to every other
     * member) within this of the kill: node-timeout (2 s) + settle (2 s) + reconnect and margin.
     */
    static final Duration BACK_BOUND = Duration.ofSeconds(10);

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir static Path dir;
    static NatsServer nats;
    static final List<JarGateway> nodes = new ArrayList<>();
    static byte[] gatewayKey;

    /** The node the kill test killed. */
    static int killed = -1;

    @BeforeAll
    static void cluster() throws Exception {
        nats = NatsServer.start(dir);
        Path staticKey = dir.resolve("gateway.key");
        gatewayKey = KeyFile.create(staticKey, new SecureRandom()).publicKey();
        Path clusterKey = dir.resolve("cluster.key");
        byte[] ck = new byte[32];
        new SecureRandom().nextBytes(ck);
        Files.writeString(clusterKey, HexFormat.of().formatHex(ck) + "\n");
        Files.setPosixFilePermissions(clusterKey, PosixFilePermissions.fromString("rw-------"));
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<JarGateway>> started = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Path nodeDir = Files.createDirectories(dir.resolve("node" + i));
                String yaml =
                        """
                        hybridge:
                          server:
                            host: 127.0.0.1
                            port: 0
                          key-file: %s
                          cluster:
                            enabled: true
                            nats-urls: ["%s"]
                            key-file: %s
                        """
                                .formatted(staticKey, nats.url(), clusterKey);
                started.add(pool.submit(() -> JarGateway.start(nodeDir, yaml)));
            }
            for (Future<JarGateway> f : started) {
                nodes.add(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        // every node sees the other two
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (JarGateway n : nodes) {
            while (metric(n, "hybridge_cluster_nodes") != 3) {
                assertTrue(System.nanoTime() < deadline, "nodes do not see each other");
                Thread.sleep(100);
            }
        }
    }

    @AfterAll
    static void down() throws Exception {
        for (JarGateway n : nodes) {
            n.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    @Test
    @Order(1)
    void membersSpreadOverThreeNodesRelayInOrderExactlyOnce() throws Exception {
        byte[] room = Peers.roomId();
        List<ClusterPeer> peers = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                ClusterPeer p =
                        ClusterPeer.connect("p" + i, i % 3, nodes.get(i % 3).ws(), gatewayKey);
                peers.add(p);
                p.join(room);
                assertInstanceOf(RoomMessage.Joined.class, p.awaitJoin(Duration.ofSeconds(10)));
            }
            awaitEveryoneKnowsEveryone(peers, Duration.ofSeconds(5));
            // every member sends 30 numbered envelopes to every other, interleaved
            int perPair = 30;
            List<Thread> senders = new ArrayList<>();
            for (ClusterPeer p : peers) {
                senders.add(
                        Thread.ofPlatform()
                                .start(
                                        () -> {
                                            try {
                                                for (int k = 0; k < perPair; k++) {
                                                    for (ClusterPeer q : peers) {
                                                        if (q != p) {
                                                            p.relay(q.id);
                                                        }
                                                    }
                                                }
                                            } catch (Exception e) {
                                                p.violations.add("send failed: " + e);
                                            }
                                        }));
            }
            for (Thread t : senders) {
                t.join(20_000);
            }
            awaitAllDelivered(peers, peers, perPair, Duration.ofSeconds(10));
            for (ClusterPeer p : peers) {
                assertEquals(List.of(), p.violations, p.name);
            }
            // the three nodes really carried it: envelopes crossed between them
            long forwarded = 0;
            for (JarGateway n : nodes) {
                forwarded +=
                        metric(n, "hybridge_cluster_envelopes_forwarded_total{direction=\"in\"}");
            }
            assertTrue(forwarded >= 6 * 4 * perPair, "forwarded between nodes: " + forwarded);
        } finally {
            closeAll(peers);
        }
    }

    @Test
    @Order(2)
    void twelveConcurrentJoinsOnThreeNodesSeatExactlySix() throws Exception {
        byte[] room = Peers.roomId();
        List<ClusterPeer> peers = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                peers.add(ClusterPeer.connect("c" + i, i % 3, nodes.get(i % 3).ws(), gatewayKey));
            }
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> joiners = new ArrayList<>();
            for (ClusterPeer p : peers) {
                joiners.add(
                        Thread.ofPlatform()
                                .start(
                                        () -> {
                                            try {
                                                go.await();
                                                p.join(room);
                                            } catch (Exception e) {
                                                p.violations.add("join failed: " + e);
                                            }
                                        }));
            }
            go.countDown();
            for (Thread t : joiners) {
                t.join(10_000);
            }
            List<ClusterPeer> seated = new ArrayList<>();
            int full = 0;
            for (ClusterPeer p : peers) {
                RoomMessage answer = p.awaitJoin(Duration.ofSeconds(10));
                if (answer instanceof RoomMessage.Joined) {
                    seated.add(p);
                } else {
                    assertEquals(
                            RoomError.ROOM_FULL.code(),
                            ((RoomMessage.Error) answer).code(),
                            p.name);
                    full++;
                }
            }
            assertEquals(6, seated.size(), "seated");
            assertEquals(6, full, "ROOM_FULL");
            awaitEveryoneKnowsEveryone(seated, Duration.ofSeconds(5));
            for (ClusterPeer p : seated) {
                assertEquals(5, p.known.size(), p.name + " knows");
            }
            for (ClusterPeer p : peers) {
                assertEquals(List.of(), p.violations, p.name);
            }
        } finally {
            closeAll(peers);
        }
    }

    @Test
    @Order(4)
    void killingTheOwnerOfABusyRoomLosesNothingBetweenTheOthers() throws Exception {
        awaitNoRooms();
        byte[] room = Peers.roomId();
        List<ClusterPeer> peers = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        Sending sending = new Sending();
        try {
            for (int i = 0; i < 6; i++) {
                ClusterPeer p =
                        ClusterPeer.connect("k" + i, i % 3, nodes.get(i % 3).ws(), gatewayKey);
                peers.add(p);
                p.join(room);
                assertInstanceOf(RoomMessage.Joined.class, p.awaitJoin(Duration.ofSeconds(10)));
            }
            awaitEveryoneKnowsEveryone(peers, Duration.ofSeconds(5));
            int owner = -1;
            for (int i = 0; i < 3; i++) {
                if (metric(nodes.get(i), "hybridge_cluster_rooms_owned") == 1) {
                    owner = i;
                }
            }
            assertTrue(owner >= 0, "no node owns the room");
            List<ClusterPeer> roster = new java.util.concurrent.CopyOnWriteArrayList<>(peers);
            for (ClusterPeer p : peers) {
                senders.add(Thread.ofPlatform().daemon().start(() -> sending.loop(p, roster)));
            }
            Thread.sleep(1500); // busy: every pair exchanging envelopes

            long killedAt = System.nanoTime();
            nodes.get(owner).kill();
            killed = owner;
            List<ClusterPeer> survivors = new ArrayList<>();
            List<ClusterPeer> orphans = new ArrayList<>();
            for (ClusterPeer p : peers) {
                (p.node == owner ? orphans : survivors).add(p);
            }
            // the dead node's members reconnect to the other nodes and join again
            int other = (owner + 1) % 3;
            List<ClusterPeer> back = new ArrayList<>();
            for (ClusterPeer o : orphans) {
                long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (!o.closed()) {
                    assertTrue(System.nanoTime() < until, "the dead node's client is not cut");
                    Thread.sleep(20);
                }
                sending.stop(o);
                ClusterPeer again =
                        ClusterPeer.connect(o.name + "'", other, nodes.get(other).ws(), gatewayKey);
                back.add(again);
                roster.add(again);
                again.join(room);
                other = other == (owner + 1) % 3 ? (owner + 2) % 3 : (owner + 1) % 3;
            }
            for (ClusterPeer b : back) {
                assertInstanceOf(RoomMessage.Joined.class, b.awaitJoin(BACK_BOUND));
            }
            List<ClusterPeer> room2 = new ArrayList<>(survivors);
            room2.addAll(back);
            long left = BACK_BOUND.toNanos() - (System.nanoTime() - killedAt);
            awaitEveryoneKnowsEveryone(room2, Duration.ofNanos(Math.max(left, 0)));
            Duration backAfter = Duration.ofNanos(System.nanoTime() - killedAt);
            for (ClusterPeer b : back) {
                senders.add(Thread.ofPlatform().daemon().start(() -> sending.loop(b, roster)));
            }
            Thread.sleep(2000); // the new members relay too
            sending.stopAll();
            for (Thread t : senders) {
                t.join(5000);
            }
            awaitAllDelivered(room2, room2, -1, Duration.ofSeconds(10));
            for (ClusterPeer p : room2) {
                assertEquals(List.of(), p.violations, p.name);
                for (ClusterPeer s : survivors) {
                    if (s != p) {
                        long gap = p.maxGap.getOrDefault(s.id, Long.MAX_VALUE);
                        assertTrue(
                                gap < RELAY_GAP_BOUND.toNanos() || back.contains(p),
                                p.name + " waited " + gap / 1_000_000 + " ms for " + s.name);
                    }
                }
            }
            System.out.println(
                    "ClusterIT: the dead owner's members were back after "
                            + backAfter.toMillis()
                            + " ms (bound "
                            + BACK_BOUND.toMillis()
                            + " ms)");
        } finally {
            sending.stopAll();
            closeAll(peers);
        }
    }

    @Test
    @Order(3)
    void theBusCarriesNoRoomIdKeyOrEnvelopeInTheClearAndNoRoomIdInSubjects() throws Exception {
        List<io.nats.client.Message> seen =
                java.util.Collections.synchronizedList(new ArrayList<>());
        io.nats.client.Connection tap = io.nats.client.Nats.connect(nats.url());
        try (ClusterPeer a = ClusterPeer.connect("a", 0, nodes.get(0).ws(), gatewayKey);
                ClusterPeer b = ClusterPeer.connect("b", 1, nodes.get(1).ws(), gatewayKey)) {
            tap.createDispatcher(seen::add).subscribe(">");
            tap.flush(Duration.ofSeconds(5));
            byte[] room = Peers.roomId();
            a.join(room);
            assertInstanceOf(RoomMessage.Joined.class, a.awaitJoin(Duration.ofSeconds(10)));
            b.join(room);
            assertInstanceOf(RoomMessage.Joined.class, b.awaitJoin(Duration.ofSeconds(10)));
            awaitEveryoneKnowsEveryone(List.of(a, b), Duration.ofSeconds(5));
            byte[] envelope = new byte[200];
            new SecureRandom().nextBytes(envelope);
            envelope[0] = 0x55;
            a.relayRaw(b.id, envelope);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (b.other.isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "the envelope did not cross");
                Thread.sleep(20);
            }
            assertArrayEquals(envelope, b.other.get(0));
            tap.flush(Duration.ofSeconds(5));
            List<io.nats.client.Message> all = List.copyOf(seen);
            assertTrue(all.size() > 5, "the tap saw " + all.size() + " messages");
            byte[][] secrets = {
                room, java.util.Arrays.copyOfRange(envelope, 1, 33), a.publicKey, b.publicKey
            };
            for (io.nats.client.Message m : all) {
                assertTrue(
                        m.getSubject().matches("hybridge\\.(hb|node\\.[0-9a-f]{32})"),
                        m.getSubject());
                for (byte[] secret : secrets) {
                    byte[] probe = java.util.Arrays.copyOf(secret, 16);
                    assertTrue(
                            indexOf(m.getData(), probe) < 0,
                            "a bus message carries a room id, key or envelope in the clear");
                }
            }
        } finally {
            tap.close();
        }
    }

    @Test
    @Order(5)
    void aDrainingNodeClosesWith1001AndItsMembersAreBackElsewhere() throws Exception {
        List<Integer> alive = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            if (i != killed) {
                alive.add(i);
            }
        }
        int draining = alive.get(0);
        int other = alive.get(1);
        byte[] room = Peers.roomId();
        try (ClusterPeer p =
                        ClusterPeer.connect("d", draining, nodes.get(draining).ws(), gatewayKey);
                ClusterPeer q =
                        ClusterPeer.connect("e", other, nodes.get(other).ws(), gatewayKey)) {
            p.join(room);
            assertInstanceOf(RoomMessage.Joined.class, p.awaitJoin(Duration.ofSeconds(10)));
            q.join(room);
            assertInstanceOf(RoomMessage.Joined.class, q.awaitJoin(Duration.ofSeconds(10)));
            awaitEveryoneKnowsEveryone(List.of(p, q), Duration.ofSeconds(5));
            long t0 = System.nanoTime();
            Thread stopper =
                    Thread.ofPlatform()
                            .start(
                                    () -> {
                                        try {
                                            nodes.get(draining).stop(); // SIGTERM
                                        } catch (InterruptedException e) {
                                            Thread.currentThread().interrupt();
                                        }
                                    });
            assertEquals(1001, p.closeCode());
            assertTrue(
                    p.sawShuttingDownBeforeClose(Duration.ofSeconds(2)),
                    "no ERROR(SHUTTING_DOWN) before the close");
            // its member's seat ends at once on the other node (LEAVING, not node-timeout)
            while (q.known.contains(p.id)) {
                assertTrue(
                        System.nanoTime() - t0 < DRAIN_LEFT_BOUND.toNanos(),
                        "no PEER_LEFT for the drained node's member");
                Thread.sleep(20);
            }
            try (ClusterPeer again =
                    ClusterPeer.connect("d'", other, nodes.get(other).ws(), gatewayKey)) {
                again.join(room);
                assertInstanceOf(RoomMessage.Joined.class, again.awaitJoin(BACK_BOUND));
                awaitEveryoneKnowsEveryone(List.of(again, q), Duration.ofSeconds(5));
                assertEquals(List.of(), again.violations);
            }
            stopper.join(20_000);
            assertEquals(List.of(), q.violations);
        }
    }

    @Test
    @Order(6)
    void withoutItsBusANodeIsNotReadyAndAJoinWaitsForTheBus() throws Exception {
        int last = -1;
        for (int i = 0; i < 3; i++) {
            if (nodes.get(i).isAlive()) {
                last = i;
            }
        }
        JarGateway n = nodes.get(last);
        assertEquals(200, status(n, "/health/ready"));
        nats.close();
        awaitStatus(n, "/health/ready", 503, Duration.ofSeconds(5));
        assertEquals(200, status(n, "/health/live"));
        assertEquals(0, metric(n, "hybridge_cluster_bus_connected"));
        try (ClusterPeer p = ClusterPeer.connect("n", last, n.ws(), gatewayKey)) {
            p.join(Peers.roomId());
            Thread.sleep(500);
            assertTrue(p.joinAnswer.getNow(null) == null, "seated without a bus");
            nats.restart();
            awaitStatus(n, "/health/ready", 200, Duration.ofSeconds(10));
            assertInstanceOf(RoomMessage.Joined.class, p.awaitJoin(Duration.ofSeconds(10)));
        }
    }

    /** A drained node's members leave the others' rooms within this of SIGTERM (no node-timeout). */
    static final Duration DRAIN_LEFT_BOUND = Duration.ofMillis(1500);

    private static int status(JarGateway n, String path) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(n.http(path)).build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static void awaitStatus(JarGateway n, String path, int want, Duration wait)
            throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        while (status(n, path) != want) {
            assertTrue(System.nanoTime() < deadline, path + " never answered " + want);
            Thread.sleep(50);
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Every member sends to every other it knows, one envelope every 40 ms (25/s, under the bucket). */
    private static final class Sending {
        private final java.util.Set<ClusterPeer> stopped =
                java.util.concurrent.ConcurrentHashMap.newKeySet();
        private volatile boolean all;

        void loop(ClusterPeer p, List<ClusterPeer> room) {
            int i = 0;
            while (!all && !stopped.contains(p)) {
                ClusterPeer q = room.get(i++ % room.size());
                if (q != p && q.id != 0 && p.known.contains(q.id) && !stopped.contains(q)) {
                    try {
                        p.relay(q.id);
                    } catch (Exception e) {
                        return; // its node died
                    }
                    try {
                        Thread.sleep(40);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        void stop(ClusterPeer p) {
            stopped.add(p);
        }

        void stopAll() {
            all = true;
        }
    }

    private static void awaitEveryoneKnowsEveryone(List<ClusterPeer> peers, Duration wait)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        for (ClusterPeer p : peers) {
            for (ClusterPeer q : peers) {
                if (q == p) {
                    continue;
                }
                while (!p.known.contains(q.id)) {
                    assertTrue(
                            System.nanoTime() < deadline,
                            p.name + " was not told of " + q.name + "; violations " + p.violations);
                    Thread.sleep(20);
                }
            }
        }
    }

    /** Waits until every receiver got every envelope each sender sent it ({@code perPair}, or what was sent). */
    private static void awaitAllDelivered(
            List<ClusterPeer> receivers, List<ClusterPeer> senders, int perPair, Duration wait)
            throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        for (ClusterPeer r : receivers) {
            for (ClusterPeer s : senders) {
                if (s == r) {
                    continue;
                }
                long expected = perPair >= 0 ? perPair : s.sentSeq.getOrDefault(r.id, 0L);
                while (r.lastSeq.getOrDefault(s.id, 0L) < expected) {
                    assertTrue(
                            System.nanoTime() < deadline,
                            r.name
                                    + " got "
                                    + r.lastSeq.getOrDefault(s.id, 0L)
                                    + " of "
                                    + expected
                                    + " from "
                                    + s.name
                                    + "; violations "
                                    + r.violations);
                    Thread.sleep(20);
                }
                assertEquals(expected, (long) r.lastSeq.getOrDefault(s.id, 0L));
            }
        }
    }

    private static void awaitNoRooms() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (JarGateway n : nodes) {
            while (metric(n, "hybridge_cluster_rooms_owned") != 0) {
                assertTrue(System.nanoTime() < deadline, "rooms of earlier tests remain");
                Thread.sleep(100);
            }
        }
    }

    private static void closeAll(List<ClusterPeer> peers) throws InterruptedException {
        for (ClusterPeer p : peers) {
            p.close();
        }
    }

    static long metric(JarGateway n, String name) throws Exception {
        String body =
                HTTP.send(
                                HttpRequest.newBuilder(n.http("/metrics")).build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)").matcher(body);
        if (!m.find()) {
            throw new AssertionError(name + " not in /metrics:\n" + body);
        }
        return Long.parseLong(m.group(1));
    }
}

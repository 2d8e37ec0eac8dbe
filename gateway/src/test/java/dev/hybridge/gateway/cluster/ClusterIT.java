package dev.hybridge.gateway.cluster;

import static dev.hybridge.gateway.cluster.ClusterChecks.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.KeyFile;
import dev.hybridge.gateway.testing.JarGateway;
import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
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

    @TempDir static Path dir;
    static NatsServer nats;

    /** Node 2 reaches the bus through this, so that a test can cut it alone off. */
    static BusProxy proxy;

    static Path staticKey;
    static final List<JarGateway> nodes = new ArrayList<>();
    static byte[] gatewayKey;

    /** The node the kill test killed. */
    static int killed = -1;

    @BeforeAll
    static void cluster() throws Exception {
        nats = NatsServer.start(dir);
        proxy = new BusProxy(nats.port());
        staticKey = dir.resolve("gateway.key");
        gatewayKey = KeyFile.create(staticKey, new SecureRandom()).publicKey();
        Path clusterKey = clusterKeyFile("cluster.key");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<JarGateway>> started = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Path nodeDir = Files.createDirectories(dir.resolve("node" + i));
                String yaml = nodeYaml(i == 2 ? proxy.url() : nats.url(), clusterKey);
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

    /** A new cluster key file (64 hex digits, owner-only) in the test's directory. */
    static Path clusterKeyFile(String name) throws Exception {
        Path file = dir.resolve(name);
        byte[] ck = new byte[32];
        new SecureRandom().nextBytes(ck);
        Files.writeString(file, HexFormat.of().formatHex(ck) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    static String nodeYaml(String natsUrl, Path clusterKey) {
        return """
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
                .formatted(staticKey, natsUrl, clusterKey);
    }

    @AfterAll
    static void down() throws Exception {
        for (int i = 0; i < nodes.size(); i++) { // the nodes' logs, for a failure's story
            Files.writeString(
                    Path.of("target", "ClusterIT-node" + i + ".log"), nodes.get(i).output());
            nodes.get(i).close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    /**
     * Six members, two on each node, join {@code room} (each added to {@code peers} as it
     * connects, so that the caller's finally closes them) and know each other.
     */
    private static void joinSpread(String prefix, byte[] room, List<ClusterPeer> peers)
            throws Exception {
        for (int i = 0; i < 6; i++) {
            ClusterPeer p =
                    ClusterPeer.connect(prefix + i, i % 3, nodes.get(i % 3).ws(), gatewayKey);
            peers.add(p);
            p.join(room);
            assertInstanceOf(RoomMessage.Joined.class, p.awaitJoin(Duration.ofSeconds(10)));
        }
        awaitEveryoneKnowsEveryone(peers, Duration.ofSeconds(5));
    }

    /**
     * The members {@code gone} join {@code room} again through node {@code node}, each as a new
     * client named with a prime (added to {@code back} as it connects); returns the room they
     * form with {@code others} once everyone knows everyone.
     */
    private static List<ClusterPeer> rejoin(
            List<ClusterPeer> gone,
            int node,
            byte[] room,
            List<ClusterPeer> back,
            List<ClusterPeer> others)
            throws Exception {
        for (ClusterPeer c : gone) {
            ClusterPeer again =
                    ClusterPeer.connect(c.name + "'", node, nodes.get(node).ws(), gatewayKey);
            back.add(again);
            again.join(room);
        }
        for (ClusterPeer b : back) {
            assertInstanceOf(RoomMessage.Joined.class, b.awaitJoin(BACK_BOUND));
        }
        List<ClusterPeer> all = new ArrayList<>(others);
        all.addAll(back);
        awaitEveryoneKnowsEveryone(all, BACK_BOUND);
        return all;
    }

    @Test
    @Order(1)
    void membersSpreadOverThreeNodesRelayInOrderExactlyOnce() throws Exception {
        byte[] room = Peers.roomId();
        List<ClusterPeer> peers = new ArrayList<>();
        try {
            joinSpread("p", room, peers);
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

    /**
     * A node with another cluster key is outnumbered (1 against 3): it reports 503 on
     * /health/ready within this of its start and stays so, while the three go on.
     */
    static final Duration MISMATCH_BOUND = Duration.ofSeconds(2);

    @Test
    @Order(4)
    void aNodeWithAnotherClusterKeyIsNotReadyAndTheOthersStayReadyAndRelay() throws Exception {
        Path otherKey = clusterKeyFile("other-cluster.key");
        Path wrongDir = Files.createDirectories(dir.resolve("wrong-key"));
        try (JarGateway wrong = JarGateway.start(wrongDir, nodeYaml(nats.url(), otherKey))) {
            long t0 = System.nanoTime(); // it announced its address: it is on the bus or about to
            awaitStatus(wrong, "/health/ready", 503, MISMATCH_BOUND);
            long downAfter = (System.nanoTime() - t0) / 1_000_000;
            // the others see it as a foreign node, stay ready and keep relaying across nodes
            for (JarGateway n : nodes) {
                awaitMetric(n, "hybridge_cluster_foreign_key_nodes", 1, Duration.ofSeconds(3));
            }
            byte[] room = Peers.roomId();
            try (ClusterPeer a = ClusterPeer.connect("ka", 0, nodes.get(0).ws(), gatewayKey);
                    ClusterPeer b = ClusterPeer.connect("kb", 1, nodes.get(1).ws(), gatewayKey)) {
                a.join(room);
                assertInstanceOf(RoomMessage.Joined.class, a.awaitJoin(Duration.ofSeconds(10)));
                b.join(room);
                assertInstanceOf(RoomMessage.Joined.class, b.awaitJoin(Duration.ofSeconds(10)));
                awaitEveryoneKnowsEveryone(List.of(a, b), Duration.ofSeconds(5));
                // it stays down for longer than node-timeout while the others stay up
                long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (System.nanoTime() < until) {
                    assertEquals(503, status(wrong, "/health/ready"), "the wrong-key node");
                    for (JarGateway n : nodes) {
                        assertEquals(200, status(n, "/health/ready"), "a node of the cluster");
                    }
                    a.relay(b.id);
                    b.relay(a.id);
                    Thread.sleep(100);
                }
                awaitAllDelivered(List.of(a, b), List.of(a, b), -1, Duration.ofSeconds(5));
                assertEquals(List.of(), a.violations);
                assertEquals(List.of(), b.violations);
            }
            assertEquals(1, metric(wrong, "hybridge_cluster_key_mismatch"));
            assertEquals(3, metric(wrong, "hybridge_cluster_foreign_key_nodes"));
            assertEquals(1, metric(wrong, "hybridge_cluster_nodes"));
            for (JarGateway n : nodes) {
                assertEquals(0, metric(n, "hybridge_cluster_key_mismatch"));
                assertEquals(3, metric(n, "hybridge_cluster_nodes"));
            }
            String log = wrong.output();
            assertTrue(log.contains("another cluster key"), log);
            for (Path k : List.of(otherKey, dir.resolve("cluster.key"))) {
                String hex = Files.readString(k).strip();
                assertTrue(
                        !log.contains(hex) && !log.contains(hex.substring(0, 16)),
                        "a key in the log");
            }
            System.out.println(
                    "ClusterIT: the node with another cluster key reported 503 after "
                            + downAfter
                            + " ms (bound "
                            + MISMATCH_BOUND.toMillis()
                            + " ms)");
        }
        for (JarGateway n : nodes) { // it is forgotten within node-timeout of its end
            awaitMetric(n, "hybridge_cluster_foreign_key_nodes", 0, Duration.ofSeconds(5));
        }
    }

    /**
     * A node whose bus connection stays up but delivers nothing closes its members with 1001
     * within this of the fault: node-timeout (2 s) without its own heartbeats, then a tick.
     */
    static final Duration DEAF_CLOSE_BOUND = Duration.ofSeconds(5);

    @Test
    @Order(5)
    void aNodeWhoseBusConnectionDeliversNothingRejoinsOnANewConnection() throws Exception {
        awaitNoRooms(nodes);
        byte[] room = Peers.roomId();
        List<ClusterPeer> peers = new ArrayList<>();
        List<ClusterPeer> back = new ArrayList<>();
        try {
            joinSpread("h", room, peers);
            JarGateway deafNode = nodes.get(2);
            long forced0 = metric(deafNode, "hybridge_cluster_forced_reconnects_total");
            List<ClusterPeer> deaf = new ArrayList<>();
            List<ClusterPeer> others = new ArrayList<>();
            for (ClusterPeer p : peers) {
                (p.node == 2 ? deaf : others).add(p);
            }
            long t0 = System.nanoTime();
            proxy.deafen(); // its connection stays up (pings pass); no bus message reaches it
            for (ClusterPeer c : deaf) {
                long wait = t0 + DEAF_CLOSE_BOUND.toNanos() - System.nanoTime();
                assertEquals(1001, c.closeCode(Duration.ofNanos(Math.max(wait, 0))), c.name);
                assertTrue(
                        c.sawShuttingDownBeforeClose(Duration.ofSeconds(2)),
                        c.name + ": no ERROR(SHUTTING_DOWN) before the close");
                assertEquals(List.of(), c.violations, c.name);
            }
            long closedAfter = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(
                    metric(deafNode, "hybridge_cluster_forced_reconnects_total") > forced0,
                    "a forced reconnect");
            for (ClusterPeer o : others) { // the others see its old incarnation's members leave
                for (ClusterPeer c : deaf) {
                    awaitForgotten(o, c, Duration.ofSeconds(5));
                }
            }
            // one back through another node, as a load balancer sends a client while node 2 is
            // not ready; then node 2 serves again on its new connection: ready, and the other,
            // back through it, is known to everyone (with jnats 2.25.1 it was once deaf again)
            List<ClusterPeer> room1 = rejoin(deaf.subList(0, 1), 0, room, back, others);
            awaitStatus(deafNode, "/health/ready", 200, BACK_BOUND);
            List<ClusterPeer> late = new ArrayList<>();
            List<ClusterPeer> room2 = rejoin(deaf.subList(1, 2), 2, room, late, room1);
            back.addAll(late);
            for (ClusterPeer p : room2) {
                assertEquals(List.of(), p.violations, p.name);
            }
            System.out.println(
                    "ClusterIT: the node whose bus connection delivered nothing closed its members "
                            + closedAfter
                            + " ms after the fault (bound "
                            + DEAF_CLOSE_BOUND.toMillis()
                            + " ms) and reconnected");
        } catch (AssertionError | Exception e) {
            for (String line : nodes.get(2).output().split("\n")) {
                if (line.contains("cluster")) {
                    System.out.println("node 2: " + line);
                }
            }
            throw e;
        } finally {
            closeAll(peers);
            closeAll(back);
        }
    }

    /** How long the test cuts node 2 off the bus: more than node-timeout (2 s). */
    static final Duration CUT = Duration.ofMillis(3500);

    /** Its members get ERROR(SHUTTING_DOWN) and 1001 within this of the end of the cut. */
    static final Duration STALE_CLOSE_BOUND = Duration.ofSeconds(3);

    @Test
    @Order(6)
    // Opt-in until 2026-12-05: after a reconnect (a cut, or the forced one of the test above) a
    // node was sometimes deaf again a second later, heard by nobody, not even itself. That was
    // jnats 2.25.1's reconnect: an old reader or writer thread outlived the 100 ms it was given
    // and stopped the new one (nats.java#1601, fixed in 2.26). With 2.26.2 it has not been seen.
    void aNodeCutOffLongerThanNodeTimeoutClosesItsMembersWith1001AndTheyRejoin() throws Exception {
        awaitNoRooms(nodes);
        byte[] room = Peers.roomId();
        List<ClusterPeer> peers = new ArrayList<>();
        List<ClusterPeer> back = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        Sending sending = new Sending();
        try {
            joinSpread("s", room, peers);
            List<ClusterPeer> roster = new java.util.concurrent.CopyOnWriteArrayList<>(peers);
            for (ClusterPeer p : peers) {
                senders.add(Thread.ofPlatform().daemon().start(() -> sending.loop(p, roster)));
            }
            Thread.sleep(1000);
            long stale0 = 0;
            for (JarGateway n : nodes) {
                stale0 += metric(n, "hybridge_cluster_stale_dropped_total");
            }
            List<ClusterPeer> cutOff = new ArrayList<>();
            List<ClusterPeer> others = new ArrayList<>();
            for (ClusterPeer p : peers) {
                (p.node == 2 ? cutOff : others).add(p);
            }
            long rejoins0 = metric(nodes.get(2), "hybridge_cluster_rejoins_total");
            proxy.cut(CUT);
            long cutEnds = System.nanoTime() + CUT.toNanos();
            awaitStatus(nodes.get(2), "/health/ready", 503, Duration.ofSeconds(2));
            // the others see its members leave (node-timeout), and keep relaying to each other
            for (ClusterPeer o : others) {
                for (ClusterPeer c : cutOff) {
                    awaitForgotten(o, c, CUT);
                }
            }
            for (ClusterPeer c : cutOff) {
                sending.stop(c);
            }
            // back on the bus, node 2 learns it was declared gone and closes its members
            for (ClusterPeer c : cutOff) {
                long wait = cutEnds - System.nanoTime() + STALE_CLOSE_BOUND.toNanos();
                assertEquals(1001, c.closeCode(Duration.ofNanos(Math.max(wait, 0))), c.name);
                assertTrue(
                        c.sawShuttingDownBeforeClose(Duration.ofSeconds(2)),
                        c.name + ": no ERROR(SHUTTING_DOWN) before the close");
                assertEquals(List.of(), c.violations, c.name);
            }
            long closedAfter = (System.nanoTime() - cutEnds) / 1_000_000;
            awaitStatus(nodes.get(2), "/health/ready", 200, Duration.ofSeconds(5));
            // they join again, on node 2 itself, which serves as a new incarnation
            List<ClusterPeer> room2 = rejoin(cutOff, 2, room, back, others);
            roster.addAll(back);
            for (ClusterPeer b : back) {
                senders.add(Thread.ofPlatform().daemon().start(() -> sending.loop(b, roster)));
            }
            Thread.sleep(1500);
            sending.stopAll();
            for (Thread t : senders) {
                t.join(5000);
            }
            awaitAllDelivered(room2, room2, -1, Duration.ofSeconds(10));
            for (ClusterPeer p : room2) {
                assertEquals(List.of(), p.violations, p.name);
                assertEquals(room2.size() - 1, p.known.size(), p.name + " knows");
                for (ClusterPeer s : others) {
                    if (s != p && others.contains(p)) {
                        long gap = p.maxGap.getOrDefault(s.id, Long.MAX_VALUE);
                        assertTrue(
                                gap < RELAY_GAP_BOUND.toNanos(),
                                p.name + " waited " + gap / 1_000_000 + " ms for " + s.name);
                    }
                }
            }
            assertEquals(rejoins0 + 1, metric(nodes.get(2), "hybridge_cluster_rejoins_total"));
            long stale = -stale0;
            for (JarGateway n : nodes) {
                stale += metric(n, "hybridge_cluster_stale_dropped_total");
            }
            System.out.println(
                    "ClusterIT: the cut-off node closed its members "
                            + closedAfter
                            + " ms after the cut ended (bound "
                            + STALE_CLOSE_BOUND.toMillis()
                            + " ms); "
                            + stale
                            + " of its stale bus messages were dropped");
        } finally {
            sending.stopAll();
            closeAll(peers);
            closeAll(back);
        }
    }

    @Test
    @Order(7)
    void killingTheOwnerOfABusyRoomLosesNothingBetweenTheOthers() throws Exception {
        awaitNoRooms(nodes);
        byte[] room = Peers.roomId();
        List<ClusterPeer> peers = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        Sending sending = new Sending();
        try {
            joinSpread("k", room, peers);
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
    @Order(8)
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
    @Order(9)
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
}

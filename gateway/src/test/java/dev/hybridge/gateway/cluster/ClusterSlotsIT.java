package dev.hybridge.gateway.cluster;

import static dev.hybridge.gateway.cluster.ClusterChecks.metric;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.crypto.KeyFile;
import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.gateway.slot.SlotRegistry;
import dev.hybridge.gateway.testing.JarGateway;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short codes across a cluster (spec/cluster.md §6), on three real gateway JVMs and a real
 * nats-server: a slot opened through one node is found, paired and relayed through any other; the
 * slot's end reaches the joiner's node; refusals (unknown number, used slot) come from the node
 * that holds the slot; a joiner elsewhere that leaves burns the slot at its creator.
 */
class ClusterSlotsIT {
    static final SecureRandom RNG = new SecureRandom();

    @TempDir static Path dir;
    static NatsServer nats;
    static final List<JarGateway> nodes = new ArrayList<>();

    /** Every number handed out in this class (ended slots are remembered: not unknown). */
    static final Set<Long> opened = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static byte[] gatewayKey;

    @BeforeAll
    static void cluster() throws Exception {
        nats = NatsServer.start(dir);
        Path staticKey = dir.resolve("gateway.key");
        gatewayKey = KeyFile.create(staticKey, RNG).publicKey();
        Path clusterKey = dir.resolve("cluster.key");
        byte[] ck = new byte[32];
        RNG.nextBytes(ck);
        Files.writeString(clusterKey, java.util.HexFormat.of().formatHex(ck) + "\n");
        Files.setPosixFilePermissions(
                clusterKey, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        for (int i = 0; i < 3; i++) {
            Path nodeDir = Files.createDirectories(dir.resolve("node" + i));
            nodes.add(
                    JarGateway.start(
                            nodeDir,
                            """
                            hybridge:
                              server:
                                host: 127.0.0.1
                                port: 0
                              key-file: %s
                              limits:
                                slot-attempt-burst: 1000
                                slot-create-burst: 1000
                              cluster:
                                enabled: true
                                nats-urls: ["%s"]
                                key-file: %s
                            """
                                    .formatted(staticKey, nats.url(), clusterKey)));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        for (JarGateway n : nodes) {
            while (metric(n, "hybridge_cluster_nodes") != 3) {
                assertTrue(System.nanoTime() < deadline, "nodes do not see each other");
                Thread.sleep(100);
            }
        }
    }

    @AfterAll
    static void down() throws Exception {
        for (int i = 0; i < nodes.size(); i++) {
            Files.writeString(
                    Path.of("target", "ClusterSlotsIT-node" + i + ".log"), nodes.get(i).output());
            nodes.get(i).close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    static TestClient client(int node) throws Exception {
        return TestClient.established(nodes.get(node).ws(), gatewayKey);
    }

    static RoomMessage.SlotOpened open(TestClient creator) throws Exception {
        creator.send(new RoomMessage.SlotOpen(XWingKeyPair.generate(RNG).publicKey()));
        RoomMessage.SlotOpened o =
                assertInstanceOf(RoomMessage.SlotOpened.class, creator.receive());
        opened.add(o.slot());
        return o;
    }

    static void assertError(RoomError code, TestClient c) throws Exception {
        RoomMessage.Error e = assertInstanceOf(RoomMessage.Error.class, c.receive());
        assertEquals(code.code(), e.code(), "expected " + code + ", got code " + e.code());
    }

    static byte[] envelope(TestClient c) throws Exception {
        return assertInstanceOf(RoomMessage.Relayed.class, c.receive()).envelope();
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RNG.nextBytes(b);
        return b;
    }

    @Test
    void aCodeOpenedOnOneNodeIsPairedAndRelayedThroughEveryOther() throws Exception {
        Set<Long> numbers = new HashSet<>();
        for (int x = 0; x < 3; x++) {
            int y = (x + 1) % 3;
            int z = (x + 2) % 3;
            try (TestClient creator = client(x);
                    TestClient joiner = client(y);
                    TestClient third = client(z)) {
                RoomMessage.SlotOpened o = open(creator);
                assertTrue(numbers.add(o.slot()), "numbers differ between nodes: " + numbers);
                byte[] jk = XWingKeyPair.generate(RNG).publicKey();
                joiner.send(new RoomMessage.SlotJoin(o.slot(), jk));
                RoomMessage.SlotPaired pj =
                        assertInstanceOf(RoomMessage.SlotPaired.class, joiner.receive());
                RoomMessage.SlotPaired pc =
                        assertInstanceOf(RoomMessage.SlotPaired.class, creator.receive());
                assertArrayEquals(o.sid(), pj.sid());
                assertArrayEquals(jk, pc.publicKey());
                // relays both ways, in order, opaque
                List<byte[]> sent = new ArrayList<>();
                for (int k = 0; k < 5; k++) {
                    byte[] e = random(100 + k);
                    sent.add(e);
                    joiner.send(new RoomMessage.Relay(SlotRegistry.CREATOR_ID, e));
                }
                for (byte[] e : sent) {
                    assertArrayEquals(e, envelope(creator));
                }
                byte[] back = random(3000);
                creator.send(new RoomMessage.Relay(SlotRegistry.JOINER_ID, back));
                assertArrayEquals(back, envelope(joiner));
                // a relay to nobody in the slot is refused by the node that holds it
                joiner.send(new RoomMessage.Relay(new byte[8], random(10)));
                assertError(RoomError.UNKNOWN_PEER, joiner);
                // a third person on the third node: the slot is taken
                third.send(new RoomMessage.SlotJoin(o.slot(), jk));
                assertError(RoomError.SLOT_USED, third);
                // the creator ends it as used (its second SLOT_DONE is refused once the first is
                // done); a later relay of the joiner is refused, by its own node or by the
                // holder (never dropped), and the joiner's seat ends at its node
                creator.send(new RoomMessage.SlotDone(false));
                creator.send(new RoomMessage.SlotDone(false));
                assertError(RoomError.NOT_IN_ROOM, creator);
                joiner.send(new RoomMessage.Relay(SlotRegistry.CREATOR_ID, random(10)));
                assertError(RoomError.NOT_IN_ROOM, joiner);
                joiner.send(new RoomMessage.SlotDone(false));
                assertError(RoomError.NOT_IN_ROOM, joiner);
            }
        }
    }

    @Test
    void refusalsComeFromTheNodeThatHoldsTheSlotAndLeavingBurnsIt() throws Exception {
        try (TestClient creator = client(0);
                TestClient joiner = client(1);
                TestClient guesser = client(2)) {
            RoomMessage.SlotOpened o = open(creator);
            // numbers nobody opened: unknown, wherever they are owned
            int tried = 0;
            for (long n = 1; tried < 30; n++) {
                if (opened.contains(n)) {
                    continue;
                }
                tried++;
                guesser.send(new RoomMessage.SlotJoin(n, XWingKeyPair.generate(RNG).publicKey()));
                assertError(RoomError.SLOT_UNKNOWN, guesser);
            }
            joiner.send(new RoomMessage.SlotJoin(o.slot(), XWingKeyPair.generate(RNG).publicKey()));
            assertInstanceOf(RoomMessage.SlotPaired.class, joiner.receive());
            assertInstanceOf(RoomMessage.SlotPaired.class, creator.receive());
        } // the joiner's connection ends while paired: the slot burns at the creator
        try (TestClient creator = client(0);
                TestClient joiner = client(1)) {
            RoomMessage.SlotOpened o = open(creator);
            joiner.send(new RoomMessage.SlotJoin(o.slot(), XWingKeyPair.generate(RNG).publicKey()));
            assertInstanceOf(RoomMessage.SlotPaired.class, joiner.receive());
            assertInstanceOf(RoomMessage.SlotPaired.class, creator.receive());
            joiner.send(new RoomMessage.Leave());
            assertError(RoomError.SLOT_BURNED, creator);
            try (TestClient late = client(2)) {
                late.send(
                        new RoomMessage.SlotJoin(o.slot(), XWingKeyPair.generate(RNG).publicKey()));
                assertError(RoomError.SLOT_BURNED, late);
            }
        }
        // nothing is left held anywhere
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        for (JarGateway n : nodes) {
            while (metric(n, "hybridge_slots_open") != 0) {
                assertTrue(System.nanoTime() < deadline, "slots still open");
                Thread.sleep(50);
            }
        }
    }
}

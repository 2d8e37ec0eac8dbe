package dev.hybridge.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hybridge.gateway.testing.HealthyRoom;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.gateway.testing.TestGateway;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile input at live connections: arbitrary frames before the handshake, and arbitrary
 * sequences of (mostly well-formed, partly random) room messages after it. After every try the
 * gateway is up, everything the try held is released (connections, rooms, peers: memory stays
 * bounded), and the healthy room next door has lost, duplicated or reordered nothing.
 */
class HostileInputPropertyTest {
    static Path dir;
    static TestGateway gw;
    static HealthyRoom healthy;

    /** A few room ids, so random joins meet each other; none is the healthy room's. */
    static final byte[][] ROOMS = {filled(1), filled(2), filled(3)};

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("hybridge-prop");
        gw =
                TestGateway.start(
                        dir.resolve("gateway.key"),
                        Map.of(
                                "hybridge.limits.handshake-timeout", "PT2S",
                                "hybridge.limits.room-capacity", "3",
                                "hybridge.limits.envelope-max-bytes", "16473"));
        healthy = HealthyRoom.start(gw.ws(), gw.publicKey(), 25);
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            healthy.stopAndVerify();
        } finally {
            healthy.close();
            gw.close();
        }
    }

    @Property(tries = 60)
    void arbitraryFramesBeforeTheHandshake(
            @ForAll @Size(max = 6) List<@Size(max = 3000) byte[]> frames) throws Exception {
        TestClient c = TestClient.connect(gw.ws());
        try {
            for (byte[] f : frames) {
                c.sendRaw(f);
            }
        } catch (CompletionException closedMidway) {
            // the gateway may close as soon as the first frame is wrong
        }
        c.close();
        assertGatewayHealthyAndClean();
    }

    /** One step of a hostile client that completed the handshake. */
    sealed interface Step {}

    record Send(RoomMessage message) implements Step {}

    record SealedBytes(byte[] plaintext) implements Step {}

    record UnsealedBytes(byte[] bytes) implements Step {}

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<byte[]> peerId = Arbitraries.bytes().array(byte[].class).ofSize(8);
        Arbitrary<byte[]> key =
                Arbitraries.bytes().array(byte[].class).ofSize(RoomCodec.PUBLIC_KEY_LEN);
        Arbitrary<Step> join =
                Combinators.combine(Arbitraries.of(ROOMS), key)
                        .as((r, k) -> new Send(new RoomMessage.Join(r, k)));
        Arbitrary<Step> relay =
                Combinators.combine(
                                peerId,
                                Arbitraries.bytes()
                                        .array(byte[].class)
                                        .ofMinSize(1)
                                        .ofMaxSize(3000))
                        .as((p, e) -> new Send(new RoomMessage.Relay(p, e)));
        Arbitrary<Step> leave = Arbitraries.just(new Send(new RoomMessage.Leave()));
        Arbitrary<Step> sealedBytes =
                Arbitraries.bytes().array(byte[].class).ofMaxSize(2000).map(SealedBytes::new);
        Arbitrary<Step> unsealed =
                Arbitraries.bytes().array(byte[].class).ofMaxSize(200).map(UnsealedBytes::new);
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(4, join),
                        net.jqwik.api.Tuple.of(6, relay),
                        net.jqwik.api.Tuple.of(2, leave),
                        net.jqwik.api.Tuple.of(2, sealedBytes),
                        net.jqwik.api.Tuple.of(1, unsealed))
                .list()
                .ofMaxSize(25);
    }

    @Property(tries = 60)
    void arbitraryMessageSequencesAfterTheHandshake(@ForAll("steps") List<Step> steps)
            throws Exception {
        TestClient c = TestClient.established(gw.ws(), gw.publicKey());
        try {
            for (Step s : steps) {
                if (c.isClosed()) {
                    break;
                }
                switch (s) {
                    case Send m -> c.send(m.message());
                    case SealedBytes b -> c.sendPlain(b.plaintext());
                    case UnsealedBytes u -> c.sendRaw(u.bytes());
                }
            }
        } catch (CompletionException closedMidway) {
            // fatal input closes the connection; later sends fail on the client side
        }
        c.close();
        assertGatewayHealthyAndClean();
    }

    private static void assertGatewayHealthyAndClean() throws Exception {
        assertEquals(200, gw.get("/health").statusCode());
        // only the healthy room's two connections, one room and two peers remain
        GatewayFlowTest.waitFor(
                () ->
                        gw.gateway().connectionLimiter().open() == 2
                                && gw.running().edge().openConnections() == 2
                                && gw.gateway().rooms().rooms() == 1
                                && gw.gateway().rooms().peers() == 2);
    }

    private static byte[] filled(int b) {
        byte[] id = new byte[32];
        java.util.Arrays.fill(id, (byte) b);
        return id;
    }
}

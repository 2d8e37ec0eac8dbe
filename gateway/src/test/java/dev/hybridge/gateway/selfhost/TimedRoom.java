package dev.hybridge.gateway.selfhost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.gateway.testing.Peers;
import dev.hybridge.gateway.testing.TestClient;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomMessage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A healthy call beside an attack: two peers joined in one room through nginx (wss), each
 * relaying a sequence-numbered, time-stamped envelope to the other every {@code periodMillis}.
 * Each receiver checks order and records the worst send-to-receive latency; {@link #stopAndVerify}
 * proves nothing was lost, duplicated or reordered, no connection closed, and the worst latency
 * stayed under the bound.
 */
final class TimedRoom implements AutoCloseable {
    private final TestClient a;
    private final TestClient b;
    private final byte[] idA;
    private final byte[] idB;
    private final Thread pump;
    private final Receiver toA;
    private final Receiver toB;
    private volatile boolean running = true;
    private volatile boolean pumpDone;
    private volatile long sent;
    private volatile Throwable failure;

    private TimedRoom(TestClient a, TestClient b, byte[] idA, byte[] idB, long periodMillis) {
        this.a = a;
        this.b = b;
        this.idA = idA;
        this.idB = idB;
        this.toA = new Receiver(a, idB, "a");
        this.toB = new Receiver(b, idA, "b");
        this.pump =
                Thread.ofPlatform()
                        .daemon()
                        .name("timed-room-pump")
                        .start(() -> pump(periodMillis));
    }

    static TimedRoom start(NginxFront front, byte[] gatewayKey, long periodMillis)
            throws Exception {
        return start(front.wss(), front.https(), front.https(), gatewayKey, periodMillis);
    }

    /** Through {@code wss}, peer a over {@code httpA} and b over {@code httpB} (each trusts the proxy's certificate). */
    static TimedRoom start(
            java.net.URI wss,
            java.net.http.HttpClient httpA,
            java.net.http.HttpClient httpB,
            byte[] gatewayKey,
            long periodMillis)
            throws Exception {
        byte[] room = Peers.roomId();
        TestClient a = TestClient.connect(wss, Map.of(), httpA);
        a.handshake(gatewayKey);
        a.send(new RoomMessage.Join(room, Peers.key()));
        RoomMessage.Joined ja = assertInstanceOf(RoomMessage.Joined.class, a.receive());
        TestClient b = TestClient.connect(wss, Map.of(), httpB);
        b.handshake(gatewayKey);
        b.send(new RoomMessage.Join(room, Peers.key()));
        RoomMessage.Joined jb = assertInstanceOf(RoomMessage.Joined.class, b.receive());
        assertArrayEquals(
                jb.peerId(), assertInstanceOf(RoomMessage.PeerJoined.class, a.receive()).peerId());
        return new TimedRoom(a, b, ja.peerId(), jb.peerId(), periodMillis);
    }

    private void pump(long periodMillis) {
        try {
            long seq = 0;
            while (running) {
                byte[] env =
                        ByteBuffer.allocate(16).putLong(seq).putLong(System.nanoTime()).array();
                a.send(new RoomMessage.Relay(idB, env));
                b.send(new RoomMessage.Relay(idA, env));
                seq++;
                sent = seq;
                Thread.sleep(periodMillis); // the call's own pace, not a wait for an event
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            pumpDone = true;
        }
    }

    /** Stops the pump; fails unless both sides received exactly 0..sent-1 in order, each within {@code bound}. */
    Duration stopAndVerify(Duration bound) throws Exception {
        running = false;
        pump.join(10_000);
        assertNull(failure, () -> "the healthy call could not send: " + failure);
        assertTrue(sent > 0, "the healthy call relayed nothing");
        toA.thread.join(10_000);
        toB.thread.join(10_000);
        for (Receiver r : new Receiver[] {toA, toB}) {
            assertNull(r.failure, () -> r.name + ": " + r.failure);
            assertEquals(sent, r.received.get(), r.name + ": envelopes lost (received of sent)");
            assertEquals(
                    0, r.client.pending(), r.name + ": extra messages after the last envelope");
            assertFalse(r.client.isClosed(), r.name + ": the healthy connection was closed");
        }
        Duration worst = Duration.ofNanos(Math.max(toA.worstNanos.get(), toB.worstNanos.get()));
        assertTrue(
                worst.compareTo(bound) <= 0,
                "the healthy call's worst latency "
                        + worst.toMillis()
                        + " ms exceeds "
                        + bound.toMillis()
                        + " ms");
        return worst;
    }

    long sent() {
        return sent;
    }

    @Override
    public void close() {
        running = false;
        a.close();
        b.close();
    }

    /** Reads one side until the pump has stopped and everything it sent has arrived. */
    private final class Receiver {
        final TestClient client;
        final byte[] from;
        final String name;
        final AtomicLong received = new AtomicLong();
        final AtomicLong worstNanos = new AtomicLong();
        final Thread thread;
        volatile Throwable failure;

        Receiver(TestClient client, byte[] from, String name) {
            this.client = client;
            this.from = from;
            this.name = name;
            this.thread = Thread.ofPlatform().daemon().name("timed-room-" + name).start(this::run);
        }

        private void run() {
            try {
                while (!(pumpDone && received.get() >= sent)) {
                    byte[] rec = client.nextRaw(Duration.ofMillis(200));
                    if (rec == null) {
                        if (client.isClosed()) {
                            throw new AssertionError("connection closed");
                        }
                        continue;
                    }
                    long now = System.nanoTime();
                    RoomMessage m = RoomCodec.decodeFromGateway(client.channel().open(rec));
                    RoomMessage.Relayed r =
                            assertInstanceOf(RoomMessage.Relayed.class, m, "unexpected message");
                    assertArrayEquals(from, r.from(), "envelope from an unexpected peer");
                    ByteBuffer bb = ByteBuffer.wrap(r.envelope());
                    assertEquals(
                            received.get(), bb.getLong(), "envelope lost, duplicated or reordered");
                    worstNanos.accumulateAndGet(now - bb.getLong(), Math::max);
                    received.incrementAndGet();
                }
            } catch (Throwable t) {
                failure = t;
            }
        }
    }
}

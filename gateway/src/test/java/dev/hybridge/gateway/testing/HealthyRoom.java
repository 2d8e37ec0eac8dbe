package dev.hybridge.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.protocol.RoomMessage;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A room of two peers that relay sequence-numbered envelopes to each other the whole time a
 * test runs; {@link #stopAndVerify} proves nothing was lost, duplicated or reordered (each
 * receiver checks the sender's sequence numbers) and that no envelope took longer than
 * {@link #LATENCY_BOUND} from send to receipt (each carries its send time).
 */
public final class HealthyRoom implements AutoCloseable {
    /**
     * The most an envelope of the healthy room may take while an attack runs beside it. A quiet
     * loopback relay takes well under a millisecond; the bound leaves room for a loaded CI machine
     * and a garbage collection, and still fails a gateway that stalls its healthy calls.
     */
    public static final java.time.Duration LATENCY_BOUND = java.time.Duration.ofMillis(1500);

    private final TestClient a;
    private final TestClient b;
    private final byte[] idA;
    private final byte[] idB;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread pump;
    private volatile long sent;
    private volatile Throwable failure;
    private final Receiver toA;
    private final Receiver toB;

    private HealthyRoom(TestClient a, TestClient b, byte[] idA, byte[] idB, long periodMillis) {
        this.a = a;
        this.b = b;
        this.idA = idA;
        this.idB = idB;
        this.toA = new Receiver(a, idB, "a");
        this.toB = new Receiver(b, idA, "b");
        this.pump =
                Thread.ofPlatform().daemon().name("healthy-room").start(() -> pump(periodMillis));
    }

    /** Reads one side's envelopes as they arrive: order, integrity and latency. */
    private final class Receiver {
        private final TestClient client;
        private final byte[] from;
        private final String name;
        private final Thread thread;
        private volatile long received;
        private volatile long maxLatencyNanos;
        private volatile Throwable error;

        Receiver(TestClient client, byte[] from, String name) {
            this.client = client;
            this.from = from;
            this.name = name;
            this.thread =
                    Thread.ofPlatform().daemon().name("healthy-room-" + name).start(this::run);
        }

        private void run() {
            try {
                while (running.get() || received < sent) {
                    byte[] raw = client.nextRaw(java.time.Duration.ofMillis(50));
                    if (raw == null) {
                        continue;
                    }
                    long now = System.nanoTime();
                    RoomMessage m =
                            dev.hybridge.protocol.RoomCodec.decodeFromGateway(
                                    client.channel().open(raw));
                    if (!(m instanceof RoomMessage.Relayed r)) {
                        throw new AssertionError(name + ": unexpected " + m);
                    }
                    assertTrue(
                            java.util.Arrays.equals(from, r.from()),
                            name + ": envelope from an unexpected peer");
                    ByteBuffer bb = ByteBuffer.wrap(r.envelope());
                    long seq = bb.getLong();
                    assertEquals(~seq, bb.getLong(), name + ": envelope altered");
                    assertEquals(received, seq, name + ": envelope lost, duplicated or reordered");
                    maxLatencyNanos = Math.max(maxLatencyNanos, now - bb.getLong());
                    received = seq + 1;
                }
            } catch (Throwable t) {
                error = t;
            }
        }

        void verify() throws Exception {
            thread.join(TestClient.WAIT.toMillis());
            if (error != null) {
                throw new AssertionError(name + ": healthy room receiver failed", error);
            }
            assertEquals(sent, received, name + ": envelopes missing at the end");
            assertEquals(0, client.pending(), name + ": extra messages after the last envelope");
            assertTrue(!client.isClosed(), name + ": healthy connection was closed");
            assertTrue(
                    maxLatencyNanos < LATENCY_BOUND.toNanos(),
                    name
                            + ": an envelope took "
                            + maxLatencyNanos / 1_000_000
                            + " ms (bound "
                            + LATENCY_BOUND.toMillis()
                            + " ms)");
        }
    }

    public static HealthyRoom start(URI ws, byte[] gatewayKey, long periodMillis) throws Exception {
        byte[] roomId = new byte[32];
        new SecureRandom().nextBytes(roomId);
        TestClient a = TestClient.established(ws, gatewayKey);
        a.send(new RoomMessage.Join(roomId, Peers.key()));
        RoomMessage.Joined ja = (RoomMessage.Joined) a.receive();
        TestClient b = TestClient.established(ws, gatewayKey);
        b.send(new RoomMessage.Join(roomId, Peers.key()));
        RoomMessage.Joined jb = (RoomMessage.Joined) b.receive();
        RoomMessage.PeerJoined pj = (RoomMessage.PeerJoined) a.receive();
        assertTrue(java.util.Arrays.equals(pj.peerId(), jb.peerId()));
        return new HealthyRoom(a, b, ja.peerId(), jb.peerId(), periodMillis);
    }

    private void pump(long periodMillis) {
        try {
            long seq = 0;
            while (running.get()) {
                byte[] env =
                        ByteBuffer.allocate(24)
                                .putLong(seq)
                                .putLong(~seq)
                                .putLong(System.nanoTime())
                                .array();
                a.send(new RoomMessage.Relay(idB, env));
                b.send(new RoomMessage.Relay(idA, env));
                seq++;
                sent = seq;
                Thread.sleep(periodMillis);
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** Stops the pump, then checks that each side received exactly 0..sent-1 in order, in time. */
    public void stopAndVerify() throws Exception {
        running.set(false);
        pump.join(10_000);
        if (failure != null) {
            throw new AssertionError("healthy room pump failed", failure);
        }
        assertTrue(sent > 0, "the healthy room relayed nothing");
        toB.verify();
        toA.verify();
    }

    /** The longest an envelope took so far, either way. */
    public java.time.Duration maxLatency() {
        return java.time.Duration.ofNanos(Math.max(toA.maxLatencyNanos, toB.maxLatencyNanos));
    }

    public long sent() {
        return sent;
    }

    @Override
    public void close() {
        running.set(false);
        a.close();
        b.close();
    }
}

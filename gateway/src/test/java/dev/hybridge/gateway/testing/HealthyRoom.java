package dev.hybridge.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hybridge.protocol.RoomMessage;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A room of two peers that relay sequence-numbered envelopes to each other the whole time a
 * test runs; {@link #stopAndVerify} proves nothing was lost, duplicated or reordered (each
 * receiver checks the sender's sequence numbers).
 */
public final class HealthyRoom implements AutoCloseable {
    private final TestClient a;
    private final TestClient b;
    private final byte[] idA;
    private final byte[] idB;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread pump;
    private volatile long sent;
    private volatile Throwable failure;

    private HealthyRoom(TestClient a, TestClient b, byte[] idA, byte[] idB, long periodMillis) {
        this.a = a;
        this.b = b;
        this.idA = idA;
        this.idB = idB;
        this.pump = Thread.ofPlatform().daemon().name("healthy-room").start(() -> pump(periodMillis));
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
                byte[] env = ByteBuffer.allocate(16).putLong(seq).putLong(~seq).array();
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

    /** Stops the pump, then checks that each side received exactly 0..sent-1 in order from the other. */
    public void stopAndVerify() throws Exception {
        running.set(false);
        pump.join(10_000);
        if (failure != null) {
            throw new AssertionError("healthy room pump failed", failure);
        }
        assertTrue(sent > 0, "the healthy room relayed nothing");
        verifyReceiver(b, idA, "b");
        verifyReceiver(a, idB, "a");
    }

    private void verifyReceiver(TestClient receiver, byte[] from, String name) throws Exception {
        List<Long> got = new ArrayList<>();
        while (got.size() < sent) {
            RoomMessage m = receiver.receive();
            if (m instanceof RoomMessage.Relayed r) {
                assertTrue(java.util.Arrays.equals(from, r.from()), name + ": envelope from an unexpected peer");
                ByteBuffer bb = ByteBuffer.wrap(r.envelope());
                long seq = bb.getLong();
                assertEquals(~seq, bb.getLong(), name + ": envelope altered");
                assertEquals(got.size(), seq, name + ": envelope lost, duplicated or reordered");
                got.add(seq);
            } else {
                throw new AssertionError(name + ": unexpected " + m);
            }
        }
        assertEquals(0, receiver.pending(), name + ": extra messages after the last envelope");
        assertTrue(!receiver.isClosed(), name + ": healthy connection was closed");
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

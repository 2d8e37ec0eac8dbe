package dev.hybridge.bench;

import dev.hybridge.crypto.XWingKeyPair;
import dev.hybridge.crypto.handshake.HopClient;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomMessage;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's client: WebSocket, hop handshake (spec/hop-handshake.md), then the room protocol
 * inside the hop channel (JOIN, RELAY). What a browser tab does, less the peer channel.
 */
final class HopPeer implements Peer {
    static final SecureRandom RNG = new SecureRandom();

    final Conn conn;
    final Channel channel;
    final BlockingQueue<RoomMessage> control = new LinkedBlockingQueue<>();
    byte[][] ids;
    Counters counters;

    /** Sees every room message first (the storm's healthy pair); RELAYED then goes nowhere else. */
    volatile java.util.function.Consumer<RoomMessage> watch;

    private HopPeer(Conn conn, Channel channel) {
        this.conn = conn;
        this.channel = channel;
    }

    /** WebSocket upgrade and hop handshake; each step waits at most {@code timeoutMs}. */
    static HopPeer connect(Child gw) throws Exception {
        return connect(gw.ws(), gw.publicKey, 30_000);
    }

    static HopPeer connect(java.net.URI ws, byte[] gatewayKey, long timeoutMs) throws Exception {
        Conn c = Conn.open(ws, timeoutMs);
        try {
            CompletableFuture<byte[]> hello = new CompletableFuture<>();
            c.onBinary = hello::complete;
            c.onClose =
                    () ->
                            hello.completeExceptionally(
                                    new java.io.EOFException("closed during the hop handshake"));
            HopClient.Started started = HopClient.start(gatewayKey, RNG);
            c.send(started.clientHello());
            HopClient.Established est =
                    started.next().receive(hello.get(timeoutMs, TimeUnit.MILLISECONDS));
            HopPeer h = new HopPeer(c, est.channel());
            c.onClose = () -> {};
            c.onBinary = h::onRecord;
            c.send(est.clientFinished());
            return h;
        } catch (Exception e) {
            c.abort();
            throw e;
        }
    }

    private void onRecord(byte[] rec) {
        try {
            RoomMessage m = RoomCodec.decodeFromGateway(channel.open(rec));
            var w = watch;
            if (w != null) {
                w.accept(m);
                if (m instanceof RoomMessage.Relayed) {
                    return;
                }
            }
            if (m instanceof RoomMessage.Relayed r && counters != null) {
                counters.got(r.envelope());
            } else {
                control.add(m);
            }
        } catch (Exception e) {
            System.err.println("hop client: " + e);
        }
    }

    /** Sends JOIN and waits for JOINED (at most {@code timeoutMs}); this peer's id, or null. */
    byte[] join(byte[] roomId, byte[] publicKey, long timeoutMs) throws Exception {
        send(new RoomMessage.Join(roomId, publicKey));
        long end = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            long left = end - System.nanoTime();
            RoomMessage m = left > 0 ? control.poll(left, TimeUnit.NANOSECONDS) : null;
            if (m == null) {
                return null;
            }
            if (m instanceof RoomMessage.Joined j) {
                return j.peerId();
            }
        }
    }

    void send(RoomMessage m) throws Exception {
        synchronized (channel) { // seal and send in seq order
            conn.send(channel.seal(RoomCodec.encode(m)));
        }
    }

    /** {@code size} joined peers of one fresh room, each knowing the others' ids. */
    static List<Peer> room(Child gw, int size, Counters counters) throws Exception {
        byte[] roomId = new byte[32];
        RNG.nextBytes(roomId);
        byte[] pk = XWingKeyPair.generate(RNG).publicKey();
        List<HopPeer> hs = new ArrayList<>();
        byte[][] ids = new byte[size][];
        for (int i = 0; i < size; i++) {
            HopPeer h = connect(gw);
            h.counters = counters;
            ids[i] = h.join(roomId, pk, 30_000);
            hs.add(h);
        }
        for (HopPeer h : hs) {
            h.ids = ids;
        }
        return new ArrayList<>(hs);
    }

    @Override
    public void relay(int to, byte[] envelope) throws Exception {
        send(new RoomMessage.Relay(ids[to], envelope));
    }

    @Override
    public void close() {
        conn.abort();
    }
}

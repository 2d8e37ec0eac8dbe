package dev.hybridge.bench.helidon;

import dev.hybridge.crypto.ErrorCode;
import dev.hybridge.crypto.FailureCode;
import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.handshake.HopServer;
import dev.hybridge.crypto.record.Channel;
import dev.hybridge.crypto.record.RecordOpener;
import dev.hybridge.gateway.config.GatewayConfig;
import dev.hybridge.gateway.observe.Metrics;
import dev.hybridge.gateway.relay.TokenBucket;
import dev.hybridge.gateway.room.Member;
import dev.hybridge.gateway.room.PeerIds;
import dev.hybridge.gateway.room.RoomId;
import dev.hybridge.gateway.room.RoomRegistry;
import dev.hybridge.gateway.room.SeatRef;
import dev.hybridge.gateway.ws.Services;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import java.io.ByteArrayOutputStream;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bench only: one connection of {@link HelidonGateway}, the gateway's {@code ws.Connection} as a
 * Helidon {@link WsListener} (borrowed from the gateway before commit f225fbc, on today's
 * {@link Services}). Same phases, checks and room calls; Helidon reads the frames on the
 * connection's virtual thread, {@link HelidonOutbox} writes them.
 */
final class HelidonConnection implements WsListener, Member {
    private static final long CLOSE_GRACE_NANOS = 2_000_000_000L;

    private enum Phase {
        AWAIT_HELLO,
        AWAIT_FINISHED,
        OPEN,
        CLOSED
    }

    private final Services svc;
    private final GatewayConfig.Limits limits;
    private final Metrics metrics;
    private final Set<HelidonConnection> open;

    private volatile Phase phase = Phase.AWAIT_HELLO;
    private WsSession session;
    private volatile HelidonOutbox out;
    private volatile Thread reader;
    private final AtomicBoolean cleaned = new AtomicBoolean();

    private HopServer.AwaitingClientFinished awaitingFinished;
    private RecordOpener opener;
    private volatile SeatRef seat;

    private TokenBucket bucket;
    private ByteArrayOutputStream fragments;
    private final long openedAt = System.nanoTime();
    private volatile long lastInbound = openedAt;
    private volatile long lastPing = openedAt;
    private volatile long closingSince;

    HelidonConnection(Services svc, Set<HelidonConnection> open) {
        this.svc = svc;
        this.limits = svc.limits();
        this.metrics = svc.metrics();
        this.open = open;
    }

    @Override
    public void onOpen(WsSession session) {
        this.session = session;
        this.reader = Thread.currentThread();
        this.bucket =
                new TokenBucket(
                        limits.messagesPerSecond(), limits.messageBurst(), System.nanoTime());
        this.out =
                new HelidonOutbox(
                        session,
                        limits.sendQueueMaxBytes(),
                        new HelidonOutbox.Events() {
                            @Override
                            public void overflow() {
                                onOverflow();
                            }

                            @Override
                            public void finished() {
                                closingSince = closingSince == 0 ? System.nanoTime() : closingSince;
                                cleanupAsync();
                            }
                        });
        open.add(this);
        if (svc.shuttingDown().getAsBoolean()) {
            terminal(WsCloseCodes.GOING_AWAY, RoomError.SHUTTING_DOWN.name());
            return;
        }
        metrics.connectionOpened();
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        lastInbound = System.nanoTime();
        if (phase != Phase.CLOSED) {
            fail(ErrorCode.MALFORMED_MESSAGE);
        }
    }

    @Override
    public void onMessage(WsSession session, BufferData buffer, boolean last) {
        lastInbound = System.nanoTime();
        if (phase == Phase.CLOSED) {
            return;
        }
        byte[] msg = assemble(buffer, last);
        if (msg == null) {
            return;
        }
        if (!bucket.tryTake(lastInbound)) {
            metrics.limitHit(Metrics.LIMIT_RATE);
            fail(RoomError.RATE_LIMITED);
            return;
        }
        switch (phase) {
            case AWAIT_HELLO -> onClientHello(msg);
            case AWAIT_FINISHED -> onClientFinished(msg);
            case OPEN -> onRecord(msg);
            case CLOSED -> {}
        }
    }

    @Override
    public void onPing(WsSession session, BufferData buffer) {
        byte[] payload = new byte[Math.min(buffer.available(), 125)];
        buffer.read(payload);
        HelidonOutbox o = out;
        if (o != null) {
            o.pong(payload);
        }
    }

    @Override
    public void onPong(WsSession session, BufferData buffer) {
        lastInbound = System.nanoTime();
    }

    @Override
    public void onClose(WsSession session, int status, String reason) {
        phase = Phase.CLOSED;
        wipeReaderState();
        cleanup();
    }

    @Override
    public void onError(WsSession session, Throwable t) {
        phase = Phase.CLOSED;
        wipeReaderState();
        cleanup();
    }

    private void onClientHello(byte[] msg) {
        try {
            HopServer.Accepted accepted = svc.hopServer().receiveClientHello(msg, svc.rng());
            awaitingFinished = accepted.next();
            phase = Phase.AWAIT_FINISHED;
            out.raw(accepted.serverHello());
        } catch (ProtocolException e) {
            metrics.handshakeFailed(e.code().name());
            fail(e.code());
        }
    }

    private void onClientFinished(byte[] msg) {
        HopServer.AwaitingClientFinished waiting = awaitingFinished;
        awaitingFinished = null;
        try {
            Channel channel = waiting.receive(msg);
            opener = channel.opener();
            out.sealer(channel.sealer());
            phase = Phase.OPEN;
            metrics.handshakeCompleted();
        } catch (ProtocolException e) {
            metrics.handshakeFailed(e.code().name());
            fail(e.code());
        }
    }

    private void onRecord(byte[] record) {
        RoomMessage m;
        try {
            m = RoomCodec.decodeFromClient(opener.open(record));
        } catch (ProtocolException e) {
            fail(e.code());
            return;
        }
        switch (m) {
            case RoomMessage.Join j -> onJoin(j);
            case RoomMessage.Relay r -> onRelay(r);
            case RoomMessage.Leave l -> onLeave();
            default -> fail(ErrorCode.UNEXPECTED_MESSAGE);
        }
    }

    private void onJoin(RoomMessage.Join j) {
        if (seat != null) {
            reply(RoomError.ALREADY_JOINED, null);
            return;
        }
        switch (svc.rooms().join(new RoomId(j.roomId()), j.publicKey(), this, svc.ice().mint())) {
            case RoomRegistry.JoinResult.Joined joined -> {
                seat = joined.seat();
                if (cleaned.get()) {
                    svc.rooms().leave(joined.seat());
                }
            }
            case RoomRegistry.JoinResult.Refused refused -> reply(refused.code(), null);
        }
    }

    private void onRelay(RoomMessage.Relay r) {
        SeatRef s = seat;
        if (s == null) {
            reply(RoomError.NOT_IN_ROOM, null);
            return;
        }
        if (r.envelope().length > limits.envelopeMaxBytes()) {
            metrics.limitHit(Metrics.LIMIT_ENVELOPE);
            reply(RoomError.ENVELOPE_TOO_LARGE, r.to());
            return;
        }
        switch (svc.rooms().relay(s, PeerIds.fromBytes(r.to()), r.envelope())) {
            case DELIVERED -> metrics.envelopeRelayed(r.envelope().length);
            case UNKNOWN_PEER -> reply(RoomError.UNKNOWN_PEER, r.to());
            case TARGET_OVERLOADED -> metrics.inputRejected(RoomError.SLOW_CONSUMER.name());
        }
    }

    private void onLeave() {
        SeatRef s = seat;
        if (s == null) {
            reply(RoomError.NOT_IN_ROOM, null);
            return;
        }
        seat = null;
        svc.rooms().leave(s);
    }

    private void reply(FailureCode code, byte[] ref) {
        metrics.inputRejected(code.name());
        out.record(RoomCodec.encode(new RoomMessage.Error(code.code(), ref)));
    }

    @Override
    public boolean deliver(byte[] roomMessage) {
        HelidonOutbox o = out;
        return phase == Phase.OPEN
                && o != null
                && !svc.shuttingDown().getAsBoolean()
                && o.record(roomMessage);
    }

    private void fail(FailureCode code) {
        metrics.inputRejected(code.name());
        terminal(code.closeCode(), code.name());
    }

    private void terminal(int closeCode, String reason) {
        phase = Phase.CLOSED;
        if (Thread.currentThread() == reader) {
            wipeReaderState();
        }
        out.close(closeCode, reason, true);
        cleanupAsync();
    }

    private void onOverflow() {
        metrics.limitHit(Metrics.LIMIT_SEND_QUEUE);
        metrics.inputRejected(RoomError.SLOW_CONSUMER.name());
        phase = Phase.CLOSED;
        out.close(RoomError.SLOW_CONSUMER.closeCode(), RoomError.SLOW_CONSUMER.name(), true);
        cleanupAsync();
    }

    @Override
    public void goingAway() {
        HelidonOutbox o = out;
        if (o == null) {
            return;
        }
        if (phase == Phase.OPEN) {
            o.record(RoomCodec.encode(new RoomMessage.Error(RoomError.SHUTTING_DOWN.code(), null)));
        }
        phase = Phase.CLOSED;
        o.close(WsCloseCodes.GOING_AWAY, RoomError.SHUTTING_DOWN.name(), false);
    }

    void tick(long now) {
        Thread r = reader;
        if (r != null && !r.isAlive()) {
            cleanup(); // the socket is gone; Helidon 4.2 does not always call onClose
            return;
        }
        HelidonOutbox o = out;
        if (o == null) {
            return;
        }
        Phase p = phase;
        if (p == Phase.CLOSED || o.closeQueued()) {
            if (closingSince == 0) {
                closingSince = now;
            } else if (now - closingSince > CLOSE_GRACE_NANOS) {
                cleanup();
                if (session instanceof ServerConnection sc) {
                    sc.close(true);
                }
            }
            return;
        }
        if (p != Phase.OPEN && now - openedAt > limits.handshakeTimeout().toNanos()) {
            metrics.handshakeFailed(ErrorCode.HANDSHAKE_TIMEOUT.name());
            fail(ErrorCode.HANDSHAKE_TIMEOUT);
        } else if (p == Phase.OPEN && now - lastInbound > limits.idleTimeout().toNanos()) {
            fail(RoomError.IDLE_TIMEOUT);
        } else if (p == Phase.OPEN
                && now - lastPing >= limits.pingInterval().toNanos()
                && now - lastInbound >= limits.pingInterval().toNanos()) {
            lastPing = now;
            o.ping();
        }
    }

    private void cleanupAsync() {
        if (!cleaned.get()) {
            Thread.ofVirtual().name("hybridge-cleanup").start(this::cleanup);
        }
    }

    private void cleanup() {
        if (!cleaned.compareAndSet(false, true)) {
            return;
        }
        open.remove(this);
        SeatRef s = seat;
        seat = null;
        if (s != null) {
            svc.rooms().leave(s);
        }
    }

    private void wipeReaderState() {
        HopServer.AwaitingClientFinished w = awaitingFinished;
        awaitingFinished = null;
        if (w != null) {
            w.abandon();
        }
        RecordOpener o = opener;
        if (o != null) {
            o.destroy();
        }
    }

    /** Joins fragmented messages; null while more fragments are due. Oversized: close 1009. */
    private byte[] assemble(BufferData buffer, boolean last) {
        int n = buffer.available();
        int have = fragments == null ? 0 : fragments.size();
        if ((long) have + n > limits.maxFrameBytes()) {
            fragments = null;
            metrics.limitHit(Metrics.LIMIT_FRAME_SIZE);
            terminal(WsCloseCodes.TOO_BIG, RoomError.MESSAGE_TOO_LARGE.name());
            return null;
        }
        byte[] chunk = new byte[n];
        buffer.read(chunk);
        if (last && fragments == null) {
            return chunk;
        }
        if (fragments == null) {
            fragments = new ByteArrayOutputStream(Math.min(limits.maxFrameBytes(), 2 * n + 64));
        }
        fragments.writeBytes(chunk);
        if (!last) {
            return null;
        }
        byte[] whole = fragments.toByteArray();
        fragments = null;
        return whole;
    }
}

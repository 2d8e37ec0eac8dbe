package dev.hybridge.gateway.ws;

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
import dev.hybridge.gateway.room.Seat;
import dev.hybridge.gateway.room.SeatRef;
import dev.hybridge.gateway.sfu.SfuMember;
import dev.hybridge.gateway.slot.SlotRegistry;
import dev.hybridge.gateway.slot.SlotSeat;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One WebSocket connection at {@code /ws}: the thin adapter between the socket and the domain.
 * Phases (spec/room-protocol.md): ClientHello -> ClientFinished -> records, each record one room
 * message. Everything is validated before it is acted on; every failure has its code, its
 * close code (4000 + code) and its metric. Nothing a client sends (keys, room ids, envelopes)
 * is logged.
 *
 * <p>Threads: {@link WsSocket} calls the listener methods on the connection's own (virtual)
 * reader thread; the edge's timer calls {@link #tick}; other connections' threads call
 * {@link #deliver}. The TCP connection under it, its counting against the connection limits and
 * its deadlines before the upgrade belong to the edge, which starts it with {@link #run}.
 */
public final class Connection implements WsSocket.Listener, Member {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());

    /**
     * A session whose records went neither way for this long gives its two AES-GCM ciphers back to
     * the shared pool (RecordSealer/RecordOpener#releaseCipher): an idle session keeps its keys
     * alone, an active one keeps its ciphers and never re-keys one per record.
     */
    private static final long CIPHER_IDLE_NANOS = 1_000_000_000L;

    /** How long a closing connection may take to answer our close frame before it is cut. */
    private static final long CLOSE_GRACE_NANOS = 2_000_000_000L;

    /** Metrics reason for frames that break RFC 6455 (unmasked, reserved bits, bad close frame...). */
    static final String WEBSOCKET_PROTOCOL = "WEBSOCKET_PROTOCOL";

    private enum Phase {
        AWAIT_HELLO,
        AWAIT_FINISHED,
        OPEN,
        CLOSED
    }

    private final Services svc;
    private final GatewayConfig.Limits limits;
    private final Metrics metrics;

    /** Non-null: the edge admitted the TCP connection but refuses the session with this code on open. */
    private final RoomError refusal;

    private volatile Phase phase = Phase.AWAIT_HELLO;
    private volatile WsSocket socket;
    private volatile Outbox out;
    private volatile Thread reader;

    /** Set once cleanup ran ({@link #CLEANED}: a field, not an object per connection). */
    private volatile boolean cleaned;

    private static final VarHandle CLEANED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CLEANED = l.findVarHandle(Connection.class, "cleaned", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private HopServer.AwaitingClientFinished awaitingFinished;
    private volatile RecordOpener opener; // volatile: the timer releases its cipher
    private volatile SeatRef seat;

    /** This member's SFU session (spec/sfu.md §3.1); null until its first SFU_REQUEST. */
    private volatile SfuMember sfu;

    /** A short-code slot this connection opened or joined (spec/short-codes.md); null if none. */
    private volatile SlotSeat slotSeat;

    /** The client address the per-address limits count under (short-code slot buckets). */
    private final String clientKey;

    private TokenBucket bucket;
    private final long openedAt = System.nanoTime();
    private volatile long lastInbound = openedAt;
    private volatile long lastPing = openedAt;
    private volatile long closingSince;

    /** A record went either way since the timer last looked (see {@link #CIPHER_IDLE_NANOS}). */
    private volatile boolean recordsMoved;

    // the timer's own: when it last looked, and whether the ciphers were given back since
    private long cipherCheckedAt = openedAt;
    private boolean ciphersReleased;

    /**
     * @param refusal null, or the error the session is closed with right after the upgrade (a
     *     forwarded client over its per-address cap: TOO_MANY_CONNECTIONS)
     */
    /**
     * @param clientKey the key of the client address (the per-address connection cap's), under
     *     which the short-code slot buckets count
     */
    public Connection(Services svc, RoomError refusal, String clientKey) {
        this.clientKey = clientKey;
        this.svc = svc;
        this.limits = svc.limits();
        this.metrics = svc.metrics();
        this.refusal = refusal;
    }

    /**
     * Runs the WebSocket on a blocking {@code transport} (the 101 response already written) on the
     * calling thread until it ends; {@code first}: bytes read past the upgrade request. The caller
     * then closes the TCP connection.
     */
    public void run(Transport transport, int maxMessageBytes, byte[] first) {
        new WsSocket(transport, this, maxMessageBytes).run(first);
    }

    /**
     * Opens the WebSocket on a non-blocking {@code transport} (the 101 response already written)
     * and returns its reading side, which the event loop feeds; call from the loop's thread.
     */
    public Inbound open(Transport transport, int maxMessageBytes) {
        WsSocket s = new WsSocket(transport, this, maxMessageBytes);
        s.open();
        return s;
    }

    // ---------------------------------------------------------------- WebSocket callbacks

    @Override
    public void onOpen(WsSocket socket) {
        this.socket = socket;
        this.reader = Thread.currentThread();
        this.bucket =
                new TokenBucket(
                        limits.messagesPerSecond(), limits.messageBurst(), System.nanoTime());
        this.out =
                new Outbox(
                        socket,
                        limits.sendQueueMaxBytes(),
                        new Outbox.Events() {
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
        if (svc.shuttingDown().getAsBoolean()) {
            terminal(WsCodec.GOING_AWAY, RoomError.SHUTTING_DOWN.name());
            return;
        }
        if (refusal != null) {
            metrics.limitHit(Metrics.LIMIT_CONNECTIONS);
            fail(refusal);
            return;
        }
        metrics.connectionOpened();
    }

    /**
     * Every frame but close costs one message from the budget: data frames, pings (each owes a
     * pong), pongs, and empty continuations alike, so no frame kind is free to flood with.
     */
    @Override
    public boolean onFrame() {
        if (phase == Phase.CLOSED) {
            return false;
        }
        long now = System.nanoTime();
        if (bucket.tryTake(now)) {
            return true;
        }
        metrics.limitHit(Metrics.LIMIT_RATE);
        fail(RoomError.RATE_LIMITED);
        return false;
    }

    @Override
    public void onText(byte[] utf8) {
        lastInbound = System.nanoTime();
        if (phase != Phase.CLOSED) {
            fail(ErrorCode.MALFORMED_MESSAGE); // the protocol is binary only (spec/errors.md,
            // code 1)
        }
    }

    @Override
    public void onBinary(byte[] msg) {
        lastInbound = System.nanoTime();
        if (phase == Phase.CLOSED) {
            return;
        }
        try {
            switch (phase) {
                case AWAIT_HELLO -> onClientHello(msg);
                case AWAIT_FINISHED -> onClientFinished(msg);
                case OPEN -> onRecord(msg);
                case CLOSED -> {}
            }
        } catch (RuntimeException e) {
            // A bug, not client input: every parser below reports failures as ProtocolException.
            LOG.log(System.Logger.Level.ERROR, "unexpected failure handling a message", e);
            terminal(WsCodec.INTERNAL_ERROR, "INTERNAL_ERROR");
        }
    }

    /**
     * A client's ping is answered but does not count as activity for the idle timeout: a client
     * that pings and never reads must not keep its connection forever (our pings to it go
     * unanswered, and IDLE_TIMEOUT ends it).
     */
    @Override
    public void onPing(byte[] payload) {
        if (phase != Phase.CLOSED) {
            out.pong(payload); // through the outbox: at most one pong is ever owed
        }
    }

    @Override
    public void onPong() {
        lastInbound = System.nanoTime();
    }

    @Override
    public void onTooBig() {
        lastInbound = System.nanoTime();
        metrics.limitHit(Metrics.LIMIT_FRAME_SIZE);
        metrics.inputRejected(RoomError.MESSAGE_TOO_LARGE.name());
        terminal(WsCodec.TOO_BIG, RoomError.MESSAGE_TOO_LARGE.name());
    }

    @Override
    public void onProtocolError(int closeCode, String reason) {
        lastInbound = System.nanoTime();
        metrics.inputRejected(WEBSOCKET_PROTOCOL);
        terminal(closeCode, reason);
    }

    @Override
    public void onClosed(int code, String reason) {
        phase = Phase.CLOSED;
        wipeReaderState();
        cleanup();
    }

    // ---------------------------------------------------------------- hop handshake

    private void onClientHello(byte[] msg) {
        try {
            HopServer.Accepted accepted = svc.hopServer().receiveClientHello(msg, svc.rng());
            awaitingFinished = accepted.next();
            phase = Phase.AWAIT_FINISHED;
            out.raw(accepted.serverHello());
        } catch (ProtocolException e) {
            handshakeFailed(e.code());
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
            handshakeFailed(e.code());
        }
    }

    private void handshakeFailed(FailureCode code) {
        metrics.handshakeFailed(code.name());
        fail(code);
    }

    // ---------------------------------------------------------------- room protocol

    private void onRecord(byte[] record) {
        recordsMoved = true;
        byte[] plaintext;
        RoomMessage m;
        try {
            plaintext = opener.open(record);
            m = RoomCodec.decodeFromClient(plaintext);
        } catch (ProtocolException e) {
            fail(e.code());
            return;
        }
        switch (m) {
            case RoomMessage.Join j -> onJoin(j);
            case RoomMessage.Relay r -> onRelay(r);
            case RoomMessage.Leave l -> onLeave();
            case RoomMessage.SlotOpen o -> onSlotOpen(o);
            case RoomMessage.SlotJoin j -> onSlotJoin(j);
            case RoomMessage.SlotDone d -> onSlotDone(d);
            case RoomMessage.SfuRequest q -> onSfuRequest(q);
            default -> fail(ErrorCode.UNEXPECTED_MESSAGE); // unreachable: decodeFromClient checks
                // direction
        }
    }

    private void onJoin(RoomMessage.Join j) {
        if ((seat != null && svc.rooms().seated(seat)) || holdsSlot()) {
            reply(RoomError.ALREADY_JOINED, null);
            return;
        }
        RoomRegistry.JoinResult r =
                svc.rooms().join(new RoomId(j.roomId()), j.publicKey(), this, svc.ice().mint());
        switch (r) {
            case RoomRegistry.JoinResult.Joined joined -> {
                seat = joined.seat();
                if (cleaned) {
                    svc.rooms().leave(joined.seat()); // closed while joining: do not leave a ghost
                }
            }
            case RoomRegistry.JoinResult.Refused refused -> {
                if (refused.code() == RoomError.ROOM_FULL) {
                    metrics.limitHit(Metrics.LIMIT_ROOM_CAPACITY);
                } else if (refused.code() == RoomError.TOO_MANY_ROOMS) {
                    metrics.limitHit(Metrics.LIMIT_ROOMS);
                }
                reply(refused.code(), null);
            }
        }
    }

    private void onRelay(RoomMessage.Relay r) {
        SeatRef s = seat;
        if (s == null && holdsSlot()) {
            onSlotRelay(r);
            return;
        }
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
            case NOT_IN_ROOM -> reply(RoomError.NOT_IN_ROOM, null);
        }
    }

    private void onLeave() {
        SeatRef s = seat;
        SlotSeat slot = slotSeat;
        if (s == null && slot != null && !slot.ended()) {
            slotSeat = null;
            svc.slots().leave(slot, System.nanoTime());
            return;
        }
        if (s == null || !svc.rooms().seated(s)) {
            reply(RoomError.NOT_IN_ROOM, null);
            return;
        }
        seat = null;
        endSfu();
        svc.rooms().leave(s);
    }

    // ---------------------------------------------------------------- SFU signaling

    /** SFU_REQUEST (spec/sfu.md §3.1): refused here, or handed to the member's SFU session. */
    private void onSfuRequest(RoomMessage.SfuRequest q) {
        SeatRef s = seat;
        if (!svc.sfu().enabled()) {
            reply(RoomError.SFU_UNAVAILABLE, q.txn());
            return;
        }
        if (!(s instanceof Seat st) || !svc.rooms().seated(s)) {
            reply(RoomError.NOT_IN_ROOM, q.txn());
            return;
        }
        SfuMember m = sfu;
        if (m == null || m.ended()) {
            m = svc.sfu().open(this, st.room().id().bytes(), st.peerId());
            sfu = m;
            if (cleaned || seat != s) {
                m.close(); // the seat ended meanwhile: no session without a seat
            }
        }
        RoomError refusal = m.request(q, System.nanoTime());
        if (refusal != null) {
            reply(refusal, q.txn());
        }
    }

    /** The seat ended: its SFU session goes with it (Janus drops the member's feed). */
    private void endSfu() {
        SfuMember m = sfu;
        sfu = null;
        if (m != null) {
            m.close();
        }
    }

    // ---------------------------------------------------------------- short-code slots

    private boolean holdsSlot() {
        SlotSeat s = slotSeat;
        return s != null && !s.ended();
    }

    private void onSlotOpen(RoomMessage.SlotOpen o) {
        if (seat != null || holdsSlot()) {
            reply(RoomError.ALREADY_JOINED, null);
            return;
        }
        slotResult(svc.slots().open(clientKey, o.publicKey(), this, System.nanoTime()));
    }

    private void onSlotJoin(RoomMessage.SlotJoin j) {
        if (seat != null || holdsSlot()) {
            reply(RoomError.ALREADY_JOINED, null);
            return;
        }
        slotResult(svc.slots().join(clientKey, j.slot(), j.publicKey(), this, System.nanoTime()));
    }

    private void slotResult(SlotRegistry.Result r) {
        if (r.refusal() != null) {
            reply(r.refusal(), null);
            return;
        }
        slotSeat = r.seat();
        if (cleaned) {
            svc.slots().leave(r.seat(), System.nanoTime()); // closed meanwhile: no ghost slot
        }
    }

    private void onSlotDone(RoomMessage.SlotDone d) {
        SlotSeat s = slotSeat;
        if (s == null || s.ended()) {
            reply(RoomError.NOT_IN_ROOM, null);
            return;
        }
        slotSeat = null;
        svc.slots().done(s, d.burned(), System.nanoTime());
    }

    private void onSlotRelay(RoomMessage.Relay r) {
        if (r.envelope().length > limits.envelopeMaxBytes()) {
            metrics.limitHit(Metrics.LIMIT_ENVELOPE);
            reply(RoomError.ENVELOPE_TOO_LARGE, r.to());
            return;
        }
        switch (svc.slots().relay(slotSeat, r.to(), r.envelope())) {
            case DELIVERED -> metrics.envelopeRelayed(r.envelope().length);
            case NOT_PAIRED -> reply(RoomError.NOT_IN_ROOM, null);
            case UNKNOWN_PEER -> reply(RoomError.UNKNOWN_PEER, r.to());
        }
    }

    /** A non-fatal error: ERROR in a record, the connection stays open. */
    private void reply(FailureCode code, byte[] ref) {
        metrics.inputRejected(code.name());
        out.record(RoomCodec.encode(new RoomMessage.Error(code.code(), ref)));
    }

    /**
     * Queues a room message from another member (RELAYED, PEER_JOINED, PEER_LEFT). Nothing once
     * the gateway shuts down: every member is being closed with 1001, and a PEER_LEFT for a member
     * whose close happened to be answered first would make the others rekey and drop its media for
     * nothing (the calls go on peer to peer and everyone rejoins the restarted gateway).
     */
    @Override
    public boolean deliver(byte[] roomMessage) {
        recordsMoved = true;
        Outbox o = out;
        return phase == Phase.OPEN
                && o != null
                && !svc.shuttingDown().getAsBoolean()
                && o.record(roomMessage);
    }

    // ---------------------------------------------------------------- closing

    /** A fatal protocol failure: close 4000+code with the code's name as reason. */
    private void fail(FailureCode code) {
        metrics.inputRejected(code.name());
        terminal(code.closeCode(), code.name());
    }

    private void terminal(int closeCode, String reason) {
        phase = Phase.CLOSED;
        if (Thread.currentThread() == reader) {
            wipeReaderState();
        }
        WsSocket s = socket;
        if (s != null) {
            s.refuse();
        }
        out.close(closeCode, reason, true);
        cleanupAsync();
    }

    private void onOverflow() {
        metrics.limitHit(Metrics.LIMIT_SEND_QUEUE);
        metrics.inputRejected(RoomError.SLOW_CONSUMER.name());
        phase = Phase.CLOSED;
        out.close(RoomError.SLOW_CONSUMER.closeCode(), RoomError.SLOW_CONSUMER.name(), true);
        cleanupAsync(); // overflow happens inside a room's lock: leave the room from another thread
    }

    /** Graceful shutdown of the gateway: tell established peers, then close 1001. */
    public void goingAway() {
        Outbox o = out;
        if (o == null) {
            return;
        }
        if (phase == Phase.OPEN) {
            o.record(RoomCodec.encode(new RoomMessage.Error(RoomError.SHUTTING_DOWN.code(), null)));
        }
        phase = Phase.CLOSED;
        o.close(WsCodec.GOING_AWAY, RoomError.SHUTTING_DOWN.name());
    }

    /** Timer: handshake and idle timeouts, pings, cutting closed connections that linger. */
    public void tick(long now) {
        Outbox o = out;
        if (o == null) {
            return;
        }
        Phase p = phase;
        if (p == Phase.CLOSED || o.closeQueued()) {
            if (closingSince == 0) {
                closingSince = now;
            } else if (now - closingSince > CLOSE_GRACE_NANOS) {
                cut();
            }
            return;
        }
        SlotSeat slot = slotSeat;
        if (slot != null && !slot.ended()) {
            svc.slots().tick(slot, now);
        }
        if (p != Phase.OPEN && now - openedAt > limits.handshakeTimeout().toNanos()) {
            metrics.limitHit(Metrics.LIMIT_HANDSHAKE_TIMEOUT);
            metrics.handshakeFailed(ErrorCode.HANDSHAKE_TIMEOUT.name());
            fail(ErrorCode.HANDSHAKE_TIMEOUT);
        } else if (p == Phase.OPEN && now - lastInbound > limits.idleTimeout().toNanos()) {
            metrics.limitHit(Metrics.LIMIT_IDLE_TIMEOUT);
            fail(RoomError.IDLE_TIMEOUT);
        } else if (p == Phase.OPEN
                && now - lastPing >= limits.pingInterval().toNanos()
                && now - lastInbound >= limits.pingInterval().toNanos()) {
            lastPing = now;
            o.ping();
        }
        if (p == Phase.OPEN && now - cipherCheckedAt >= CIPHER_IDLE_NANOS) {
            cipherCheckedAt = now;
            if (recordsMoved) {
                recordsMoved = false;
                ciphersReleased = false;
            } else if (!ciphersReleased) {
                ciphersReleased = true;
                releaseCiphers();
            }
        }
    }

    /** No records for a while: the two directions give their ciphers back to the pool. */
    private void releaseCiphers() {
        RecordOpener op = opener;
        if (op != null) {
            op.releaseCipher();
        }
        out.releaseCipher();
    }

    /**
     * Drops the TCP connection of a peer that did not answer our close frame within the grace
     * (spec/errors.md): only then does it stop counting against the connection limits.
     */
    private void cut() {
        metrics.limitHit(Metrics.LIMIT_CLOSE_GRACE);
        cleanup();
        WsSocket s = socket;
        if (s != null) {
            s.cut();
        }
    }

    private void cleanupAsync() {
        if (!cleaned) {
            Thread.ofVirtual().name("hybridge-cleanup").start(this::cleanup);
        }
    }

    /** Releases everything the connection holds in the gateway; idempotent, any thread. */
    private void cleanup() {
        if (!CLEANED.compareAndSet(this, false, true)) {
            return;
        }
        SeatRef s = seat;
        seat = null;
        endSfu();
        if (s != null) {
            svc.rooms().leave(s);
        }
        SlotSeat slot = slotSeat;
        slotSeat = null;
        if (slot != null && !slot.ended()) {
            svc.slots().leave(slot, System.nanoTime());
        }
    }

    /** Reader-thread state: abandon a half-done handshake, wipe the receive keys. */
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
}

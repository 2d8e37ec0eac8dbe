package dev.hybridge.gateway.sfu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hybridge.gateway.relay.TokenBucket;
import dev.hybridge.gateway.room.Member;
import dev.hybridge.protocol.RoomCodec;
import dev.hybridge.protocol.RoomError;
import dev.hybridge.protocol.RoomMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One seated member's SFU session (spec/sfu.md §3.1): its Janus session with a publisher and a
 * subscriber handle, its unanswered requests (at most {@code max-pending}, each with a deadline)
 * and its request bucket. Made at the member's first SFU_REQUEST, ended by {@link #close} with
 * the seat, or by the loss of the Janus session.
 *
 * <p>Threads: {@link #request} on the connection's reader thread (alone with the bucket);
 * Janus' answers on the HTTP client's threads; {@link #tick} on the bridge's timer; state under
 * this object's monitor.
 */
public final class SfuMember {
    private static final byte[] NO_TXN = new byte[RoomCodec.TXN_LEN];

    private record Waiting(int handle, byte[] txn, ObjectNode message, boolean ackEnds) {}

    private final SfuBridge bridge;
    private final Member out;
    private final long janusRoom;
    private final long feedId;
    private final TokenBucket bucket;

    /** Unanswered requests by txn, with their deadlines (nanoTime). */
    private final Map<Long, Long> deadlines = new HashMap<>();

    /** Requests that arrived before the session was ready, in order. */
    private final List<Waiting> queued = new ArrayList<>();

    private JanusClient client;
    private boolean ready;
    private boolean ended;
    private long lastKeepalive;

    SfuMember(SfuBridge bridge, Member out, long janusRoom, long feedId, long now) {
        this.bridge = bridge;
        this.out = out;
        this.janusRoom = janusRoom;
        this.feedId = feedId;
        this.bucket =
                new TokenBucket(
                        bridge.config().requestsPerSecond(), bridge.config().requestBurst(), now);
        this.lastKeepalive = now;
    }

    /** Starts the Janus session and the room (called once, by the bridge). */
    void start() {
        bridge.acquireRoom(janusRoom)
                .thenCompose(
                        v ->
                                JanusClient.open(
                                        bridge.http(),
                                        bridge.config().janusUrl(),
                                        2,
                                        new JanusClient.Events() {
                                            @Override
                                            public void event(int index, JsonNode message) {
                                                onEvent(index + 1, NO_TXN, message);
                                            }

                                            @Override
                                            public void lost() {
                                                SfuMember.this.lost();
                                            }
                                        },
                                        bridge.config().requestTimeout()))
                .whenComplete(
                        (c, err) -> {
                            if (err != null) {
                                lost();
                            } else {
                                opened(c);
                            }
                        });
    }

    public long feedId() {
        return feedId;
    }

    /** Whether this session is over (lost or closed): the next request needs a new one. */
    public synchronized boolean ended() {
        return ended;
    }

    /**
     * One SFU_REQUEST of this member: null when it was taken (its answer comes as SFU_EVENT or as
     * ERROR(SFU_TIMEOUT / SFU_UNAVAILABLE) later), else the refusal to send now.
     */
    public RoomError request(RoomMessage.SfuRequest q, long now) {
        if (!bucket.tryTake(now)) {
            return RoomError.SFU_BUSY;
        }
        synchronized (this) {
            if (ended) {
                return RoomError.SFU_UNAVAILABLE;
            }
            if (deadlines.size() >= bridge.config().maxPending()) {
                return RoomError.SFU_BUSY;
            }
            if (deadlines.containsKey(key(q.txn()))) {
                return RoomError.SFU_MALFORMED; // a txn that is still pending
            }
        }
        SfuFilter.Result r = SfuFilter.check(q.handle(), q.json(), janusRoom, feedId);
        if (r instanceof SfuFilter.Refuse refuse) {
            return refuse.code();
        }
        SfuFilter.Forward f = (SfuFilter.Forward) r;
        Waiting w = new Waiting(q.handle(), q.txn().clone(), f.message(), f.ackEnds());
        JanusClient c;
        synchronized (this) {
            if (ended) {
                return RoomError.SFU_UNAVAILABLE;
            }
            deadlines.put(key(w.txn()), now + bridge.config().requestTimeout().toNanos());
            if (!ready) {
                queued.add(w);
                return null;
            }
            c = client;
        }
        forward(c, w);
        return null;
    }

    private void opened(JanusClient c) {
        List<Waiting> flush;
        synchronized (this) {
            if (ended) {
                c.close();
                return;
            }
            client = c;
            ready = true;
            flush = new ArrayList<>(queued);
            queued.clear();
        }
        for (Waiting w : flush) {
            forward(c, w);
        }
    }

    private void forward(JanusClient c, Waiting w) {
        c.send(w.handle() - 1, w.message(), w.ackEnds())
                .whenComplete(
                        (answer, err) -> {
                            if (err != null) {
                                return; // the session is lost: lost() answers every pending txn
                            }
                            synchronized (this) {
                                if (deadlines.remove(key(w.txn())) == null) {
                                    return; // timed out already, or the seat ended
                                }
                            }
                            if (!"ack".equals(answer.path("janus").asText())) {
                                onEvent(w.handle(), w.txn(), answer);
                            }
                        });
    }

    /** Passes a Janus message to the member as SFU_EVENT (spec/sfu.md §2.2). */
    private void onEvent(int handle, byte[] txn, JsonNode message) {
        if (ended()) {
            return;
        }
        ObjectNode m = message.deepCopy();
        m.remove("session_id");
        m.remove("sender");
        m.remove("transaction");
        byte[] json = m.toString().getBytes(StandardCharsets.UTF_8);
        if (json.length > RoomCodec.MAX_MESSAGE - RoomCodec.SFU_HEADER_LEN) {
            // cannot fit one room message: say so instead of dropping it silently
            error(RoomError.SFU_UNAVAILABLE, txn == NO_TXN ? null : txn);
            return;
        }
        out.deliver(RoomCodec.encode(new RoomMessage.SfuEvent(handle, txn, json)));
    }

    /** Timer: request deadlines and the session's keepalive. */
    void tick(long now) {
        List<Long> expired = new ArrayList<>();
        JanusClient c;
        synchronized (this) {
            if (ended) {
                return;
            }
            deadlines
                    .entrySet()
                    .removeIf(
                            e -> {
                                if (now - e.getValue() > 0) {
                                    expired.add(e.getKey());
                                    return true;
                                }
                                return false;
                            });
            queued.removeIf(w -> expired.contains(key(w.txn())));
            c = ready ? client : null;
            if (c != null && now - lastKeepalive >= bridge.config().keepaliveInterval().toNanos()) {
                lastKeepalive = now;
            } else {
                c = null;
            }
        }
        for (long txn : expired) {
            error(RoomError.SFU_TIMEOUT, bytes(txn));
        }
        if (c != null) {
            c.keepalive();
        }
    }

    /** The Janus session is gone: every pending request and the member hear of it. */
    private void lost() {
        List<Long> pendingTxns;
        boolean wasReady;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            wasReady = ready;
            pendingTxns = new ArrayList<>(deadlines.keySet());
            deadlines.clear();
            queued.clear();
        }
        for (long txn : pendingTxns) {
            error(RoomError.SFU_UNAVAILABLE, bytes(txn));
        }
        if (wasReady) {
            error(RoomError.SFU_UNAVAILABLE, null);
        }
        bridge.ended(this, janusRoom);
    }

    /** The seat ended: close the Janus session (Janus drops the feed with it). Idempotent. */
    public void close() {
        JanusClient c;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            deadlines.clear();
            queued.clear();
            c = client;
        }
        if (c != null) {
            c.close();
        }
        bridge.ended(this, janusRoom);
    }

    private void error(RoomError code, byte[] ref) {
        out.deliver(RoomCodec.encode(new RoomMessage.Error(code.code(), ref)));
    }

    private static long key(byte[] txn) {
        long v = 0;
        for (byte b : txn) {
            v = (v << 8) | (b & 0xFF);
        }
        return v;
    }

    private static byte[] bytes(long txn) {
        byte[] b = new byte[RoomCodec.TXN_LEN];
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) txn;
            txn >>>= 8;
        }
        return b;
    }
}

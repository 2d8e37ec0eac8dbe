package dev.hybridge.gateway.ws;

import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.record.RecordSealer;
import io.helidon.common.buffers.BufferData;
import io.helidon.websocket.WsSession;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything one connection sends goes through its outbox, in order: Helidon 4.2's WsSession is
 * not safe for concurrent senders, records must leave in seq order, and a slow reader must never
 * block the peer that relays to it. A virtual thread drains the queue while it is non-empty;
 * queued bytes are capped, and a connection over the cap is closed (SLOW_CONSUMER).
 */
final class Outbox {
    private sealed interface Item {
        default int size() {
            return 0;
        }
    }

    private record Raw(byte[] bytes) implements Item {
        @Override
        public int size() {
            return bytes.length;
        }
    }

    private record Plain(byte[] plaintext) implements Item {
        @Override
        public int size() {
            return plaintext.length;
        }
    }

    private record Ping() implements Item {}

    private record Pong(byte[] payload) implements Item {}

    private record Close(int code, String reason) implements Item {}

    interface Events {
        /** The queue went over its cap: the connection must be closed. Called at most once. */
        void overflow();

        /** Writing failed (socket gone) or a close was written: the connection is finished. */
        void finished();
    }

    private final WsSession session;
    private final long capBytes;
    private final Events events;
    private final ConcurrentLinkedQueue<Item> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean overflowed = new AtomicBoolean();
    private volatile boolean closeQueued;
    private volatile boolean closed;
    private volatile RecordSealer sealer;

    Outbox(WsSession session, long capBytes, Events events) {
        this.session = session;
        this.capBytes = capBytes;
        this.events = events;
    }

    /** Set once the handshake completes, before the first {@link #record}. */
    void sealer(RecordSealer sealer) {
        this.sealer = sealer;
    }

    /** Queues a handshake message (sent as is). */
    void raw(byte[] bytes) {
        offer(new Raw(bytes));
    }

    /** Queues a room message, sealed into the next record when it is sent. */
    boolean record(byte[] plaintext) {
        return offer(new Plain(plaintext));
    }

    void ping() {
        offer(new Ping());
    }

    void pong(byte[] payload) {
        offer(new Pong(payload));
    }

    /** Queues the close frame after what is already queued; later items are dropped. */
    void close(int code, String reason) {
        close(code, reason, false);
    }

    /**
     * As {@link #close(int, String)}; with {@code discardRecords} the records still queued are
     * dropped first: after a failure nothing but the close frame is sent (spec/errors.md), and a
     * receive failure ends both directions of the channel (spec/record-layer.md §4).
     */
    void close(int code, String reason, boolean discardRecords) {
        if (closeQueued) {
            return;
        }
        closeQueued = true;
        if (discardRecords) {
            for (var it = queue.iterator(); it.hasNext(); ) {
                Item item = it.next();
                if (item instanceof Plain && queue.remove(item)) {
                    queuedBytes.addAndGet(-item.size());
                }
            }
        }
        queue.add(new Close(code, reason));
        kick();
    }

    boolean closeQueued() {
        return closeQueued;
    }

    private boolean offer(Item item) {
        if (closeQueued) {
            return false;
        }
        if (queuedBytes.addAndGet(item.size()) > capBytes) {
            queuedBytes.addAndGet(-item.size());
            if (overflowed.compareAndSet(false, true)) {
                events.overflow();
            }
            return false;
        }
        queue.add(item);
        kick();
        return true;
    }

    private void kick() {
        if (draining.compareAndSet(false, true)) {
            Thread.ofVirtual().name("hybridge-outbox").start(this::drain);
        }
    }

    private void drain() {
        while (true) {
            Item item;
            while ((item = queue.poll()) != null) {
                queuedBytes.addAndGet(-item.size());
                if (!closed) {
                    write(item);
                }
            }
            draining.set(false);
            if (queue.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }

    private void write(Item item) {
        try {
            switch (item) {
                case Raw r -> session.send(BufferData.create(r.bytes()), true);
                case Plain p -> session.send(BufferData.create(sealer.seal(p.plaintext())), true);
                case Ping p -> session.ping(BufferData.empty());
                case Pong p -> session.pong(BufferData.create(p.payload()));
                case Close c -> {
                    closed = true;
                    try {
                        session.close(c.code(), c.reason());
                    } finally {
                        RecordSealer s = sealer;
                        if (s != null) {
                            s.destroy();
                        }
                        queue.clear();
                        events.finished();
                    }
                }
            }
        } catch (ProtocolException | RuntimeException e) {
            // The socket is gone (or the record limit was reached): nothing more can be sent.
            closed = true;
            queue.clear();
            events.finished();
        }
    }
}

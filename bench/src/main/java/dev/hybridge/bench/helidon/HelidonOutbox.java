package dev.hybridge.bench.helidon;

import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.record.RecordSealer;
import io.helidon.common.buffers.BufferData;
import io.helidon.websocket.WsSession;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bench only: the gateway's outbox before commit f225fbc, for {@link HelidonConnection}. Helidon's
 * {@link WsSession} is not safe for concurrent senders, records must leave in seq order, and a slow
 * reader must never block the peer that relays to it: a virtual thread drains the queue while it
 * is non-empty, one {@code session.send} (one frame, one write) per item. Queued bytes are capped.
 */
final class HelidonOutbox {
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
        void overflow();

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

    HelidonOutbox(WsSession session, long capBytes, Events events) {
        this.session = session;
        this.capBytes = capBytes;
        this.events = events;
    }

    void sealer(RecordSealer sealer) {
        this.sealer = sealer;
    }

    void raw(byte[] bytes) {
        offer(new Raw(bytes));
    }

    boolean record(byte[] plaintext) {
        return offer(new Plain(plaintext));
    }

    void ping() {
        offer(new Ping());
    }

    void pong(byte[] payload) {
        offer(new Pong(payload));
    }

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
            closed = true; // the socket is gone (or the record limit was reached)
            queue.clear();
            events.finished();
        }
    }
}

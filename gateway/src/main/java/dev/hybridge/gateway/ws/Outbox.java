package dev.hybridge.gateway.ws;

import dev.hybridge.crypto.ProtocolException;
import dev.hybridge.crypto.record.RecordSealer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Everything one connection sends goes through its outbox, in order: records must leave in seq
 * order, and a slow reader must never block the peer that relays to it. One drain at a time takes
 * what is queued and writes it as frames in one write (up to {@link #BATCH_BYTES}): on the relaying
 * thread itself for a non-blocking transport, on a virtual thread of its own for a blocking one
 * ({@link #kick}). Queued bytes, and what a non-blocking transport still holds, are capped; a
 * connection over the cap is closed (SLOW_CONSUMER).
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

    /** Stands in the queue for the one owed pong ({@link #owedPong}), which is taken when it is written. */
    private record Pong() implements Item {}

    private record Close(int code, String reason) implements Item {}

    interface Events {
        /** The queue went over its cap: the connection must be closed. Called at most once. */
        void overflow();

        /** Writing failed (socket gone) or a close was written: the connection is finished. */
        void finished();
    }

    /** Most bytes of frames written in one system call. */
    static final int BATCH_BYTES = 64 * 1024;

    private static final byte[] EMPTY = new byte[0];

    private final WsSocket socket;
    private final long capBytes;
    private final Events events;
    private final ConcurrentLinkedQueue<Item> queue = new ConcurrentLinkedQueue<>();
    // Atomic fields through VarHandles, not Atomic* objects: an idle session keeps its outbox.
    private volatile long queuedBytes;
    private volatile boolean draining;
    private volatile boolean overflowed;

    /**
     * The payload of the pong owed to the client, or null. RFC 6455 §5.5.3 lets an endpoint that
     * got several pings before it could answer answer only the most recent: a client that pings
     * but never reads holds one pong here, never a queue of them.
     */
    @SuppressWarnings("unused")
    private volatile byte[] owedPong;

    private static final VarHandle QUEUED_BYTES;
    private static final VarHandle DRAINING;
    private static final VarHandle OVERFLOWED;
    private static final VarHandle OWED_PONG;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            QUEUED_BYTES = l.findVarHandle(Outbox.class, "queuedBytes", long.class);
            DRAINING = l.findVarHandle(Outbox.class, "draining", boolean.class);
            OVERFLOWED = l.findVarHandle(Outbox.class, "overflowed", boolean.class);
            OWED_PONG = l.findVarHandle(Outbox.class, "owedPong", byte[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile boolean closeQueued;
    private volatile boolean closed;
    private volatile RecordSealer sealer;

    Outbox(WsSocket socket, long capBytes, Events events) {
        this.socket = socket;
        this.capBytes = capBytes;
        this.events = events;
    }

    /** Set once the handshake completes, before the first {@link #record}. */
    void sealer(RecordSealer sealer) {
        this.sealer = sealer;
    }

    /** The sealer gives its cipher back to the shared pool (the session is idle). */
    void releaseCipher() {
        RecordSealer s = sealer;
        if (s != null) {
            s.releaseCipher();
        }
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

    /** Owes the client a pong with {@code payload}; replaces a pong still owed (§5.5.3). */
    void pong(byte[] payload) {
        if (closeQueued) {
            return;
        }
        if (OWED_PONG.getAndSet(this, payload) == null) {
            queue.add(new Pong());
        }
        kick();
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
                    QUEUED_BYTES.getAndAdd(this, (long) -item.size());
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
        long size = item.size();
        if ((long) QUEUED_BYTES.getAndAdd(this, size) + size + socket.transport().unsent()
                > capBytes) {
            QUEUED_BYTES.getAndAdd(this, -size);
            if (OVERFLOWED.compareAndSet(this, false, true)) {
                events.overflow();
            }
            return false;
        }
        queue.add(item);
        kick();
        return true;
    }

    /**
     * Starts a drain unless one runs. On a blocking transport the drain runs on a virtual thread
     * of its own, so that a client that stops reading never blocks the thread that relays to it.
     * On a non-blocking one it runs right here, on the relaying thread: its writes never block
     * (what the socket does not take is kept by the transport and counted against the cap), and
     * a message then costs no thread hand-off at all.
     */
    private void kick() {
        if (DRAINING.compareAndSet(this, false, true)) {
            if (socket.transport().blocking()) {
                Thread.ofVirtual().name("hybridge-outbox").start(this::drain);
            } else {
                drain();
            }
        }
    }

    private void drain() {
        while (true) {
            writeQueued();
            draining = false;
            if (queue.isEmpty() || !DRAINING.compareAndSet(this, false, true)) {
                return;
            }
        }
    }

    /** Takes everything queued, encodes it as frames and writes them in batches. */
    private void writeQueued() {
        byte[] batch = null;
        int length = 0;
        Item item;
        while ((item = queue.poll()) != null) {
            QUEUED_BYTES.getAndAdd(this, (long) -item.size());
            if (closed) {
                continue;
            }
            int opcode;
            byte[] payload;
            try {
                switch (item) {
                    case Raw r -> {
                        opcode = WsCodec.OP_BINARY;
                        payload = r.bytes();
                    }
                    case Plain p -> {
                        opcode = WsCodec.OP_BINARY;
                        payload = sealer.seal(p.plaintext());
                    }
                    case Ping p -> {
                        opcode = WsCodec.OP_PING;
                        payload = EMPTY;
                    }
                    case Pong p -> {
                        opcode = WsCodec.OP_PONG;
                        payload = (byte[]) OWED_PONG.getAndSet(this, (byte[]) null);
                        if (payload == null) {
                            continue;
                        }
                    }
                    case Close c -> {
                        opcode = WsCodec.OP_CLOSE;
                        payload = WsCodec.closePayload(c.code(), c.reason());
                    }
                }
            } catch (ProtocolException e) {
                finish(); // the record limit was reached: nothing more can be sent
                return;
            }
            int need = WsCodec.frameSize(payload.length);
            if (batch != null && length + need > batch.length) {
                if (length + need <= BATCH_BYTES) {
                    batch =
                            Arrays.copyOf(
                                    batch,
                                    Math.min(
                                            BATCH_BYTES,
                                            Math.max(2 * batch.length, length + need)));
                } else {
                    if (!flush(batch, length, false)) {
                        return;
                    }
                    batch = null;
                    length = 0;
                }
            }
            if (batch == null) {
                long hint = need + queuedBytes + 256;
                batch = new byte[(int) Math.max(need, Math.min(BATCH_BYTES, hint))];
            }
            length = WsCodec.encode(batch, length, opcode, payload, 0, payload.length);
            if (item instanceof Close) {
                closed = true;
                flush(batch, length, true);
                RecordSealer s = sealer;
                if (s != null) {
                    s.destroy();
                }
                queue.clear();
                events.finished();
                return;
            }
        }
        if (length > 0) {
            flush(batch, length, false);
        }
    }

    /** Writes one batch; false (and the outbox finished) when the socket is gone or closed. */
    private boolean flush(byte[] batch, int length, boolean endsWithClose) {
        try {
            if (socket.write(batch, length, endsWithClose)) {
                return true;
            }
        } catch (RuntimeException e) {
            // the socket is gone
        }
        if (!endsWithClose) {
            finish();
        }
        return false;
    }

    private void finish() {
        closed = true;
        queue.clear();
        events.finished();
    }
}

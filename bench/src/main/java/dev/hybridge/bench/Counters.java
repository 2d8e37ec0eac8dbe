package dev.hybridge.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * What the receiving side of a relay workload counts: envelopes delivered, their latency (the send
 * time rides in the envelope) and, per sender, how many it may still have in flight.
 * Envelope layout: seq (8 bytes), send time in {@link System#nanoTime()} (8), sender id (4), padding.
 */
final class Counters {
    static final int ENVELOPE = 1024;

    final AtomicLong received = new AtomicLong();
    volatile Histogram histogram;

    /** Per sender: envelopes it may still have in flight (sent, not yet received). */
    final Semaphore[] window;

    final int windowSize;

    Counters(int senders, int windowSize) {
        this.windowSize = windowSize;
        window = new Semaphore[senders];
        for (int i = 0; i < senders; i++) {
            window[i] = new Semaphore(windowSize);
        }
    }

    /** Refills every sender's window: envelopes of an earlier phase may be lost. */
    void resetWindows() {
        for (Semaphore w : window) {
            w.drainPermits();
            w.release(windowSize);
        }
    }

    void got(byte[] envelope) {
        received.incrementAndGet();
        window[ByteBuffer.wrap(envelope).getInt(16)].release();
        Histogram h = histogram;
        if (h != null) {
            long sent = ByteBuffer.wrap(envelope).getLong(8);
            long us = Math.max(1, (System.nanoTime() - sent) / 1000);
            synchronized (h) {
                h.recordValue(Math.min(us, 60_000_000L));
            }
        }
    }

    /** Waits until nothing more arrives for 500 ms (bounded: 60 s), so queued envelopes do not spill into the next phase. */
    void drain() throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        long last = -1;
        while (System.nanoTime() < deadline) {
            long now = received.get();
            if (now == last) {
                return;
            }
            last = now;
            Thread.sleep(500);
        }
    }
}

package dev.hybridge.gateway.edge;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A warning that an attack or an outage repeats thousands of times a second is logged once per
 * interval, with how many times it happened meanwhile: the log stays readable and small (one
 * line, no stack trace), and the metrics keep the exact counts.
 */
final class RateLimitedLog {
    private final System.Logger log;
    private final long intervalNanos;
    private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    RateLimitedLog(System.Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
    }

    void warn(String what, Throwable cause) {
        long now = System.nanoTime();
        long n = next.get();
        if ((n != Long.MIN_VALUE && now - n < 0) || !next.compareAndSet(n, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return;
        }
        long before = suppressed.getAndSet(0);
        String also = before > 0 ? " (" + before + " more times since the last such line)" : "";
        String why = cause == null ? "" : ": " + cause;
        log.log(System.Logger.Level.WARNING, what + why + also);
    }
}

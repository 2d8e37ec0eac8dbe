package dev.hybridge.bench;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The web client's reconnection delays, mirrored from web-client/src/signal/backoff.js
 * (spec/peer-messages.md §5): exponential from 0.5 s, doubling, capped at 8 s, with "equal
 * jitter" (each delay uniformly in [d/2, d]).
 */
final class Backoff {
    static final long MIN_MS = 500;
    static final long MAX_MS = 8000;
    private int attempt;

    /** The delay before the next attempt, ms; each call counts one attempt. */
    long next() {
        double d = Math.min(MAX_MS, MIN_MS * Math.pow(2, Math.min(attempt, 30)));
        attempt++;
        return Math.round(d / 2 + ThreadLocalRandom.current().nextDouble() * d / 2);
    }

    /** After a successful reconnection. */
    void reset() {
        attempt = 0;
    }
}

package dev.hybridge.gateway.relay;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Open connections per remote address and in total, each with a cap. Thread-safe. */
public final class AddressLimiter {
    private final int perAddress;
    private final int total;
    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();

    public AddressLimiter(int perAddress, int total) {
        this.perAddress = perAddress;
        this.total = total;
    }

    /** Counts a new connection from {@code address}; false (and nothing counted) if a cap is reached. */
    public boolean tryAcquire(String address) {
        if (open.incrementAndGet() > total) {
            open.decrementAndGet();
            return false;
        }
        boolean[] ok = {false};
        counts.compute(
                address,
                (k, n) -> {
                    int cur = n == null ? 0 : n;
                    if (cur >= perAddress) {
                        return n;
                    }
                    ok[0] = true;
                    return cur + 1;
                });
        if (!ok[0]) {
            open.decrementAndGet();
        }
        return ok[0];
    }

    /** Counts a connection in the total only (a trusted proxy's: its clients are counted once known). */
    public boolean tryAcquireTotal() {
        if (open.incrementAndGet() > total) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Releases one connection counted by {@link #tryAcquireTotal}. */
    public void releaseTotal() {
        open.decrementAndGet();
    }

    /** The cap on all connections. */
    public int total() {
        return total;
    }

    /** Releases one connection counted by {@link #tryAcquire}. */
    public void release(String address) {
        counts.computeIfPresent(address, (k, n) -> n <= 1 ? null : n - 1);
        open.decrementAndGet();
    }

    public int open() {
        return open.get();
    }
}

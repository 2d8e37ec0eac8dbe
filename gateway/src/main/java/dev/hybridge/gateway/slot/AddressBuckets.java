package dev.hybridge.gateway.slot;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One token bucket per client address (spec/short-codes.md §5.1): {@code burst} tokens, refilled
 * at {@code perMinute} a minute. At most {@link #MAX_ADDRESSES} addresses are kept; beyond that
 * the least recently used one is forgotten (it starts again with a full bucket). Not thread-safe:
 * the {@link SlotRegistry} calls it under its lock.
 */
final class AddressBuckets {
    static final int MAX_ADDRESSES = 100_000;

    private final double perNano;
    private final double burst;
    private final LinkedHashMap<String, double[]> buckets =
            new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, double[]> eldest) {
                    return size() > MAX_ADDRESSES;
                }
            };

    AddressBuckets(int perMinute, int burst) {
        this.perNano = perMinute / 60e9;
        this.burst = burst;
    }

    /** Takes a token for {@code address}; false when its bucket is empty. */
    boolean tryTake(String address, long nowNanos) {
        double[] b = buckets.get(address);
        if (b == null) {
            b = new double[] {burst, nowNanos};
            buckets.put(address, b);
        }
        double elapsed = Math.max(0, nowNanos - (long) b[1]);
        b[1] = nowNanos;
        b[0] = Math.min(burst, b[0] + elapsed * perNano);
        if (b[0] >= 1) {
            b[0] -= 1;
            return true;
        }
        return false;
    }

    int size() {
        return buckets.size();
    }
}

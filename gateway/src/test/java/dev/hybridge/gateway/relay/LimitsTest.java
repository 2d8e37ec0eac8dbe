package dev.hybridge.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LimitsTest {
    @Test
    void tokenBucketAllowsBurstThenRate() {
        long t = 0;
        TokenBucket b = new TokenBucket(10, 5, t);
        for (int i = 0; i < 5; i++) {
            assertTrue(b.tryTake(t));
        }
        assertFalse(b.tryTake(t));
        t += 100_000_000L; // 0.1 s = one token at 10/s
        assertTrue(b.tryTake(t));
        assertFalse(b.tryTake(t));
        t += 10_000_000_000L; // long idle refills only up to the burst
        int n = 0;
        while (b.tryTake(t)) {
            n++;
        }
        assertEquals(5, n);
    }

    @Test
    void addressLimiterCapsPerAddressAndTotal() {
        AddressLimiter l = new AddressLimiter(2, 3);
        assertTrue(l.tryAcquire("a"));
        assertTrue(l.tryAcquire("a"));
        assertFalse(l.tryAcquire("a"));
        assertTrue(l.tryAcquire("b"));
        assertFalse(l.tryAcquire("c"), "total cap");
        l.release("a");
        assertTrue(l.tryAcquire("c"));
        assertEquals(3, l.open());
    }
}

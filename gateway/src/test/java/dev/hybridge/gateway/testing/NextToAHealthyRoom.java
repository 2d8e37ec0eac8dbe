package dev.hybridge.gateway.testing;

import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of test classes whose every case must disturb nothing else: before each case a healthy
 * room starts relaying on the same gateway, and after it the room must have received every
 * envelope exactly once and in order.
 */
public abstract class NextToAHealthyRoom {
    protected HealthyRoom healthy;

    /** The gateway of the test class, started in its {@code @BeforeAll}. */
    protected abstract TestGateway gateway();

    @BeforeEach
    void startHealthyRoom() throws Exception {
        TestGateway gw = gateway();
        // connections and rooms of the previous case are released asynchronously
        waitFor(
                () ->
                        gw.gateway().connectionLimiter().open() == 0
                                && gw.gateway().rooms().rooms() == 0);
        healthy = HealthyRoom.start(gw.ws(), gw.publicKey(), 20);
    }

    @AfterEach
    void healthyRoomLostNothing() throws Exception {
        try {
            Thread.sleep(100); // let the pump run a little after the case, too
            healthy.stopAndVerify();
        } finally {
            healthy.close();
        }
    }

    /** Polls {@code condition} for up to 10 s. */
    public static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(20);
        }
    }
}

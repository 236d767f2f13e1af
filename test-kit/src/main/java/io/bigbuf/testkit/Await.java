package io.bigbuf.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling until something asynchronous (SCR, the Cleaner, a rebind) has happened, with one timeout. */
public final class Await {

    /** How long anything in these tests may take to happen. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static final long POLL_MILLIS = 20;

    private Await() {
    }

    /**
     * @return the first non-null value of {@code probe}
     * @throws AssertionError none within {@link #TIMEOUT}, naming {@code what}
     */
    public static <T> T until(Supplier<T> probe, String what) {
        return until(TIMEOUT, probe, what);
    }

    /** {@link #until(Supplier, String)} with another timeout, e.g. for a slow emulated guest. */
    public static <T> T until(Duration timeout, Supplier<T> probe, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** @throws AssertionError the condition did not become true within {@link #TIMEOUT} */
    public static void isTrue(BooleanSupplier condition, String what) {
        isTrue(TIMEOUT, condition, what);
    }

    /** {@link #isTrue(BooleanSupplier, String)} with another timeout. */
    public static void isTrue(Duration timeout, BooleanSupplier condition, String what) {
        until(timeout, () -> condition.getAsBoolean() ? Boolean.TRUE : null, what);
    }

    /**
     * Collects garbage until the condition holds: for what only a {@link java.lang.ref.Cleaner}
     * or a weak reference can make true.
     */
    public static void collectedUntil(BooleanSupplier condition, String what) {
        isTrue(() -> {
            System.gc();
            return condition.getAsBoolean();
        }, what);
    }
}

package io.bigbuf.spi;

import io.bigbuf.testkit.AllocatorReliabilityContract;
import org.junit.jupiter.api.Nested;

/** The reliability checks on the test-only {@link BitmapAllocator}, with either retention. */
class BitmapAllocatorReliabilityTest {

    private static final int PAGES = 8192; // 32 MiB

    @Nested
    class UntilClosed extends AllocatorReliabilityContract {
        @Override
        protected AllocatorSupport<?> newAllocator() {
            return new BitmapAllocator(PAGES, Retention.UNTIL_CLOSED);
        }
    }

    @Nested
    class WhileReachable extends AllocatorReliabilityContract {
        @Override
        protected AllocatorSupport<?> newAllocator() {
            return new BitmapAllocator(PAGES, Retention.WHILE_REACHABLE);
        }
    }
}

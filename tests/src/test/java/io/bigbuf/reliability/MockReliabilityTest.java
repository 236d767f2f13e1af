package io.bigbuf.reliability;

import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import io.bigbuf.spi.AllocatorSupport;
import io.bigbuf.testkit.AllocatorReliabilityContract;

/** The reliability checks on the mock backend (256 MiB of simulated memory, no fragmentation). */
class MockReliabilityTest extends AllocatorReliabilityContract {

    private static final long MEMORY = 256L << 20;
    private static final int PAGE = 4096;
    private static final int MAX_ORDER = 10;

    @Override
    protected AllocatorSupport<?> newAllocator() {
        return new MockAllocator(new PhysicalMemoryModel(0, MEMORY, PAGE, MAX_ORDER), "reliability", 0);
    }
}

package io.bigbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.spi.AllocatorSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The backend-independent reliability checks ({@link AllocatorReliabilityChecks}) as JUnit tests,
 * without OSGi, for every backend built on the support layer: a subclass only says how to make
 * one. The fuzzer's seed comes from {@code -Dbigbuf.fuzz.seed} (printed on every run, so a failure
 * can be replayed) and its length from {@code -Dbigbuf.fuzz.ops} (operations per thread).
 */
public abstract class AllocatorReliabilityContract {

    private static final int FUZZ_THREADS = 4;
    private static final int DEFAULT_FUZZ_OPS = 5_000;

    private AllocatorSupport<?> allocator;

    /** A new allocator with nothing allocated; the test shuts it down. */
    protected abstract AllocatorSupport<?> newAllocator();

    @BeforeEach
    void create() {
        allocator = newAllocator();
    }

    @AfterEach
    void shutdown() {
        allocator.shutdown();
    }

    @Test
    void useAfterCloseThrowsIllegalStateException() {
        AllocatorReliabilityChecks.useAfterCloseSameThread(allocator);
    }

    @Test
    void useAfterCloseFromAnotherThreadThrowsIllegalStateException() throws Exception {
        AllocatorReliabilityChecks.useAfterCloseFromAnotherThread(allocator, 50);
    }

    @Test
    void concurrentClosesReleaseEachBufferOnce() throws Exception {
        AllocatorReliabilityChecks.concurrentClose(allocator, 50, 8);
        assertEquals(0L, allocator.statistics().bytesHeld());
    }

    @Test
    void fuzzedApiUseOnlyEverGivesTypedOutcomes() throws Exception {
        String name = getClass().getSimpleName();
        long seed = Long.getLong("bigbuf.fuzz.seed", System.nanoTime());
        int ops = Integer.getInteger("bigbuf.fuzz.ops", DEFAULT_FUZZ_OPS);
        System.out.println(name + " fuzz: replay with -Dbigbuf.fuzz.seed=" + seed);
        AllocatorReliabilityChecks.FuzzReport report = AllocatorReliabilityChecks.fuzz(allocator, seed, ops, FUZZ_THREADS);
        System.out.println(name + " fuzz: " + report);
        AllocatorStatistics stats = allocator.statistics();
        assertEquals(0, stats.liveBuffers());
        assertEquals(0L, stats.bytesHeld());
        // The run must have exercised every kind of outcome, or it proves little.
        assertTrue(report.allocations() > 0 && report.rejected() > 0 && report.closes() > 0
                && report.accessesAfterClose() > 0 && report.outOfBounds() > 0, report.toString());
        assertEquals(report.allocations(), stats.allocations(), "the backend counted other allocations than the fuzzer saw");
    }

    @Test
    void shutdownUnderConsumersGivesTypedExceptionsAndClosesEverything() throws Exception {
        long clean = AllocatorReliabilityChecks.backendDisappearsUnderConsumers(allocator, allocator::shutdown, 4);
        assertTrue(clean >= 4, "every consumer must have seen the backend go: " + clean);
        assertEquals(0, allocator.buffers().size());
    }
}

package io.bigbuf.benchmarks;

import io.bigbuf.api.DmaBuffer;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Mock backend: allocate a buffer and close it again. Baseline: the FFM allocation the mock wraps
 * (a shared arena, page-aligned, zeroed, closed), so the ratio is the cost of the simulated
 * physical memory model and the bookkeeping on top of plain off-heap memory.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class MockAllocBenchmark {

    private static final long SIMULATED_RAM = 1L << 30;
    private static final long PAGE = 4096;
    private static final int MAX_ORDER = 10;

    @Param({"65536", "4194304"})
    public long size;

    private MockAllocator allocator;

    @Setup
    public void setUp() {
        allocator = new MockAllocator(new PhysicalMemoryModel(0, SIMULATED_RAM, PAGE, MAX_ORDER), "jmh", 0);
    }

    @TearDown
    public void tearDown() {
        allocator.shutdown();
    }

    @Benchmark
    public long mockAllocClose() {
        try (DmaBuffer buffer = allocator.allocate(size)) {
            return buffer.physicalAddress();
        }
    }

    @Benchmark
    public long arenaAllocClose() {
        try (Arena arena = Arena.ofShared()) {
            return arena.allocate(size, PAGE).address();
        }
    }
}

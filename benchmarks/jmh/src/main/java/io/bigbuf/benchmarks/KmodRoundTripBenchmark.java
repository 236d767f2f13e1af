package io.bigbuf.benchmarks;

import io.bigbuf.api.DmaBuffer;
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
 * Kernel module backend, in the VM: allocate + close through the Java API. What that costs in
 * system calls (open, BIGBUF_IOC_ALLOC, mmap, BIGBUF_IOC_FREE, close; munmap on close) is what
 * {@code allocbench roundtrip} times from C; the report shows the ratio.
 *
 * <p>{@link #sharedArenaClose()} is the part of the difference that is the price of memory
 * safety, not of the backend: closing a shared {@link Arena} (which every {@link DmaBuffer} has, so
 * that a use after close throws instead of touching unmapped memory) is a handshake with every
 * Java thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class KmodRoundTripBenchmark {

    @Param({"65536"})
    public long size;

    private Backends.Handle kmod;

    @Setup
    public void setUp() {
        kmod = Backends.open("kmod");
    }

    @TearDown
    public void tearDown() {
        kmod.close();
    }

    @Benchmark
    public long allocClose() {
        try (DmaBuffer buffer = kmod.allocator().allocate(size)) {
            return buffer.physicalAddress();
        }
    }

    @Benchmark
    public void sharedArenaClose() {
        Arena.ofShared().close();
    }
}

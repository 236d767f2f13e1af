package io.bigbuf.benchmarks;

import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Sequential bandwidth through a buffer's {@link MemorySegment} against C on the very same memory:
 * write ({@code fill} vs {@code memset}), copy ({@code MemorySegment.copy} vs {@code memcpy}, between
 * two buffers) and read (a loop of {@code getAtIndex} vs a C loop, both summing 64-bit words).
 * Buffers are larger than the caches, so the limit is memory bandwidth. Time per pass; the report
 * turns it into GB/s.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class BandwidthBenchmark {

    /** Backend providing the buffers: mock (host) or kmod (/dev/bigbuf, in the VM). */
    @Param({"mock"})
    public String backend;

    @Param({"67108864"})
    public long size;

    private Backends.Handle allocator;
    private DmaBuffer src;
    private DmaBuffer dst;
    private MemorySegment s;
    private MemorySegment d;
    private long words;

    @Setup(Level.Trial)
    public void setUp() {
        allocator = Backends.open(backend);
        ContiguousAllocator a = allocator.allocator();
        src = a.allocate(size);
        dst = a.allocate(size);
        s = src.segment();
        d = dst.segment();
        s.fill((byte) 1);
        words = size / Long.BYTES;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        src.close();
        dst.close();
        allocator.close();
    }

    @Benchmark
    public void writeJava() {
        d.fill((byte) 0x5a);
    }

    @Benchmark
    public void writeC() throws Throwable {
        MemorySegment unused = (MemorySegment) Native.MEMSET.invokeExact(d, 0x5a, size);
    }

    @Benchmark
    public void copyJava() {
        MemorySegment.copy(s, 0, d, 0, size);
    }

    @Benchmark
    public void copyC() throws Throwable {
        MemorySegment unused = (MemorySegment) Native.MEMCPY.invokeExact(d, s, size);
    }

    @Benchmark
    public long readJava() {
        MemorySegment m = s;
        long n = words;
        long sum = 0;
        for (long i = 0; i < n; i++) {
            sum += m.getAtIndex(ValueLayout.JAVA_LONG, i);
        }
        return sum;
    }

    @Benchmark
    public long readC() throws Throwable {
        return (long) Native.SUM64.invokeExact(s, words);
    }
}

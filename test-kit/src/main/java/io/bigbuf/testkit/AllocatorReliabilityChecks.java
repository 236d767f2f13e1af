package io.bigbuf.testkit;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reliability checks that hold for every {@link ContiguousAllocator} backend, written against the
 * API only (no JUnit, no OSGi), so that the same code runs on the mock in the build and on the
 * kernel backend inside a guest.
 *
 * <p>Each check throws {@link AssertionError} with a message that names what went wrong (and, for
 * the fuzzer, the seed that replays it). Every check leaves the allocator holding what it held
 * before.
 */
public final class AllocatorReliabilityChecks {

    /** Outcome counts of one {@link #fuzz} run. */
    public record FuzzReport(long seed, long operations, long allocations, long rejected, long outOfMemory,
            long closes, long accessesAfterClose, long outOfBounds) {
        @Override
        public String toString() {
            return "seed " + seed + ": " + operations + " operations, " + allocations + " allocations, "
                    + rejected + " rejected (InvalidAllocationRequestException), " + outOfMemory
                    + " OutOfContiguousMemoryException, " + closes + " closes, " + accessesAfterClose
                    + " accesses after close, " + outOfBounds + " out-of-bounds accesses";
        }
    }

    private static final long KIB = 1L << 10;
    private static final long MIB = 1L << 20;
    private static final long TAG = 0xB16B_0F00_0000_0000L;
    /** Buffers up to this size are checked for zeros byte by byte; larger ones at sampled places. */
    private static final long FULL_ZERO_CHECK = 64 * KIB;
    private static final int MAX_LIVE_PER_THREAD = 8;
    private static final long JOIN_TIMEOUT_SECONDS = 120;

    private AllocatorReliabilityChecks() {
    }

    /** A closed buffer and every segment obtained from it throw IllegalStateException, never crash. */
    public static void useAfterCloseSameThread(ContiguousAllocator allocator) {
        int before = allocator.statistics().liveBuffers();
        DmaBuffer buffer = allocator.allocate(64 * KIB);
        MemorySegment early = buffer.segment();
        early.set(ValueLayout.JAVA_LONG, 0, 42);
        buffer.close();
        check(buffer.isClosed(), "isClosed() after close()");
        expectIllegalState(() -> early.get(ValueLayout.JAVA_LONG, 0), "read through a segment taken before close");
        expectIllegalState(() -> early.set(ValueLayout.JAVA_LONG, 8, 1), "write through a segment taken before close");
        expectIllegalState(() -> early.fill((byte) 1), "fill after close");
        expectIllegalState(() -> MemorySegment.copy(early, 0, MemorySegment.ofArray(new byte[16]), 0, 16),
                "copy from a closed buffer");
        expectIllegalState(buffer::segment, "segment() after close");
        buffer.close(); // idempotent, must not throw
        check(allocator.buffer(buffer.id()).isEmpty(), "a closed buffer is still listed");
        check(allocator.statistics().liveBuffers() == before, "live buffer count not restored");
    }

    /**
     * Another thread reads and writes a buffer in a tight loop while it is closed: the reader ends
     * with IllegalStateException (the shared arena's close waits for in-flight accesses), never with
     * a crash or any other exception.
     */
    public static void useAfterCloseFromAnotherThread(ContiguousAllocator allocator, int rounds) throws InterruptedException {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < rounds; round++) {
            DmaBuffer buffer = allocator.allocate(16 * KIB);
            MemorySegment segment = buffer.segment();
            AtomicReference<Throwable> ended = new AtomicReference<>();
            CountDownLatch running = new CountDownLatch(1);
            Thread user = new Thread(() -> {
                long i = 0;
                try {
                    while (true) {
                        long offset = (i++ * 8) % segment.byteSize();
                        segment.set(ValueLayout.JAVA_LONG, offset, i);
                        if (segment.get(ValueLayout.JAVA_LONG, offset) != i) {
                            throw new AssertionError("value lost at offset " + offset);
                        }
                        running.countDown();
                    }
                } catch (Throwable t) {
                    ended.set(t);
                }
            }, "use-after-close-" + round);
            user.start();
            check(running.await(JOIN_TIMEOUT_SECONDS, TimeUnit.SECONDS), "user thread did not start");
            if (random.nextBoolean()) {
                Thread.onSpinWait();
            }
            buffer.close();
            user.join(TimeUnit.SECONDS.toMillis(JOIN_TIMEOUT_SECONDS));
            check(!user.isAlive(), "the user thread still runs after close");
            check(ended.get() instanceof IllegalStateException,
                    "round " + round + ": the user thread ended with " + ended.get() + ", want IllegalStateException");
        }
    }

    /** Many threads close the same buffers at once: each is released exactly once. */
    public static void concurrentClose(ContiguousAllocator allocator, int rounds, int threads) throws Exception {
        int before = allocator.statistics().liveBuffers();
        long bytesBefore = allocator.statistics().bytesHeld();
        for (int round = 0; round < rounds; round++) {
            List<DmaBuffer> buffers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                buffers.add(allocator.allocate((i + 1) * 4 * KIB));
            }
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Thread> closers = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int t = 0; t < threads; t++) {
                Thread closer = new Thread(() -> {
                    try {
                        start.await();
                        buffers.forEach(DmaBuffer::close);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                closer.start();
                closers.add(closer);
            }
            for (Thread closer : closers) {
                closer.join(TimeUnit.SECONDS.toMillis(JOIN_TIMEOUT_SECONDS));
            }
            check(failure.get() == null, "close() threw " + failure.get());
            check(buffers.stream().allMatch(DmaBuffer::isClosed), "a buffer is not closed");
        }
        check(allocator.statistics().liveBuffers() == before, "live buffers " + allocator.statistics().liveBuffers()
                + " after concurrent closes, want " + before);
        check(allocator.statistics().bytesHeld() == bytesBefore, "bytes held not restored");
    }

    /**
     * Seeded random use of the API from several threads: valid and invalid requests, accesses in and
     * out of bounds, before and after close, random ids. Allowed outcomes are success and the typed
     * exceptions of the contract; a buffer is zero when handed out, honours its alignment and address
     * limit, never overlaps another live buffer physically, and keeps what its owner wrote.
     */
    public static FuzzReport fuzz(ContiguousAllocator allocator, long seed, int operationsPerThread, int threads)
            throws InterruptedException {
        int before = allocator.statistics().liveBuffers();
        Map<Long, DmaBuffer> live = new ConcurrentHashMap<>();
        long[] counts = new long[7];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        Object registry = new Object();
        for (int t = 0; t < threads; t++) {
            long threadSeed = seed * 31 + t;
            Thread worker = new Thread(() -> {
                try {
                    long[] mine = new FuzzThread(allocator, new SplittableRandom(threadSeed), live, registry)
                            .run(operationsPerThread);
                    synchronized (counts) {
                        for (int i = 0; i < counts.length; i++) {
                            counts[i] += mine[i];
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "fuzz-" + t);
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(JOIN_TIMEOUT_SECONDS));
            check(!worker.isAlive(), "fuzz thread hangs (seed " + seed + ")");
        }
        if (failure.get() != null) {
            throw new AssertionError("fuzz seed " + seed + " failed: " + failure.get(), failure.get());
        }
        check(allocator.statistics().liveBuffers() == before, "seed " + seed + ": "
                + allocator.statistics().liveBuffers() + " buffers live after the fuzzer closed all, want " + before);
        return new FuzzReport(seed, (long) operationsPerThread * threads, counts[0], counts[1], counts[2], counts[3],
                counts[4], counts[5]);
    }

    /** One fuzzing thread; buffers it allocates are its own, the physical registry is shared. */
    private static final class FuzzThread {
        private final ContiguousAllocator allocator;
        private final SplittableRandom random;
        private final Map<Long, DmaBuffer> allLive;
        private final Object registry;
        private final List<DmaBuffer> mine = new ArrayList<>();
        private final List<DmaBuffer> closed = new ArrayList<>();
        private final long[] counts = new long[7];
        private final long page;
        private final long total;

        FuzzThread(ContiguousAllocator allocator, SplittableRandom random, Map<Long, DmaBuffer> allLive, Object registry) {
            this.allocator = allocator;
            this.random = random;
            this.allLive = allLive;
            this.registry = registry;
            this.page = allocator.backendInfo().pageSize();
            this.total = allocator.backendInfo().totalBytes();
        }

        long[] run(int operations) {
            try {
                for (int op = 0; op < operations; op++) {
                    int what = random.nextInt(100);
                    if (what < 35) {
                        allocate();
                    } else if (what < 65) {
                        access();
                    } else if (what < 85) {
                        closeOne();
                    } else if (what < 95) {
                        staleAccess();
                    } else {
                        lookUpRandomId();
                    }
                }
            } finally {
                mine.forEach(this::close);
            }
            return counts;
        }

        private void allocate() {
            AllocationRequest request;
            try {
                request = AllocationRequest.ofSize(size()).withAlignment(alignment()).withMaxAddress(maxAddress());
            } catch (InvalidAllocationRequestException e) {
                counts[1]++; // rejected by the request's own validation
                return;
            }
            if (mine.size() >= MAX_LIVE_PER_THREAD) {
                closeOne();
            }
            DmaBuffer buffer;
            try {
                buffer = allocator.allocate(request);
            } catch (InvalidAllocationRequestException e) {
                counts[1]++;
                return;
            } catch (OutOfContiguousMemoryException e) {
                counts[2]++;
                return;
            }
            counts[0]++;
            verifyNew(buffer, request);
            mine.add(buffer);
        }

        private void verifyNew(DmaBuffer buffer, AllocationRequest request) {
            check(buffer.size() == request.size(), "size " + buffer.size() + " for " + request);
            long align = request.effectiveAlignment(page);
            check(Long.remainderUnsigned(buffer.physicalAddress(), align) == 0,
                    "physical 0x" + Long.toHexString(buffer.physicalAddress()) + " not aligned to " + align);
            check(!request.hasAddressLimit() || buffer.physicalAddress() + buffer.size() - 1 <= request.maxAddress(),
                    "buffer ends above maxAddress of " + request);
            MemorySegment segment = buffer.segment();
            check(segment.byteSize() == buffer.size(), "segment size " + segment.byteSize());
            check(isZero(segment), "buffer " + buffer.id() + " not zero when handed out");
            synchronized (registry) {
                for (DmaBuffer other : allLive.values()) {
                    boolean overlap = buffer.physicalAddress() < other.physicalAddress() + other.size()
                            && other.physicalAddress() < buffer.physicalAddress() + buffer.size();
                    check(!overlap, "buffer " + buffer.id() + " overlaps live buffer " + other.id());
                }
                check(allLive.put(buffer.id(), buffer) == null, "id " + buffer.id() + " handed out twice");
            }
            if (buffer.size() >= Long.BYTES) {
                segment.set(ValueLayout.JAVA_LONG, 0, TAG ^ buffer.id());
            }
        }

        private boolean isZero(MemorySegment segment) {
            long size = segment.byteSize();
            if (size <= FULL_ZERO_CHECK) {
                return segment.mismatch(MemorySegment.ofArray(new byte[(int) size])) == -1;
            }
            for (long offset : new long[] {0, size - 1, random.nextLong(size), size / 2}) {
                if (segment.get(ValueLayout.JAVA_BYTE, offset) != 0) {
                    return false;
                }
            }
            return true;
        }

        private void access() {
            if (mine.isEmpty()) {
                return;
            }
            DmaBuffer buffer = mine.get(random.nextInt(mine.size()));
            MemorySegment segment = buffer.segment();
            check(buffer.size() < Long.BYTES || segment.get(ValueLayout.JAVA_LONG, 0) == (TAG ^ buffer.id()),
                    "tag of buffer " + buffer.id() + " lost");
            long offset = random.nextLong(buffer.size() + 64);
            if (offset < buffer.size()) {
                byte old = segment.get(ValueLayout.JAVA_BYTE, offset);
                segment.set(ValueLayout.JAVA_BYTE, offset, (byte) ~old);
                check(segment.get(ValueLayout.JAVA_BYTE, offset) == (byte) ~old, "write at " + offset + " lost");
                segment.set(ValueLayout.JAVA_BYTE, offset, old);
            } else {
                counts[5]++;
                try {
                    segment.get(ValueLayout.JAVA_BYTE, offset);
                    throw new AssertionError("read at " + offset + " of a " + buffer.size() + "-byte buffer succeeded");
                } catch (IndexOutOfBoundsException expected) {
                    // the segment's bounds are the buffer's
                }
            }
        }

        private void closeOne() {
            if (!mine.isEmpty()) {
                close(mine.remove(random.nextInt(mine.size())));
            }
        }

        private void close(DmaBuffer buffer) {
            MemorySegment segment = buffer.segment();
            synchronized (registry) {
                allLive.remove(buffer.id());
                buffer.close();
            }
            counts[3]++;
            check(buffer.isClosed(), "not closed");
            expectIllegalState(() -> segment.get(ValueLayout.JAVA_BYTE, 0), "access right after close");
            if (closed.size() < MAX_LIVE_PER_THREAD) {
                closed.add(buffer);
            } else {
                closed.set(random.nextInt(closed.size()), buffer);
            }
        }

        private void staleAccess() {
            if (closed.isEmpty()) {
                return;
            }
            DmaBuffer stale = closed.get(random.nextInt(closed.size()));
            counts[4]++;
            expectIllegalState(stale::segment, "segment() of a closed buffer");
            stale.close();
            check(allocator.buffer(stale.id()).isEmpty(), "closed buffer " + stale.id() + " listed");
        }

        private void lookUpRandomId() {
            long id = random.nextBoolean() ? random.nextLong() : random.nextLong(1 << 16);
            // Another thread may close it any time: only the identity is stable.
            allocator.buffer(id).ifPresent(b -> check(b.id() == id, "lookup of " + id + " gave " + b.id()));
        }

        private long size() {
            int r = random.nextInt(100);
            if (r < 3) {
                return random.nextBoolean() ? 0 : -random.nextLong(1, Long.MAX_VALUE);
            }
            if (r < 6) {
                return total + random.nextLong(1, Long.MAX_VALUE - total);
            }
            if (r < 70) {
                return random.nextLong(1, 64 * KIB);
            }
            if (r < 95) {
                return random.nextLong(1, MIB);
            }
            return random.nextLong(1, 8 * MIB);
        }

        private long alignment() {
            int r = random.nextInt(100);
            if (r < 50) {
                return 0;
            }
            if (r < 55) {
                return random.nextLong(); // mostly not a power of two, or negative
            }
            return 1L << random.nextInt(33); // below the page size (rejected) up to 4 GiB
        }

        private long maxAddress() {
            return switch (random.nextInt(8)) {
                case 0 -> 0xFFFF_FFFFL;
                case 1 -> 0x0FFF_FFFFL;
                case 2 -> random.nextLong(1, 1L << 40);
                case 3 -> random.nextLong(Long.MIN_VALUE, 1); // not positive: rejected
                default -> AllocationRequest.NO_ADDRESS_LIMIT;
            };
        }
    }

    /**
     * Consumer threads allocate and use buffers while {@code shutdown} takes the backend away: every
     * thread ends with the typed exceptions of the contract only, and every buffer handed out before
     * ends up closed.
     *
     * @return the number of consumer operations that failed cleanly after the shutdown
     */
    public static long backendDisappearsUnderConsumers(ContiguousAllocator allocator, Runnable shutdown, int threads)
            throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong cleanFailures = new AtomicLong();
        List<DmaBuffer> handedOut = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(threads);
        List<Thread> consumers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread consumer = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(index);
                List<DmaBuffer> mine = new ArrayList<>();
                try {
                    boolean backendGone = false;
                    for (long i = 0; !backendGone || !mine.isEmpty(); i++) {
                        if (!backendGone && !mine.isEmpty() && random.nextInt(4) == 0) {
                            mine.remove(random.nextInt(mine.size())).close(); // ordinary use
                        } else if (!backendGone && mine.size() < 4) {
                            try {
                                DmaBuffer b = allocator.allocate(random.nextLong(Long.BYTES, 256 * KIB));
                                mine.add(b);
                                synchronized (handedOut) {
                                    handedOut.add(b);
                                }
                            } catch (BackendUnavailableException e) {
                                backendGone = true;
                                cleanFailures.incrementAndGet();
                            } catch (OutOfContiguousMemoryException e) {
                                // allowed: memory is finite
                            }
                        } else if (!mine.isEmpty()) {
                            DmaBuffer b = mine.get(random.nextInt(mine.size()));
                            try {
                                MemorySegment s = b.segment();
                                s.set(ValueLayout.JAVA_LONG, random.nextLong(s.byteSize() / 8) * 8, i);
                            } catch (IllegalStateException e) {
                                // closed under us by the backend going away
                                mine.remove(b);
                                cleanFailures.incrementAndGet();
                            }
                        }
                        if (i == 64) {
                            started.countDown();
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    started.countDown();
                }
            }, "consumer-" + t);
            consumer.start();
            consumers.add(consumer);
        }
        check(started.await(JOIN_TIMEOUT_SECONDS, TimeUnit.SECONDS), "consumers did not get going");
        shutdown.run();
        for (Thread consumer : consumers) {
            consumer.join(TimeUnit.SECONDS.toMillis(JOIN_TIMEOUT_SECONDS));
            check(!consumer.isAlive(), "a consumer hangs after the backend went away");
        }
        if (failure.get() != null) {
            throw new AssertionError("a consumer failed with an untyped error: " + failure.get(), failure.get());
        }
        synchronized (handedOut) {
            check(!handedOut.isEmpty(), "no buffer was handed out before the shutdown");
            check(handedOut.stream().allMatch(DmaBuffer::isClosed), "a buffer survived its backend");
        }
        try {
            allocator.allocate(4 * KIB).close();
            throw new AssertionError("allocate() succeeded on a backend that went away");
        } catch (BackendUnavailableException expected) {
            cleanFailures.incrementAndGet();
        }
        return cleanFailures.get();
    }

    private static void expectIllegalState(Runnable action, String what) {
        try {
            action.run();
        } catch (IllegalStateException expected) {
            return;
        }
        throw new AssertionError(what + ": no IllegalStateException");
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}

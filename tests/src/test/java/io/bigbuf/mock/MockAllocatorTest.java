package io.bigbuf.mock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.mock.model.FragmentationPattern;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MockAllocatorTest {

    private static final long MIB = 1 << 20;

    private MockAllocator allocator;

    private MockAllocator allocator(long size, FragmentationPattern pattern, int percent, int failEvery) {
        PhysicalMemoryModel model = new PhysicalMemoryModel(0, size, 4096, 10);
        pattern.apply(model, percent, 42);
        allocator = new MockAllocator(model, "test", failEvery);
        return allocator;
    }

    @AfterEach
    void shutdown() {
        if (allocator != null) {
            allocator.shutdown();
        }
    }

    @Test
    void outsideAFrameworkABufferHasNoOwner() {
        MockAllocator a = allocator(16 * MIB, FragmentationPattern.NONE, 0, 0);
        try (DmaBuffer buffer = a.allocate(MIB)) {
            assertEquals(Optional.empty(), buffer.owner());
            assertEquals(Optional.empty(), a.buffers().getFirst().owner());
        }
    }

    @Test
    void buffersAreZeroFilledEvenWhenTheSameMemoryIsReused() {
        MockAllocator a = allocator(16 * MIB, FragmentationPattern.NONE, 0, 0);
        long address;
        try (DmaBuffer first = a.allocate(MIB)) {
            address = first.physicalAddress();
            first.segment().fill((byte) 0xFF);
        }
        try (DmaBuffer second = a.allocate(MIB)) {
            assertEquals(address, second.physicalAddress(), "the freed range is handed out again");
            MemorySegment memory = second.segment();
            assertEquals(MIB, memory.byteSize());
            byte[] content = memory.toArray(ValueLayout.JAVA_BYTE);
            assertArrayEquals(new byte[(int) MIB], content);
        }
    }

    @Test
    void useAfterCloseThrowsIllegalStateAndCloseIsIdempotent() {
        MockAllocator a = allocator(16 * MIB, FragmentationPattern.NONE, 0, 0);
        DmaBuffer buffer = a.allocate(AllocationRequest.ofSize(8192).withLabel("victim"));
        MemorySegment earlierView = buffer.segment();
        earlierView.set(ValueLayout.JAVA_INT, 0, 42);
        buffer.close();
        assertTrue(buffer.isClosed());
        assertThrows(IllegalStateException.class, buffer::segment);
        assertThrows(IllegalStateException.class, () -> earlierView.get(ValueLayout.JAVA_INT, 0),
                "a segment taken before close must not reach freed memory");
        buffer.close();
        assertEquals(0, a.statistics().liveBuffers());
        assertEquals(0, a.statistics().bytesHeld());
        assertTrue(a.buffer(buffer.id()).isEmpty());
    }

    @Test
    void liveBuffersNeverOverlapAndRespectAlignmentAndLimit() {
        MockAllocator a = allocator(512 * MIB, FragmentationPattern.RANDOM, 30, 0);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        // Held here: a buffer nobody references may be released by the Cleaner at any GC.
        List<DmaBuffer> held = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long alignment = 1L << random.nextInt(12, 23);
            int bits = random.nextBoolean() ? 28 : 63;
            AllocationRequest request = AllocationRequest.ofSize(1 + random.nextLong(3 * MIB))
                    .withAlignment(alignment).withAddressBits(bits);
            try {
                DmaBuffer b = a.allocate(request);
                held.add(b);
                assertEquals(0, b.physicalAddress() % alignment);
                assertTrue(b.physicalAddress() + b.size() - 1 <= request.maxAddress());
            } catch (OutOfContiguousMemoryException e) {
                // Below 28 bits fills up; that is what the limit means.
            }
        }
        List<DmaBuffer> live = a.buffers();
        assertEquals(held.size(), live.size(), "every buffer still referenced is live");
        assertTrue(live.size() > 100, "most allocations fit, got " + live.size());
        for (int i = 0; i < live.size(); i++) {
            for (int j = i + 1; j < live.size(); j++) {
                DmaBuffer x = live.get(i);
                DmaBuffer y = live.get(j);
                assertTrue(x.physicalAddress() + x.size() <= y.physicalAddress()
                        || y.physicalAddress() + y.size() <= x.physicalAddress(), x + " overlaps " + y);
            }
        }
    }

    @Test
    void fragmentationExhaustionIsATypedFailureThatChangesNothing() {
        MockAllocator a = allocator(64 * MIB, FragmentationPattern.STRIPED, 100, 0);
        DmaBuffer held = a.allocate(MIB);
        AllocatorStatistics before = a.statistics();
        OutOfContiguousMemoryException e =
                assertThrows(OutOfContiguousMemoryException.class, () -> a.allocate(8 * MIB));
        assertEquals(8 * MIB, e.requestedBytes());
        assertEquals(before.largestContiguousFree().getAsLong(), e.largestAvailable().getAsLong());
        assertTrue(e.getMessage().contains("no contiguous 8 MiB"), e.getMessage());
        AllocatorStatistics after = a.statistics();
        assertEquals(before.liveBuffers(), after.liveBuffers());
        assertEquals(before.bytesHeld(), after.bytesHeld());
        assertEquals(before.failures() + 1, after.failures());
        assertEquals(List.of(held), a.buffers());
        assertFalse(held.isClosed());
    }

    @Test
    void invalidRequestsAreRejectedWithoutTouchingState() {
        MockAllocator a = allocator(64 * MIB, FragmentationPattern.NONE, 0, 0);
        DmaBuffer held = a.allocate(MIB);
        InvalidAllocationRequestException huge =
                assertThrows(InvalidAllocationRequestException.class, () -> a.allocate(1L << 40));
        assertTrue(huge.getMessage().contains("more than the mock's whole simulated memory"), huge.getMessage());
        assertThrows(InvalidAllocationRequestException.class,
                () -> a.allocate(AllocationRequest.ofSize(4096).withAlignment(1024)));
        InvalidAllocationRequestException align = assertThrows(InvalidAllocationRequestException.class,
                () -> a.allocate(AllocationRequest.ofSize(4096).withAlignment(2L << 30)));
        assertEquals("alignment 2 GiB is above the 1 GiB maximum of the bigbuf backends", align.getMessage());
        AllocatorStatistics s = a.statistics();
        assertEquals(3, s.rejected());
        assertEquals(0, s.failures());
        assertEquals(1, s.allocations());
        assertEquals(List.of(held), a.buffers());
        assertEquals(MIB, s.bytesHeld());
    }

    @Test
    void addressLimitThatExcludesTheMemoryIsRejected() {
        PhysicalMemoryModel highMemory = new PhysicalMemoryModel(1L << 32, 64 * MIB, 4096, 10);
        allocator = new MockAllocator(highMemory, "above 4 GiB", 0);
        InvalidAllocationRequestException e = assertThrows(InvalidAllocationRequestException.class,
                () -> allocator.allocate(AllocationRequest.ofSize(MIB).withAddressBits(32)));
        assertTrue(e.getMessage().contains("can never fit"), e.getMessage());
        assertEquals(1, allocator.statistics().rejected());
        DmaBuffer high = allocator.allocate(MIB);
        assertTrue(high.physicalAddress() >= 1L << 32);
    }

    @Test
    void failureInjectionFailsEveryNthAllocation() {
        MockAllocator a = allocator(64 * MIB, FragmentationPattern.NONE, 0, 3);
        // Held, so that no Cleaner releases one before the count below.
        List<DmaBuffer> held = new ArrayList<>();
        held.add(a.allocate(4096));
        held.add(a.allocate(4096));
        OutOfContiguousMemoryException e = assertThrows(OutOfContiguousMemoryException.class, () -> a.allocate(4096));
        assertTrue(e.getMessage().contains("injected"), e.getMessage());
        held.add(a.allocate(4096));
        held.add(a.allocate(4096));
        assertThrows(OutOfContiguousMemoryException.class, () -> a.allocate(4096));
        assertEquals(held.size(), a.statistics().liveBuffers());
        assertEquals(2, a.statistics().failures());
    }

    @Test
    void shutdownClosesEveryBufferAndRefusesNewOnes() {
        MockAllocator a = allocator(64 * MIB, FragmentationPattern.NONE, 0, 0);
        DmaBuffer one = a.allocate(MIB);
        DmaBuffer two = a.allocate(2 * MIB);
        MemorySegment view = two.segment();
        a.shutdown();
        assertTrue(one.isClosed());
        assertTrue(two.isClosed());
        assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(0, a.statistics().bytesHeld());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> a.allocate(4096));
        assertTrue(e.getMessage().contains("shut down"));
        a.shutdown();
        one.close();
    }

    @Test
    void concurrentAllocateAndCloseKeepTheBooksStraight() throws Exception {
        MockAllocator a = allocator(256 * MIB, FragmentationPattern.RANDOM, 20, 0);
        ConcurrentLinkedQueue<DmaBuffer> kept = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                work.add(pool.submit(() -> {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < 300; i++) {
                        try {
                            DmaBuffer b = a.allocate(Long.BYTES + random.nextLong(MIB));
                            b.segment().set(ValueLayout.JAVA_LONG, 0, b.id());
                            if (random.nextBoolean()) {
                                b.close();
                            } else {
                                kept.add(b);
                            }
                        } catch (OutOfContiguousMemoryException full) {
                            DmaBuffer victim = kept.poll();
                            if (victim != null) {
                                victim.close();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        List<DmaBuffer> live = a.buffers();
        assertEquals(kept.size(), live.size());
        for (DmaBuffer b : live) {
            assertSame(b, a.buffer(b.id()).orElseThrow());
            assertEquals(b.id(), b.segment().get(ValueLayout.JAVA_LONG, 0), "no buffer was overwritten by another");
        }
        long held = live.stream().mapToLong(b -> Math.ceilDiv(b.size(), 4096) * 4096).sum();
        assertEquals(held, a.statistics().bytesHeld());
    }
}

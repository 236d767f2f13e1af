package io.bigbuf.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.testkit.Await;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the support layer does for every backend, seen through the test-only {@link BitmapAllocator}. */
class AllocatorSupportTest {

    private BitmapAllocator allocator = new BitmapAllocator(256, Retention.UNTIL_CLOSED);

    @AfterEach
    void shutdown() {
        allocator.shutdown();
    }

    @Test
    void countersFollowTheExceptionTypeWhereverItIsThrownAndAFailedCallChangesNothingElse() {
        DmaBuffer held = allocator.allocate(64 * BitmapAllocator.PAGE);
        AllocatorStatistics before = allocator.statistics();
        InvalidAllocationRequestException alignment = assertThrows(InvalidAllocationRequestException.class,
                () -> allocator.allocate(AllocationRequest.ofSize(4096).withAlignment(2 * BitmapAllocator.MAX_ALIGNMENT)));
        assertEquals("alignment 2 MiB is above the largest the bitmap test backend supports, 1 MiB", alignment.getMessage());
        assertThrows(InvalidAllocationRequestException.class, () -> allocator.allocate(257 * BitmapAllocator.PAGE));
        assertThrows(OutOfContiguousMemoryException.class, () -> allocator.allocate(193 * BitmapAllocator.PAGE));

        AllocatorStatistics after = allocator.statistics();
        assertEquals(before.rejected() + 2, after.rejected(), "layer check and backend check both count as rejected");
        assertEquals(before.failures() + 1, after.failures());
        assertEquals(before.allocations(), after.allocations());
        assertEquals(before.liveBuffers(), after.liveBuffers());
        assertEquals(before.bytesHeld(), after.bytesHeld());
        assertEquals(List.of(held), allocator.buffers());
        assertEquals(64, allocator.usedPages());
    }

    @Test
    void afterShutdownAllocateIsUnavailableAndCountsNothing() {
        DmaBuffer held = allocator.allocate(4096);
        allocator.shutdown();
        assertTrue(held.isClosed());
        assertTrue(allocator.isShutDown());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> allocator.allocate(4096));
        assertEquals("the bitmap test backend has been shut down; its buffers are closed."
                + " Look up the ContiguousAllocator service again", e.getMessage());
        AllocatorStatistics stats = allocator.statistics();
        assertEquals(1, stats.allocations());
        assertEquals(0, stats.failures() + stats.rejected());
        assertEquals(0, allocator.usedPages());
    }

    @Test
    void aBackendThatStatesNoMaximumAlignmentLeavesTheLimitToItsOwnChecks() {
        allocator = new BitmapAllocator(256, Retention.UNTIL_CLOSED, -1);
        try (DmaBuffer aligned = allocator.allocate(AllocationRequest.ofSize(4096).withAlignment(256 * 1024))) {
            assertEquals(0, aligned.physicalAddress() % (256 * 1024));
        }
        assertEquals(0, allocator.statistics().rejected());
    }

    @Test
    void releaseActionsRunOnceLastAddedFirstAndBeforeTheBackendFreesTheMemory() {
        DmaBuffer buffer = allocator.allocate(8 * BitmapAllocator.PAGE);
        BufferRecord record = ((BufferSupport) buffer).record();
        List<String> order = new ArrayList<>();
        record.addReleaseAction(() -> order.add("first added, pages in use: " + allocator.usedPages()));
        record.addReleaseAction(() -> order.add("last added"));
        record.addReleaseAction(() -> {
            throw new IllegalStateException("a failing action does not stop the others");
        });

        buffer.close();
        buffer.close();

        assertEquals(List.of("last added", "first added, pages in use: 8"), order);
        assertEquals(0, allocator.usedPages());
        assertEquals(0L, allocator.statistics().bytesHeld());
        IllegalStateException late = assertThrows(IllegalStateException.class, () -> record.addReleaseAction(() -> {
        }));
        assertEquals("buffer #1 is closed", late.getMessage());
    }

    @Test
    void closeInvalidatesEverySegmentBeforeReleasing() {
        DmaBuffer buffer = allocator.allocate(4096);
        MemorySegment early = buffer.segment();
        BufferRecord record = ((BufferSupport) buffer).record();
        List<Boolean> segmentUsableAtRelease = new ArrayList<>();
        record.addReleaseAction(() -> segmentUsableAtRelease.add(early.scope().isAlive()));
        buffer.close();
        assertEquals(List.of(false), segmentUsableAtRelease);
        IllegalStateException e = assertThrows(IllegalStateException.class, buffer::segment);
        assertEquals("buffer #1 (4 KiB) is closed", e.getMessage());
        assertEquals("DmaBuffer[#1, 4 KiB at 0x0, closed]", buffer.toString());
    }

    @Test
    void aRecordBelongsToOneBuffer() {
        BufferRecord record = allocator.newRecord(AllocationRequest.ofSize(4096), 4096, 0, () -> {
        });
        try (ArenaBuffer first = new ArenaBuffer(record, Arena.ofShared(),
                MemorySegment.NULL)) {
            assertThrows(IllegalStateException.class, () -> new ArenaBuffer(record,
                    Arena.ofShared(), MemorySegment.NULL));
            assertFalse(first.isClosed());
        }
    }

    @Test
    void whileReachableADroppedBufferIsReleasedByTheCleaner() throws Exception {
        allocator = new BitmapAllocator(256, Retention.WHILE_REACHABLE);
        allocator.allocate(16 * BitmapAllocator.PAGE).segment().set(ValueLayout.JAVA_LONG, 0, 1); // then dropped
        Await.collectedUntil(() -> allocator.usedPages() == 0 && allocator.statistics().liveBuffers() == 0,
                "the Cleaner to release a buffer that nothing references");
        assertEquals(0L, allocator.statistics().bytesHeld());
        assertEquals(1, allocator.statistics().allocations());
    }

    @Test
    void untilClosedADroppedBufferStaysListedAndCanStillBeClosed() throws Exception {
        long id = allocator.allocate(16 * BitmapAllocator.PAGE).id(); // dropped
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        DmaBuffer found = allocator.buffer(id).orElseThrow(() -> new AssertionError("a dropped buffer is not listed"));
        assertEquals(16, allocator.usedPages());
        found.close();
        assertEquals(0, allocator.usedPages());
        assertTrue(allocator.buffers().isEmpty());
    }
}

package io.bigbuf.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.PciAddress;
import io.bigbuf.mock.model.IommuModel;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import io.bigbuf.testkit.Await;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The API's lifetime contract on the mock, the same as on the kernel backend: the allocator does
 * not keep a buffer; one that nobody references is released by the Cleaner (issue 13).
 */
class MockBufferLifetimeTest {

    private static final long MIB = 1 << 20;
    private static final PciAddress EDU = PciAddress.parse("0000:00:04.0");

    private final MockAllocator allocator = new MockAllocator(new PhysicalMemoryModel(0, 64 * MIB, 4096, 10),
            new IommuModel(IommuModel.Mode.TRANSLATING, Set.of(EDU), Set.of(), 4096), "64 MiB test memory", 0);

    @AfterEach
    void shutdown() {
        allocator.shutdown();
    }

    @Test
    void aBufferTheProgramForgetsIsReleasedByTheCleaner() {
        long largestBefore = allocator.statistics().largestContiguousFree().orElseThrow();
        allocate(8 * MIB, "forgotten"); // nothing keeps it
        Await.collectedUntil(() -> allocator.statistics().liveBuffers() == 0,
                "the Cleaner to release a mock buffer that nothing references");
        assertTrue(allocator.buffers().isEmpty());
        assertEquals(0, allocator.statistics().bytesHeld());
        assertEquals(largestBefore, allocator.statistics().largestContiguousFree().orElseThrow(),
                "its simulated pages are free again");
        assertEquals(1, allocator.statistics().allocations());
    }

    @Test
    void aForgottenBufferGivesBackItsDeviceMappingToo() {
        long[] idAndIova = allocateMapped(); // nothing keeps the buffer
        Await.collectedUntil(() -> allocator.statistics().liveBuffers() == 0,
                "the Cleaner to release mapped buffer #" + idAndIova[0]);
        // The IOVA range is free again: the same request gets the same device address.
        try (DmaBuffer again = allocator.allocate(AllocationRequest.ofSize(MIB).forDevice(EDU))) {
            assertEquals(idAndIova[1], again.deviceAddress(EDU));
        }
    }

    @Test
    void aSegmentAloneKeepsItsBufferUntilItIsDroppedToo() throws InterruptedException {
        WeakReference<DmaBuffer> handle = new WeakReference<>(allocate(MIB, "slice-only"));
        long id = handle.get().id();
        MemorySegment kept = handle.get().segment().asSlice(8, 8);
        kept.set(ValueLayout.JAVA_LONG, 0, 42L);
        // Several full collections: the buffer must survive them all, through the slice alone.
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertNotNull(handle.get(), "a reachable segment keeps its buffer reachable");
        assertTrue(allocator.buffer(id).isPresent());
        assertEquals(42L, kept.get(ValueLayout.JAVA_LONG, 0));

        kept = null; // now nothing references the buffer or its memory
        Await.collectedUntil(() -> handle.get() == null && allocator.statistics().liveBuffers() == 0,
                "the Cleaner to release the buffer once its segment is gone as well");
    }

    private long[] allocateMapped() {
        DmaBuffer buffer = allocator.allocate(AllocationRequest.ofSize(MIB).forDevice(EDU).withLabel("mapped"));
        return new long[] {buffer.id(), buffer.deviceAddress(EDU)};
    }

    /** In a method of its own, so that no local variable of the test keeps the buffer. */
    private DmaBuffer allocate(long size, String label) {
        DmaBuffer buffer = allocator.allocate(AllocationRequest.ofSize(size).withLabel(label));
        buffer.segment().set(ValueLayout.JAVA_LONG, 0, 1L);
        return buffer;
    }
}

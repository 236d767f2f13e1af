package io.bigbuf.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.api.PciAddress;
import io.bigbuf.mock.model.IommuModel;
import io.bigbuf.mock.model.IommuModel.Mode;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link AllocatorStatistics#rejected()} counts every request the mock turns down as invalid, on
 * every path: the support layer's checks, the mock's own, its allocation, and device mapping of an
 * open buffer (the buffer's own checks and the backend's); each path once, and nothing else moves.
 */
class MockRejectedCounterTest {

    private static final long MIB = 1 << 20;
    private static final PciAddress EDU = PciAddress.parse("0000:00:04.0");
    private static final PciAddress DRIVEN = PciAddress.parse("0000:00:06.0");
    private static final PciAddress ABSENT = PciAddress.parse("0000:00:1f.7");
    private static final long LIMIT_28 = (1L << 28) - 1;

    private MockAllocator mock;

    /** {@code memory} at 256 MiB, so that a 28-bit device without translation reaches none of it. */
    private MockAllocator machine(Mode mode, long memory) {
        mock = new MockAllocator(new PhysicalMemoryModel(256 * MIB, memory, 4096, 10),
                new IommuModel(mode, Set.of(EDU), Set.of(DRIVEN), 4096), "rejection test " + mode, 0);
        return mock;
    }

    @AfterEach
    void shutdown() {
        if (mock != null) {
            mock.shutdown();
        }
    }

    @Test
    void everyAllocationRejectedAsInvalidIsCounted() {
        MockAllocator m = machine(Mode.TRANSLATING, 64 * MIB);
        assertRejected(m, InvalidAllocationRequestException.class, "alignment above the maximum",
                () -> m.allocate(AllocationRequest.ofSize(MIB).withAlignment(1L << 40)));
        assertRejected(m, InvalidAllocationRequestException.class, "alignment below the page size",
                () -> m.allocate(AllocationRequest.ofSize(MIB).withAlignment(2048)));
        assertRejected(m, InvalidAllocationRequestException.class, "larger than all memory",
                () -> m.allocate(128 * MIB));
        assertRejected(m, InvalidAllocationRequestException.class, "a NUMA node the mock lacks",
                () -> m.allocate(AllocationRequest.ofSize(MIB).onNode(3)));
        assertRejected(m, InvalidAllocationRequestException.class, "nothing below the address limit",
                () -> m.allocate(AllocationRequest.ofSize(MIB).withAddressBits(28)));
        assertRejected(m, DeviceMappingException.class, "no such device",
                () -> m.allocate(AllocationRequest.ofSize(MIB).forDevice(ABSENT)));
        assertRejected(m, DeviceMappingException.class, "device bound to a kernel driver",
                () -> m.allocate(AllocationRequest.ofSize(MIB).forDevice(DRIVEN)));
    }

    @Test
    void deviceContiguityWithoutATranslatingIommuIsCounted() {
        MockAllocator m = machine(Mode.OFF, 64 * MIB);
        assertRejected(m, DeviceMappingException.class, "device contiguity without translation",
                () -> m.allocate(AllocationRequest.ofSize(MIB).forDevice(EDU).withContiguity(Contiguity.DEVICE)));
    }

    @Test
    void everyDeviceMappingRejectedAsInvalidIsCounted() {
        MockAllocator m = machine(Mode.OFF, 64 * MIB);
        try (DmaBuffer buffer = m.allocate(MIB)) {
            assertRejected(m, InvalidAllocationRequestException.class, "a non-positive device address limit",
                    () -> buffer.mapFor(EDU, 0));
            assertRejected(m, InvalidAllocationRequestException.class, "a negative device address limit",
                    () -> buffer.mapReadOnlyFor(EDU, -1));
            assertRejected(m, DeviceMappingException.class, "mapping for an absent device",
                    () -> buffer.mapFor(ABSENT, LIMIT_28));
            assertRejected(m, DeviceMappingException.class, "mapping for a device a kernel driver has",
                    () -> buffer.mapFor(DRIVEN, LIMIT_28));
            assertRejected(m, DeviceMappingException.class, "a buffer above what the device reaches",
                    () -> buffer.mapFor(EDU, LIMIT_28));
            buffer.mapFor(EDU, AllocationRequest.NO_ADDRESS_LIMIT);
            assertRejected(m, DeviceMappingException.class, "mapped already, differently",
                    () -> buffer.mapReadOnlyFor(EDU, AllocationRequest.NO_ADDRESS_LIMIT));
        }
    }

    @Test
    void lackOfMemoryIsAFailureNotARejection() {
        MockAllocator m = machine(Mode.TRANSLATING, 8 * MIB);
        try (DmaBuffer most = m.allocate(6 * MIB)) {
            AllocatorStatistics before = m.statistics();
            assertThrows(OutOfContiguousMemoryException.class, () -> m.allocate(4 * MIB));
            AllocatorStatistics after = m.statistics();
            assertEquals(before.failures() + 1, after.failures());
            assertEquals(before.rejected(), after.rejected());
        }
    }

    /** Runs {@code call}, which must fail with {@code type}, and checks that it counted as one rejection. */
    private static void assertRejected(MockAllocator m, Class<? extends BigbufException> type, String path,
            Executable call) {
        AllocatorStatistics before = m.statistics();
        assertThrows(type, call, path);
        AllocatorStatistics after = m.statistics();
        Supplier<String> what = () -> path + ": " + before + " -> " + after;
        assertEquals(before.rejected() + 1, after.rejected(), what);
        assertEquals(before.failures(), after.failures(), what);
        assertEquals(before.allocations(), after.allocations(), what);
        assertEquals(before.liveBuffers(), after.liveBuffers(), what);
        assertEquals(before.bytesHeld(), after.bytesHeld(), what);
    }
}

package io.bigbuf.kmod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.PciAddress;
import io.bigbuf.kmod.abi.BigbufAbi;
import io.bigbuf.kmod.abi.DeviceInfo;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AllocatorStatistics#rejected()} of the kernel backend counts the requests rejected on the
 * Java side, before the module sees them, on every path: allocation checks and device mapping of
 * an open buffer. (What the module itself refuses, EINVAL and the like, comes back through the
 * same allocate and mapFor paths and is counted there; the module's own counters, STATS, count
 * every failed ALLOC as a failure and have no rejected counter.) No module is needed: nothing
 * here reaches the device, and an anonymous mapping stands in for a buffer.
 */
class KmodRejectedCounterTest {

    private static final long GIB = 1L << 30;
    private static final PciAddress EDU = PciAddress.parse("0000:00:04.0");

    @TempDir
    Path dir;

    private static DeviceInfo info(long features) {
        return new DeviceInfo(BigbufAbi.ABI_VERSION, 4096, 10, 0b1110, 2 * GIB, GIB, 2 * GIB, GIB, GIB, features, 1);
    }

    @Test
    void everyAllocationRejectedBeforeTheModuleIsCounted() {
        KmodAllocator k = new KmodAllocator(dir.resolve("no-such-device"), info(BigbufAbi.FEATURE_DEVICE_MAP));
        assertRejected(k, InvalidAllocationRequestException.class, "larger than the module accepts",
                () -> k.allocate(3 * GIB));
        assertRejected(k, InvalidAllocationRequestException.class, "alignment above the module's maximum",
                () -> k.allocate(AllocationRequest.ofSize(4096).withAlignment(2 * GIB)));
        assertRejected(k, InvalidAllocationRequestException.class, "alignment below the page size",
                () -> k.allocate(AllocationRequest.ofSize(4096).withAlignment(2048)));
    }

    @Test
    void everyRequestAnOldModuleCannotServeIsCounted() throws Throwable {
        KmodAllocator old = new KmodAllocator(dir.resolve("no-such-device"), info(0));
        assertRejected(old, DeviceMappingException.class, "a device without device mappings",
                () -> old.allocate(AllocationRequest.ofSize(4096).forDevice(EDU)));
        assertRejected(old, InvalidAllocationRequestException.class, "NUMA placement without device mappings",
                () -> old.allocate(AllocationRequest.ofSize(4096).onNode(0)));
        try (DmaBuffer buffer = anonymousBuffer(old)) {
            assertRejected(old, DeviceMappingException.class, "mapFor without device mappings",
                    () -> buffer.mapFor(EDU, (1L << 32) - 1));
        }
    }

    @Test
    void aDeviceMappingWithABadLimitIsCountedAndNeverReachesTheModule() throws Throwable {
        KmodAllocator k = new KmodAllocator(dir.resolve("no-such-device"), info(BigbufAbi.FEATURE_DEVICE_MAP));
        try (DmaBuffer buffer = anonymousBuffer(k)) {
            assertRejected(k, InvalidAllocationRequestException.class, "a zero device address limit",
                    () -> buffer.mapFor(EDU, 0));
            assertRejected(k, InvalidAllocationRequestException.class, "a negative device address limit",
                    () -> buffer.mapReadOnlyFor(EDU, -4096));
        }
    }

    private static DmaBuffer anonymousBuffer(KmodAllocator owner) throws Throwable {
        return owner.mapped(AllocationRequest.ofSize(4096).withLabel("rejection-test"), 0x1000_0000L,
                Contiguity.PHYSICAL, 0, KmodBufferLifetimeTest.mapAnonymous(), KmodBufferLifetimeTest.HELD);
    }

    private static void assertRejected(KmodAllocator k, Class<? extends BigbufException> type, String path,
            Executable call) {
        AllocatorStatistics before = k.statistics();
        assertThrows(type, call, path);
        AllocatorStatistics after = k.statistics();
        Supplier<String> what = () -> path + ": " + before + " -> " + after;
        assertEquals(before.rejected() + 1, after.rejected(), what);
        assertEquals(before.failures(), after.failures(), what);
        assertEquals(before.allocations(), after.allocations(), what);
        assertEquals(before.liveBuffers(), after.liveBuffers(), what);
    }
}

package io.bigbuf.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.DeviceMapping;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DeviceMappingException.Reason;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.api.PciAddress;
import io.bigbuf.mock.model.FragmentationPattern;
import io.bigbuf.mock.model.IommuModel;
import io.bigbuf.mock.model.IommuModel.Mode;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The mock's simulated IOMMU against the rules of the kernel module: what a device address is in
 * each mode, where buffers for a device are placed, which requests fail and that they change
 * nothing, and that device mappings end with their buffer.
 */
class MockDeviceMappingTest {

    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;
    private static final PciAddress EDU = PciAddress.parse("0000:00:04.0");
    private static final PciAddress NIC = PciAddress.parse("0000:00:05.0");
    private static final PciAddress DRIVEN = PciAddress.parse("0000:00:06.0");
    private static final PciAddress ABSENT = PciAddress.parse("0000:00:1f.7");
    private static final long LIMIT_28 = (1L << 28) - 1;

    private MockAllocator allocator;

    /** 8 GiB at 0: most of it above any 28- or 32-bit limit. */
    private MockAllocator machine(Mode mode) {
        PhysicalMemoryModel model = new PhysicalMemoryModel(0, 8 * GIB, 4096, 10);
        FragmentationPattern.NONE.apply(model, 0, 1);
        allocator = new MockAllocator(model, new IommuModel(mode, Set.of(EDU, NIC), Set.of(DRIVEN), 4096),
                "test " + mode, 0);
        return allocator;
    }

    @AfterEach
    void shutdown() {
        if (allocator != null) {
            allocator.shutdown();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyModeNamesItsTranslationAndAddressesDevicesAsTheKernelDoes(Mode mode) {
        MockAllocator mock = machine(mode);
        assertTrue(mock.backendInfo().deviceMapping());
        assertEquals(mode.translation(), mock.translation(EDU));
        try (DmaBuffer buffer = mock.allocate(AllocationRequest.ofSize(MIB).forDevice(EDU).withMaxAddress(LIMIT_28))) {
            DeviceMapping mapping = buffer.deviceMapping(EDU).orElseThrow();
            assertEquals(mode.translation(), mapping.translation());
            assertEquals(mapping.deviceAddress(), buffer.deviceAddress(EDU));
            assertTrue(mapping.lastDeviceAddress() <= LIMIT_28, "within the device's reach: " + mapping);
            assertEquals(OptionalInt.of(MockAllocator.NODE), buffer.numaNode());
            if (mode == Mode.TRANSLATING) {
                // The memory may lie anywhere (highest free first); the IOVA is below 28 bits.
                assertNotEquals(buffer.physicalAddress(), mapping.deviceAddress());
                assertTrue(buffer.physicalAddress() > LIMIT_28, "placed high: 0x"
                        + Long.toHexString(buffer.physicalAddress()));
            } else {
                assertEquals(buffer.physicalAddress(), mapping.deviceAddress());
                assertTrue(buffer.physicalAddress() + MIB - 1 <= LIMIT_28, "placed within reach");
            }
        }
    }

    @Test
    void withoutALimitADeviceReachesThirtyTwoBitsAsAPciFunctionWithoutDriver() {
        MockAllocator mock = machine(Mode.OFF);
        try (DmaBuffer buffer = mock.allocate(AllocationRequest.ofSize(MIB).forDevice(EDU))) {
            assertTrue(buffer.deviceAddress(EDU) + MIB - 1 <= IommuModel.DEFAULT_DMA_LIMIT);
        }
        try (DmaBuffer anywhere = mock.allocate(MIB)) {
            assertTrue(anywhere.physicalAddress() > IommuModel.DEFAULT_DMA_LIMIT, "no device: highest free range");
        }
    }

    @Test
    void aFurtherDeviceGetsItsOwnAddressesAndMappingIsIdempotent() {
        MockAllocator mock = machine(Mode.TRANSLATING);
        try (DmaBuffer buffer = mock.allocate(AllocationRequest.ofSize(4 * MIB).forDevice(EDU).withMaxAddress(LIMIT_28))) {
            DeviceMapping second = buffer.mapFor(NIC, 0xffff_ffffL);
            assertSame(second, buffer.mapFor(NIC, 0xffff_ffffL), "the existing mapping");
            assertEquals(List.of(EDU, NIC), buffer.deviceMappings().stream().map(DeviceMapping::device).toList());
            assertEquals(4 * MIB, second.size());
            // Each function has its own address space; both are naturally aligned below their limits.
            assertEquals(0, second.deviceAddress() % (4 * MIB));
            DeviceMappingException e = assertThrows(DeviceMappingException.class, () -> buffer.mapFor(NIC, LIMIT_28 >> 4));
            assertEquals(Reason.UNREACHABLE, e.reason());
            assertThrows(DeviceMappingException.class, () -> buffer.mapReadOnlyFor(NIC, 0xffff_ffffL),
                    "mapped read-write already");
            assertTrue(buffer.unmapFrom(NIC));
            assertFalse(buffer.unmapFrom(NIC), "unmapped already");
            assertTrue(buffer.mapReadOnlyFor(NIC, 0xffff_ffffL).deviceReadOnly());
        }
    }

    @Test
    void withoutATranslatingIommuABufferOutOfReachIsRefusedAndDeviceContiguityIsImpossible() {
        for (Mode mode : List.of(Mode.OFF, Mode.IDENTITY)) {
            MockAllocator mock = machine(mode);
            try (DmaBuffer high = mock.allocate(MIB)) {
                DeviceMappingException e = assertThrows(DeviceMappingException.class, () -> high.mapFor(EDU, LIMIT_28));
                assertEquals(Reason.UNREACHABLE, e.reason());
                assertEquals(EDU, e.device());
                assertTrue(high.deviceMappings().isEmpty());
            }
            DeviceMappingException e = assertThrows(DeviceMappingException.class, () -> mock.allocate(
                    AllocationRequest.ofSize(MIB).forDevice(EDU).withContiguity(Contiguity.DEVICE)));
            assertEquals(Reason.NOT_TRANSLATED, e.reason());
            mock.shutdown();
        }
    }

    @Test
    void aDeviceContiguousBufferIsPiecesBehindOneRangeAndHasNoPhysicalAddress() {
        PhysicalMemoryModel model = new PhysicalMemoryModel(0, 256 * MIB, 4096, 10);
        FragmentationPattern.STRIPED.apply(model, 100, 1); // a pinned page in every 4 MiB block
        allocator = new MockAllocator(model, new IommuModel(Mode.TRANSLATING, Set.of(EDU), Set.of(), 4096), "frag", 0);
        assertThrows(OutOfContiguousMemoryException.class, () -> allocator.allocate(16 * MIB),
                "no physically contiguous 16 MiB in striped memory");
        try (DmaBuffer buffer = allocator.allocate(AllocationRequest.ofSize(128 * MIB).forDevice(EDU)
                .withContiguity(Contiguity.DEVICE).withMaxAddress(0xffff_ffffL))) {
            assertEquals(Contiguity.DEVICE, buffer.contiguity());
            assertThrows(IllegalStateException.class, buffer::physicalAddress);
            assertEquals(0, buffer.deviceAddress(EDU) % (128 * MIB), "one naturally aligned range");
            buffer.segment().set(ValueLayout.JAVA_LONG, 128 * MIB - 8, 7);
            assertEquals(128 * MIB, allocator.statistics().bytesHeld());
            assertTrue(buffer.toString().contains("device-contiguous"), buffer.toString());
        }
        assertEquals(0, allocator.statistics().bytesHeld(), "every piece returned");
    }

    @Test
    void badDevicesAndNodesFailTypedAndChangeNothing() {
        MockAllocator mock = machine(Mode.TRANSLATING);
        DmaBuffer held = mock.allocate(MIB);
        AllocatorStatistics before = mock.statistics();
        assertEquals(Reason.NO_SUCH_DEVICE, assertThrows(DeviceMappingException.class,
                () -> mock.allocate(AllocationRequest.ofSize(MIB).forDevice(ABSENT))).reason());
        assertEquals(Reason.DEVICE_BUSY, assertThrows(DeviceMappingException.class,
                () -> mock.allocate(AllocationRequest.ofSize(MIB).forDevice(DRIVEN))).reason());
        assertEquals(Reason.NO_SUCH_DEVICE, assertThrows(DeviceMappingException.class,
                () -> held.mapFor(ABSENT, LIMIT_28)).reason());
        assertEquals(Reason.NO_SUCH_DEVICE, assertThrows(DeviceMappingException.class,
                () -> mock.translation(ABSENT)).reason());
        assertEquals(DmaTranslation.TRANSLATED, mock.translation(DRIVEN), "a busy function exists");
        assertThrows(InvalidAllocationRequestException.class, () -> mock.allocate(AllocationRequest.ofSize(MIB).onNode(1)));
        AllocatorStatistics after = mock.statistics();
        assertEquals(before.liveBuffers(), after.liveBuffers());
        assertEquals(before.bytesHeld(), after.bytesHeld());
        assertEquals(before.allocations(), after.allocations());
        assertEquals(before.rejected() + 4, after.rejected(), "each refused request counted as rejected, the mapFor too");
        assertTrue(held.deviceMappings().isEmpty());
        held.close();
    }

    @Test
    void theIovaSpaceRunsOutTypedAndComesBackWhenBuffersGo() {
        MockAllocator mock = machine(Mode.TRANSLATING);
        List<DmaBuffer> buffers = new ArrayList<>();
        AllocationRequest request = AllocationRequest.ofSize(64 * MIB).forDevice(EDU).withMaxAddress(LIMIT_28);
        // 256 MiB of IOVA space below 28 bits, less the unusable first page: three 64 MiB ranges.
        for (int i = 0; i < 3; i++) {
            buffers.add(mock.allocate(request));
        }
        long heldBefore = mock.statistics().bytesHeld();
        OutOfContiguousMemoryException e = assertThrows(OutOfContiguousMemoryException.class, () -> mock.allocate(request));
        assertTrue(e.getMessage().contains("I/O address space"), e.getMessage());
        assertEquals(heldBefore, mock.statistics().bytesHeld(), "the memory reserved for it went back");
        long[] iovas = buffers.stream().mapToLong(b -> b.deviceAddress(EDU)).sorted().toArray();
        assertEquals(List.of(64 * MIB, 128 * MIB, 192 * MIB), List.of(iovas[0], iovas[1], iovas[2]), "top-down");
        long freed = buffers.get(1).deviceAddress(EDU);
        buffers.get(1).close();
        try (DmaBuffer again = mock.allocate(request)) {
            assertEquals(freed, again.deviceAddress(EDU), "the closed buffer's range is free again");
        }
        buffers.forEach(DmaBuffer::close);
        for (int i = 0; i < 20; i++) { // closing returns every range: no leak over many rounds
            mock.allocate(request).close();
        }
    }

    @Test
    void aClosedBufferHasNoMappingsAndCannotGetOne() {
        MockAllocator mock = machine(Mode.TRANSLATING);
        DmaBuffer buffer = mock.allocate(AllocationRequest.ofSize(MIB).forDevice(EDU));
        buffer.close();
        assertTrue(buffer.deviceMappings().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> buffer.deviceAddress(EDU));
        assertThrows(IllegalStateException.class, () -> buffer.mapFor(NIC, LIMIT_28));
        assertFalse(buffer.unmapFrom(EDU));
    }

    @Test
    void shutdownEndsEveryMappingAndRefusesNewOnes() {
        MockAllocator mock = machine(Mode.TRANSLATING);
        DmaBuffer buffer = mock.allocate(AllocationRequest.ofSize(MIB).forDevice(EDU));
        mock.shutdown();
        assertTrue(buffer.isClosed());
        assertTrue(buffer.deviceMappings().isEmpty());
        assertThrows(IllegalStateException.class, () -> buffer.mapFor(NIC, LIMIT_28));
    }
}

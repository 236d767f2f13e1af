package io.bigbuf.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.api.PciAddress;
import java.lang.reflect.Proxy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The mock as the runtime starts it, with its configuration's defaults: a driver developer's
 * first buffers (README: 64 MiB, 256 MiB physically contiguous, 256 MiB device-contiguous) must
 * succeed, and a heavily fragmented machine must still be one setting away.
 */
class MockDefaultsTest {

    private static final long MIB = 1 << 20;
    private static final PciAddress EDU = PciAddress.parse("0000:00:04.0");

    /** The component's configuration: the annotation's defaults, with {@code overrides} by property name. */
    static MockConfiguration configuration(Map<String, Object> overrides) {
        return (MockConfiguration) Proxy.newProxyInstance(MockConfiguration.class.getClassLoader(),
                new Class<?>[] {MockConfiguration.class}, (proxy, method, args) -> {
                    String property = method.getName().replace('_', '.');
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(overrides, args);
                    }
                    return overrides.getOrDefault(property, method.getDefaultValue());
                });
    }

    @Test
    void defaultsLeaveAtLeastOneGibibyteContiguous() {
        MockAllocator mock = new MockAllocator(configuration(Map.of()));
        try {
            long largest = mock.statistics().largestContiguousFree().getAsLong();
            assertTrue(largest >= 1024 * MIB, "largest free run " + largest / MIB + " MiB");
            assertEquals(8L << 30, mock.backendInfo().totalBytes());
            assertTrue(mock.backendInfo().description().contains("random fragmentation of 1% of 4 MiB blocks"),
                    mock.backendInfo().description());
        } finally {
            mock.shutdown();
        }
    }

    @Test
    void defaultMockHandsOutTheReadmeBuffers() {
        MockAllocator mock = new MockAllocator(configuration(Map.of()));
        try (DmaBuffer working = mock.allocate(MIB);
                DmaBuffer shell = mock.allocate(64 * MIB);
                DmaBuffer big = mock.allocate(256 * MIB)) {
            assertEquals(256 * MIB, big.size());
            assertEquals(Contiguity.PHYSICAL, big.contiguity());
        } finally {
            mock.shutdown();
        }
    }

    @Test
    void defaultMockWithATranslatingIommuHandsOutADeviceContiguousBuffer() {
        MockAllocator mock = new MockAllocator(configuration(Map.of("iommu.mode", "translating")));
        try (DmaBuffer buffer = mock.allocate(AllocationRequest.ofSize(256 * MIB).forDevice(EDU)
                .withContiguity(Contiguity.DEVICE))) {
            assertEquals(256 * MIB, buffer.deviceMapping(EDU).orElseThrow().size());
        } finally {
            mock.shutdown();
        }
    }

    @Test
    void aFragmentedMachineIsOneSettingAway() {
        MockAllocator mock = new MockAllocator(configuration(Map.of("fragmentation.percent", 10)));
        try {
            long largest = mock.statistics().largestContiguousFree().getAsLong();
            assertTrue(largest < 256 * MIB, "10% of blocks pinned: largest free run " + largest / MIB + " MiB");
            OutOfContiguousMemoryException e = assertThrows(OutOfContiguousMemoryException.class,
                    () -> mock.allocate(256 * MIB));
            assertEquals(largest, e.largestAvailable().getAsLong());
        } finally {
            mock.shutdown();
        }
    }
}

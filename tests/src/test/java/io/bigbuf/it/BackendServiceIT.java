package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import io.bigbuf.testkit.FelixBundles;
import io.bigbuf.testkit.FelixExtension;
import java.lang.foreign.ValueLayout;
import java.util.Dictionary;
import java.util.Hashtable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

/** The mock backend as an OSGi service: lookup by interface, properties, ranking against other backends. */
@ExtendWith(FelixExtension.class)
@FelixBundles({Components.MOCK_BUNDLE})
class BackendServiceIT {

    private EmbeddedFelix felix;

    @BeforeEach
    void start(EmbeddedFelix felix) throws Exception {
        this.felix = felix;
    }


    @Test
    void mockBackendIsRegisteredUnderTheApiInterfaceWithItsProperties() {
        ServiceReference<ContiguousAllocator> ref = felix.awaitReference(ContiguousAllocator.class, null);
        assertEquals(AllocatorServiceProperties.BACKEND_MOCK, ref.getProperty(AllocatorServiceProperties.BACKEND));
        assertEquals(AllocatorServiceProperties.RANKING_MOCK, ref.getProperty(Constants.SERVICE_RANKING));
        assertEquals(Components.MOCK_BUNDLE, ref.getBundle().getSymbolicName());

        ContiguousAllocator allocator = felix.context().getService(ref);
        assertEquals("mock", allocator.backendInfo().name());
        assertFalse(allocator.backendInfo().realBusAddresses(), "the mock must not claim DMA-usable addresses");
        assertEquals(8L << 30, allocator.backendInfo().totalBytes(), "default simulated memory");
        try (DmaBuffer buffer = allocator.allocate(AllocationRequest.ofSize(64L << 20).withAddressBits(32))) {
            assertTrue(buffer.physicalAddress() + buffer.size() - 1 <= 0xFFFF_FFFFL);
            buffer.segment().set(ValueLayout.JAVA_LONG, (64L << 20) - 8, 0xB16B00B5L);
            assertEquals(0xB16B00B5L, buffer.segment().get(ValueLayout.JAVA_LONG, (64L << 20) - 8));
            assertEquals(1, allocator.statistics().liveBuffers());
        }
        assertEquals(0, allocator.statistics().liveBuffers());
    }

    @Test
    void highestRankedBackendWinsAndLosingItFallsBack() {
        ContiguousAllocator mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        MockAllocator kernelStandIn = new MockAllocator(new PhysicalMemoryModel(0, 64L << 20, 4096, 10), "kernel stand-in", 0);
        MockAllocator weaker = new MockAllocator(new PhysicalMemoryModel(0, 64L << 20, 4096, 10), "weaker", 0);
        ServiceRegistration<ContiguousAllocator> weakReg = register(weaker, 10, "weak");
        ServiceRegistration<ContiguousAllocator> kernelReg = register(kernelStandIn, AllocatorServiceProperties.RANKING_KERNEL,
                AllocatorServiceProperties.BACKEND_KMOD);
        try {
            assertSame(kernelStandIn, best());
            kernelReg.unregister();
            kernelReg = null;
            assertSame(mock, best(), "without the kernel backend the mock (ranking 100) beats ranking 10");
        } finally {
            if (kernelReg != null) {
                kernelReg.unregister();
            }
            weakReg.unregister();
            kernelStandIn.shutdown();
            weaker.shutdown();
        }
    }

    private ContiguousAllocator best() {
        return felix.context().getService(felix.context().getServiceReference(ContiguousAllocator.class));
    }

    private ServiceRegistration<ContiguousAllocator> register(ContiguousAllocator allocator, int ranking, String backend) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_RANKING, ranking);
        props.put(AllocatorServiceProperties.BACKEND, backend);
        return felix.context().registerService(ContiguousAllocator.class, allocator, props);
    }
}

package io.bigbuf.mock;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The mock backend as a Declarative Services component. Ranked below the kernel backend
 * ({@link AllocatorServiceProperties#RANKING_MOCK}) so it serves only when no real backend is
 * there. Immediate, so that the simulated memory is built (and a bad configuration reported) at
 * start, not at first use. A configuration change re-creates the simulated memory (no {@code @Modified}): the
 * component is deactivated, which closes all its buffers, and activated with the new layout.
 */
@Component(service = ContiguousAllocator.class, configurationPid = MockAllocatorComponent.PID, immediate = true,
        property = {
            "service.ranking:Integer=" + AllocatorServiceProperties.RANKING_MOCK,
            AllocatorServiceProperties.BACKEND + "=" + AllocatorServiceProperties.BACKEND_MOCK,
            "service.description=bigbuf mock backend (simulated physical memory)"
        })
public class MockAllocatorComponent implements ContiguousAllocator {

    /** Configuration PID; see {@link MockConfiguration} for the properties. */
    public static final String PID = "io.bigbuf.mock";

    private volatile MockAllocator allocator;

    @Activate
    void activate(MockConfiguration config) {
        allocator = MockAllocatorFactory.create(config);
    }

    @Deactivate
    void deactivate() {
        allocator.shutdown();
    }

    @Override
    public DmaBuffer allocate(AllocationRequest request) {
        return allocator.allocate(request);
    }

    @Override
    public List<DmaBuffer> buffers() {
        return allocator.buffers();
    }

    @Override
    public BackendInfo backendInfo() {
        return allocator.backendInfo();
    }

    @Override
    public AllocatorStatistics statistics() {
        return allocator.statistics();
    }

    @Override
    public String toString() {
        return "bigbuf mock backend: " + allocator.backendInfo().description();
    }
}

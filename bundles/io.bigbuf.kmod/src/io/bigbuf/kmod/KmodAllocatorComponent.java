package io.bigbuf.kmod;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The kernel backend as a Declarative Services component, ranked above the mock
 * ({@link AllocatorServiceProperties#RANKING_KERNEL}).
 *
 * <p>It is satisfied only while {@link DeviceWatcher} registers the condition
 * {@value DeviceWatcher#CONDITION_ID} (DS 1.5 satisfying condition): SCR activates it when the
 * module is loaded and deactivates it, closing all its buffers, when the device goes away.
 * Disabling this component (e.g. {@code scr:disable io.bigbuf.kmod.KmodAllocatorComponent}) is how
 * an operator moves every consumer back to the mock before unloading the module: {@code rmmod}
 * is refused while any buffer is mapped.
 */
@Component(service = ContiguousAllocator.class, configurationPid = KmodConfiguration.PID, immediate = true,
        property = {
            "service.ranking:Integer=" + AllocatorServiceProperties.RANKING_KERNEL,
            AllocatorServiceProperties.BACKEND + "=" + AllocatorServiceProperties.BACKEND_KMOD,
            "service.description=bigbuf kernel module backend (/dev/bigbuf)",
            KmodAllocatorComponent.SATISFYING_CONDITION_TARGET + "=(osgi.condition.id=" + DeviceWatcher.CONDITION_ID + ")"
        })
public class KmodAllocatorComponent implements ContiguousAllocator {

    /** DS 1.5 component property selecting the condition that must be present. */
    static final String SATISFYING_CONDITION_TARGET = "osgi.ds.satisfying.condition.target";

    private static final Logger LOG = System.getLogger(KmodAllocatorComponent.class.getName());

    private volatile KmodAllocator allocator;

    @Activate
    void activate(KmodConfiguration config) {
        Path device = Path.of(config.device_path());
        DeviceInfo info;
        try (KmodDevice file = KmodDevice.open(device)) {
            info = file.info();
        } catch (NativeCallException e) {
            throw new IllegalStateException("kernel backend cannot start: " + e.getMessage(), e);
        }
        allocator = new KmodAllocator(device, info);
        LOG.log(Level.INFO, "kernel backend active: {0}", allocator.backendInfo().description());
    }

    @Deactivate
    void deactivate() {
        int open = allocator.statistics().liveBuffers();
        allocator.shutdown();
        LOG.log(Level.INFO, "kernel backend stopped; released {0} buffer(s)", open);
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
        return allocator.toString();
    }
}

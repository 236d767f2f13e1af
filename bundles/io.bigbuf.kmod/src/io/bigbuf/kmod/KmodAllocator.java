package io.bigbuf.kmod;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.kmod.abi.BigbufAbi;
import io.bigbuf.kmod.abi.DeviceInfo;
import io.bigbuf.kmod.abi.Errno;
import io.bigbuf.kmod.abi.KernelAllocation;
import io.bigbuf.kmod.abi.KmodDevice;
import io.bigbuf.kmod.abi.ModuleStatistics;
import io.bigbuf.kmod.abi.NativeCallException;
import io.bigbuf.spi.AllocatorSupport;
import io.bigbuf.spi.BufferRecord;
import io.bigbuf.spi.Retention;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * {@link ContiguousAllocator} on the bigbuf kernel module. Plain Java (usable without OSGi), and
 * the Declarative Services component of the kernel backend, ranked above the mock
 * ({@link AllocatorServiceProperties#RANKING_KERNEL}).
 *
 * <p>The component is satisfied only while {@link io.bigbuf.kmod.osgi.DeviceWatcher} registers the
 * condition {@value KmodConfiguration#DEVICE_CONDITION_ID} (DS 1.5 satisfying condition): SCR constructs it when the
 * module is loaded and deactivates it, closing all its buffers, when the device goes away.
 * Disabling this component ({@code scr:disable io.bigbuf.kmod.KmodAllocator}) is how an operator
 * moves every consumer back to the mock before unloading the module: {@code rmmod} is refused
 * while any buffer is mapped.
 *
 * <p><b>The mapping is the buffer.</b> Each allocation opens the device, allocates
 * ({@code BIGBUF_IOC_ALLOC}), maps the buffer, frees the id ({@code BIGBUF_IOC_FREE}: the kernel keeps
 * the pages alive for as long as they are mapped) and closes the device again. So:
 * <ul>
 * <li>an idle allocator holds no file descriptor and never pins the module: {@code rmmod} succeeds
 *     as soon as no buffer is mapped, and is refused (module in use) while one is;</li>
 * <li>releasing a buffer is one {@code munmap} (closing its arena); there is no per-file id that
 *     could go stale or leak;</li>
 * <li>if the JVM dies, even by {@code kill -9}, the kernel unmaps and frees everything.</li>
 * </ul>
 * A buffer stays valid until closed for as long as the program references it or any segment of
 * it (see {@link KmodBuffer}); one it drops entirely without closing is released by a
 * {@link Cleaner} (with a warning, {@link Retention#WHILE_REACHABLE}); {@link #shutdown()}
 * releases all of them. Lifecycle, registry and counters are the support layer's
 * ({@link AllocatorSupport}); this class is the kernel calls.
 *
 * <p>Failed calls change nothing: a request rejected here never reaches the kernel, and a failure
 * after {@code BIGBUF_IOC_ALLOC} undoes the allocation before throwing.
 */
@Component(service = ContiguousAllocator.class, configurationPid = KmodConfiguration.PID, immediate = true,
        property = {
            "service.ranking:Integer=" + AllocatorServiceProperties.RANKING_KERNEL,
            AllocatorServiceProperties.BACKEND + "=" + AllocatorServiceProperties.BACKEND_KMOD,
            "service.description=bigbuf kernel module backend (/dev/bigbuf)",
            KmodAllocator.SATISFYING_CONDITION_TARGET + "=(osgi.condition.id=" + KmodConfiguration.DEVICE_CONDITION_ID + ")"
        })
@Designate(ocd = KmodConfiguration.class)
public final class KmodAllocator extends AllocatorSupport<KmodBuffer> {

    /** DS 1.5 component property selecting the condition that must be present. */
    static final String SATISFYING_CONDITION_TARGET = "osgi.ds.satisfying.condition.target";

    private static final Logger LOG = System.getLogger(KmodAllocator.class.getName());

    /** Retries of an allocation the kernel aborted because a signal arrived (EINTR). */
    private static final int EINTR_RETRIES = 5;

    private final Path device;
    private final DeviceInfo deviceInfo;

    /**
     * @param device     path of the device node
     * @param deviceInfo what {@code BIGBUF_IOC_INFO} reported; must be of {@link BigbufAbi#ABI_VERSION}
     * @throws IllegalArgumentException the module speaks another ABI version
     */
    public KmodAllocator(Path device, DeviceInfo deviceInfo) {
        super(backendInfo(device, deviceInfo), "kernel module backend on " + device, Retention.WHILE_REACHABLE);
        this.device = device;
        this.deviceInfo = deviceInfo;
    }

    /**
     * The component: the device of its configuration, which must answer {@code BIGBUF_IOC_INFO}.
     *
     * @throws IllegalStateException the device cannot be opened or queried
     */
    @Activate
    public KmodAllocator(KmodConfiguration config) {
        this(Path.of(config.device_path()), deviceInfo(Path.of(config.device_path())));
        LOG.log(Level.INFO, "kernel backend active: {0}", backendInfo().description());
    }

    private static DeviceInfo deviceInfo(Path device) {
        try (KmodDevice file = KmodDevice.open(device)) {
            return file.info();
        } catch (NativeCallException e) {
            throw new IllegalStateException("kernel backend cannot start: " + e.getMessage(), e);
        }
    }

    /** The device went away, or the component was disabled or reconfigured: every buffer is released. */
    @Deactivate
    void deactivate() {
        int open = statistics().liveBuffers();
        shutdown();
        LOG.log(Level.INFO, "kernel backend stopped; released {0} buffer(s)", open);
    }

    private static BackendInfo backendInfo(Path device, DeviceInfo deviceInfo) {
        if (deviceInfo.abiVersion() != BigbufAbi.ABI_VERSION) {
            throw new IllegalArgumentException(device + " speaks bigbuf ABI version " + deviceInfo.abiVersion()
                    + ", this bundle speaks " + BigbufAbi.ABI_VERSION);
        }
        return new BackendInfo(AllocatorServiceProperties.BACKEND_KMOD,
                String.format("%s, bigbuf module ABI %d, %s RAM, strategies %s, alignment up to %s", device,
                        deviceInfo.abiVersion(), ByteSize.format(deviceInfo.totalRam()), deviceInfo.strategyNames(),
                        ByteSize.format(deviceInfo.maxAlign())),
                true, deviceInfo.pageSize(), deviceInfo.maxBlockSize(), deviceInfo.totalRam(), deviceInfo.maxAlign());
    }

    @Override
    protected String describeMaxAlignment(long maxAlignment) {
        return "the largest the bigbuf module supports, " + ByteSize.format(maxAlignment);
    }

    /** Rejects here what the kernel would reject, so that a bad request never reaches the module. */
    @Override
    protected void checkSatisfiable(AllocationRequest request, long alignment) {
        if (request.size() > deviceInfo.maxAllocSize()) {
            throw new InvalidAllocationRequestException(ByteSize.format(request.size())
                    + " is more than this machine's RAM (the bigbuf module accepts at most "
                    + ByteSize.format(deviceInfo.maxAllocSize()) + ")");
        }
    }

    @Override
    protected KmodBuffer allocateBuffer(AllocationRequest request, long alignment) {
        long maxAddr = request.hasAddressLimit() ? request.maxAddress() : 0; // 0: no limit in the ABI
        KmodDevice file;
        try {
            file = KmodDevice.open(device);
        } catch (NativeCallException e) {
            throw ErrnoTranslation.toApiException(e, request.size());
        }
        KernelAllocation allocation;
        long address;
        try {
            allocation = allocateRetryingOnSignals(file, request.size(), alignment, maxAddr);
            try {
                address = file.map(allocation.mmapOffset(), allocation.actualSize());
            } catch (NativeCallException e) {
                undo(() -> file.free(allocation.id()), "free of the unmappable buffer");
                throw e;
            }
            try {
                // From here the mapping alone keeps the pages: the file can be closed.
                file.free(allocation.id());
            } catch (NativeCallException e) {
                undo(() -> KmodDevice.unmap(address, allocation.actualSize()), "unmap after a failed free");
                throw e;
            }
        } catch (NativeCallException e) {
            throw ErrnoTranslation.toApiException(e, request.size());
        } finally {
            closeQuietly(file);
        }
        KmodBuffer buffer = mapped(request, allocation.physAddr(), address, allocation.actualSize());
        LOG.log(Level.DEBUG, () -> "allocated " + buffer + " by strategy "
                + BigbufAbi.STRATEGIES.get(allocation.strategy()));
        return buffer;
    }

    /**
     * A buffer on a mapping of {@code held} bytes at {@code address}, released by unmapping it.
     * Also how the host test puts an anonymous mapping in place of the module's.
     */
    KmodBuffer mapped(AllocationRequest request, long physicalAddress, long address, long held) {
        Mapping mapping = new Mapping(address, held);
        BufferRecord record = newRecord(request, held, physicalAddress, mapping::unmapOnce);
        return new KmodBuffer(record, mapping, Arena.ofShared(), address);
    }

    private static KernelAllocation allocateRetryingOnSignals(KmodDevice file, long size, long alignment, long maxAddr) {
        for (int attempt = 1;; attempt++) {
            try {
                return file.allocate(size, alignment, maxAddr, BigbufAbi.STRATEGY_AUTO);
            } catch (NativeCallException e) {
                if (e.errno() != Errno.EINTR || attempt > EINTR_RETRIES) {
                    throw e;
                }
            }
        }
    }

    private static void undo(Runnable action, String what) {
        try {
            action.run();
        } catch (NativeCallException e) {
            LOG.log(Level.ERROR, "{0} failed too: {1}", what, e.getMessage());
        }
    }

    private static void closeQuietly(KmodDevice file) {
        try {
            file.close();
        } catch (NativeCallException e) {
            LOG.log(Level.WARNING, e.getMessage());
        }
    }

    /** What the module reported when this allocator was created. */
    public DeviceInfo deviceInfo() {
        return deviceInfo;
    }

    /**
     * Module-wide counters ({@code BIGBUF_IOC_STATS}), over all processes.
     *
     * @throws BackendUnavailableException the device cannot be opened or queried
     */
    public ModuleStatistics moduleStatistics() {
        try (KmodDevice file = KmodDevice.open(device)) {
            return file.statistics();
        } catch (NativeCallException e) {
            throw ErrnoTranslation.toApiException(e, 0);
        }
    }
}

package io.bigbuf.kmod;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DeviceMapping;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.PciAddress;
import io.bigbuf.kmod.abi.BigbufAbi;
import io.bigbuf.kmod.abi.DeviceInfo;
import io.bigbuf.kmod.abi.Errno;
import io.bigbuf.kmod.abi.KernelAllocation;
import io.bigbuf.kmod.abi.KernelDeviceMapping;
import io.bigbuf.kmod.abi.KernelMemoryMap;
import io.bigbuf.kmod.abi.KmodDevice;
import io.bigbuf.kmod.abi.ModuleStatistics;
import io.bigbuf.kmod.abi.NativeCallException;
import io.bigbuf.memorymap.BlockState;
import io.bigbuf.memorymap.MemoryMap;
import io.bigbuf.memorymap.MemoryMapProvider;
import io.bigbuf.spi.AllocatorSupport;
import io.bigbuf.spi.BufferRecord;
import io.bigbuf.spi.Retention;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 * <p><b>Devices.</b> A request for a PCI function ({@link AllocationRequest#forDevice}), a NUMA
 * node or device contiguity goes to the kernel as one {@code BIGBUF_IOC_ALLOC_EXT}, which also
 * maps the buffer for the function; {@link io.bigbuf.api.DmaBuffer#mapFor} and
 * {@link io.bigbuf.api.DmaBuffer#unmapFrom} name the buffer by its mapping's address
 * ({@code BIGBUF_IOC_MAP}/{@code UNMAP} with id 0), since its id is freed right after mmap. The
 * kernel ends a buffer's device mappings with the buffer (its last unmap), so closing needs no
 * extra call. A device's address limit reaches the kernel as a DMA mask, the largest
 * {@code 2^n - 1} at or below the requested address; whether the device's addresses are
 * translated, {@link #translation} reads from sysfs.
 *
 * <p><b>Memory map.</b> {@link #memoryMap()} is the module's {@code BIGBUF_IOC_MEMMAP}: one state
 * per pageblock (2 MiB on x86-64) from physical address 0 to the end of the highest zone, read in
 * calls of at most {@link BigbufAbi#MEMMAP_MAX_BLOCKS} blocks. It needs {@code CAP_SYS_ADMIN}
 * ({@link MemoryMapNotPermittedException} otherwise); a module without
 * {@link BigbufAbi#FEATURE_MEMMAP} has no map (empty).
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
public final class KmodAllocator extends AllocatorSupport<KmodBuffer> implements MemoryMapProvider {

    /** DS 1.5 component property selecting the condition that must be present. */
    static final String SATISFYING_CONDITION_TARGET = "osgi.ds.satisfying.condition.target";

    private static final Logger LOG = System.getLogger(KmodAllocator.class.getName());

    /** Retries of an allocation the kernel aborted because a signal arrived (EINTR). */
    private static final int EINTR_RETRIES = 5;

    private final Path device;
    private final DeviceInfo deviceInfo;
    private final PciSysfs sysfs;

    /**
     * @param device     path of the device node
     * @param deviceInfo what {@code BIGBUF_IOC_INFO} reported; must be of {@link BigbufAbi#ABI_VERSION}
     * @throws IllegalArgumentException the module speaks another ABI version
     */
    public KmodAllocator(Path device, DeviceInfo deviceInfo) {
        this(device, deviceInfo, Path.of("/sys"));
    }

    /** As {@link #KmodAllocator(Path, DeviceInfo)}, with sysfs mounted at {@code sysfs}. */
    KmodAllocator(Path device, DeviceInfo deviceInfo, Path sysfs) {
        super(backendInfo(device, deviceInfo), "kernel module backend on " + device, Retention.WHILE_REACHABLE);
        this.device = device;
        this.deviceInfo = deviceInfo;
        this.sysfs = new PciSysfs(sysfs);
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
                String.format("%s, bigbuf module ABI %d, %s RAM, strategies %s, alignment up to %s, %s", device,
                        deviceInfo.abiVersion(), ByteSize.format(deviceInfo.totalRam()), deviceInfo.strategyNames(),
                        ByteSize.format(deviceInfo.maxAlign()), deviceInfo.deviceMapping()
                                ? "device mappings, " + deviceInfo.nrNodes() + " NUMA node id(s)"
                                : "no device mappings (module predates them)"),
                true, deviceInfo.pageSize(), deviceInfo.maxBlockSize(), deviceInfo.totalRam(), deviceInfo.maxAlign(),
                deviceInfo.deviceMapping());
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
    public DmaTranslation translation(PciAddress pci) {
        if (!deviceInfo.deviceMapping()) {
            throw unsupported(pci);
        }
        return sysfs.translation(pci);
    }

    @Override
    protected KmodBuffer allocateBuffer(AllocationRequest request, long alignment) {
        if (request.needsPlacement() && !deviceInfo.deviceMapping()) {
            throw new InvalidAllocationRequestException("the loaded bigbuf module predates NUMA placement and device"
                    + " mappings; load a newer one (its bigbuf_info.features lacks BIGBUF_FEATURE_DEVICE_MAP)");
        }
        PciAddress pci = request.device();
        KmodDevice file;
        try {
            file = KmodDevice.open(device);
        } catch (NativeCallException e) {
            throw ErrnoTranslation.toApiException(e, request.size());
        }
        KernelAllocation allocation;
        long address;
        try {
            allocation = allocateRetryingOnSignals(file, request, alignment);
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
            throw ErrnoTranslation.toApiException(e, request.size(), pci);
        } finally {
            closeQuietly(file);
        }
        Contiguity contiguity = allocation.kind() == BigbufAbi.KIND_DEV_CONTIG ? Contiguity.DEVICE : Contiguity.PHYSICAL;
        KmodBuffer buffer = mapped(request, allocation.physAddr(), contiguity, allocation.node(), address,
                allocation.actualSize());
        if (pci != null) {
            addInitialMapping(buffer, new DeviceMapping(pci, allocation.devAddr(), request.size(),
                    translationOf(allocation.mode()), false));
        }
        LOG.log(Level.DEBUG, () -> "allocated " + buffer + " by strategy "
                + BigbufAbi.STRATEGIES.get(allocation.strategy()));
        return buffer;
    }

    /**
     * A buffer on a mapping of {@code held} bytes at {@code address}, released by unmapping it.
     * Also how the host test puts an anonymous mapping in place of the module's.
     */
    KmodBuffer mapped(AllocationRequest request, long physicalAddress, Contiguity contiguity, int node, long address,
            long held) {
        Mapping mapping = new Mapping(address, held);
        BufferRecord record = newRecord(request, held, physicalAddress, contiguity, node, mapping::unmapOnce);
        return new KmodBuffer(record, mapping, Arena.ofShared(), address);
    }

    @Override
    protected DeviceMapping mapBuffer(KmodBuffer buffer, PciAddress pci, long maxDeviceAddress,
            boolean deviceReadOnly) {
        try (KmodDevice file = KmodDevice.open(device)) {
            KernelDeviceMapping mapping = file.mapForDevice(buffer.address(), pci, dmaMask(maxDeviceAddress),
                    deviceReadOnly ? BigbufAbi.MAP_DEVICE_READ_ONLY : 0);
            return new DeviceMapping(pci, mapping.devAddr(), buffer.size(), translationOf(mapping.mode()),
                    deviceReadOnly);
        } catch (NativeCallException e) {
            throw ErrnoTranslation.toApiException(e, buffer.size(), pci);
        }
    }

    @Override
    protected void unmapBuffer(KmodBuffer buffer, DeviceMapping mapping) {
        try (KmodDevice file = KmodDevice.open(device)) {
            file.unmapForDevice(buffer.address(), mapping.device());
        } catch (NativeCallException e) {
            // ENOENT: the kernel ended it already (the function was unbound or removed).
            if (e.errno() != Errno.ENOENT) {
                throw ErrnoTranslation.toApiException(e, 0, mapping.device());
            }
        }
    }

    /** The kernel's DMA mask for an address limit: the largest 2^n - 1 at or below it; 0 for none. */
    static long dmaMask(long maxAddress) {
        return maxAddress == AllocationRequest.NO_ADDRESS_LIMIT ? 0 : Long.highestOneBit(maxAddress + 1) - 1;
    }

    private static DmaTranslation translationOf(int mode) {
        return switch (mode) {
            case BigbufAbi.DMA_DIRECT -> DmaTranslation.DIRECT;
            case BigbufAbi.DMA_IDENTITY -> DmaTranslation.IDENTITY;
            case BigbufAbi.DMA_TRANSLATED -> DmaTranslation.TRANSLATED;
            default -> throw new BackendUnavailableException("the bigbuf module reported an unknown DMA mode " + mode
                    + "; the module and this bundle disagree on the ABI");
        };
    }

    private static KernelAllocation allocateRetryingOnSignals(KmodDevice file, AllocationRequest request,
            long alignment) {
        for (int attempt = 1;; attempt++) {
            try {
                return allocate(file, request, alignment);
            } catch (NativeCallException e) {
                if (e.errno() != Errno.EINTR || attempt > EINTR_RETRIES) {
                    throw e;
                }
            }
        }
    }

    /** ALLOC, or ALLOC_EXT when the request needs a device, a node or device contiguity. */
    private static KernelAllocation allocate(KmodDevice file, AllocationRequest request, long alignment) {
        PciAddress pci = request.device();
        if (!request.needsPlacement()) {
            long maxAddr = request.hasAddressLimit() ? request.maxAddress() : 0; // 0: no limit in the ABI
            return file.allocate(request.size(), alignment, maxAddr, BigbufAbi.STRATEGY_AUTO);
        }
        long maxAddr = pci != null ? dmaMask(request.maxAddress())
                : request.hasAddressLimit() ? request.maxAddress() : 0;
        int flags = BigbufAbi.STRATEGY_AUTO | (request.contiguity() == Contiguity.DEVICE ? BigbufAbi.ALLOC_SCATTER : 0)
                | (request.nodeStrict() ? BigbufAbi.ALLOC_NODE_STRICT : 0);
        int node = request.numaNode() == AllocationRequest.ANY_NODE ? BigbufAbi.NODE_ANY : request.numaNode();
        return file.allocateExt(request.size(), alignment, maxAddr, flags, node, pci, 0);
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

    /**
     * The module's contiguity map, one block per pageblock from address 0.
     *
     * @return the map; empty if the loaded module predates {@code BIGBUF_IOC_MEMMAP}
     * @throws BackendUnavailableException     the backend was shut down, or the device failed
     * @throws MemoryMapNotPermittedException the process lacks {@code CAP_SYS_ADMIN}
     */
    @Override
    public Optional<MemoryMap> memoryMap() {
        if (isShutDown()) {
            throw new BackendUnavailableException("the kernel backend on " + device + " has been shut down");
        }
        if (!deviceInfo.memoryMap()) {
            return Optional.empty();
        }
        try (KmodDevice file = KmodDevice.open(device)) {
            return Optional.of(readMemoryMap(file::memoryMap, deviceInfo.pageSize(), BigbufAbi.MEMMAP_MAX_BLOCKS));
        } catch (NativeCallException e) {
            throw ErrnoTranslation.toApiException(e, 0);
        }
    }

    /** One {@code BIGBUF_IOC_MEMMAP} call ({@link KmodDevice#memoryMap}), replaceable in host tests. */
    @FunctionalInterface
    interface MemoryMapCall {
        KernelMemoryMap call(long startPfn, int maxBlocks);
    }

    /**
     * The whole map from page frame 0 up to the kernel's {@code end_pfn}, in calls of at most
     * {@code maxBlocks} blocks, each starting where the previous one's blocks ended.
     *
     * @throws BackendUnavailableException the answers contradict the ABI (unknown state, block size
     *                                     not a power of two or changing between calls, no block)
     */
    static MemoryMap readMemoryMap(MemoryMapCall kernel, long pageSize, int maxBlocks) {
        List<BlockState> states = new ArrayList<>();
        long blockPages = 0;
        long next = 0;
        long end = 0;
        do {
            // The first call learns the block size and the end; later ones ask for no more than is left.
            int room = blockPages == 0 ? maxBlocks : (int) Math.min(maxBlocks, Math.ceilDiv(end - next, blockPages));
            KernelMemoryMap part = kernel.call(next, room);
            if (blockPages == 0) {
                if (part.blockPages() <= 0 || Long.bitCount(part.blockPages()) != 1) {
                    throw abiMismatch("a block of " + part.blockPages() + " pages");
                }
                blockPages = part.blockPages();
            } else if (part.blockPages() != blockPages) {
                throw abiMismatch("blocks of " + part.blockPages() + " pages after blocks of " + blockPages);
            }
            if (part.startPfn() != next) {
                throw abiMismatch("a map from page frame 0x" + Long.toHexString(part.startPfn()) + " when asked for 0x"
                        + Long.toHexString(next));
            }
            end = part.endPfn();
            byte[] bytes = part.states();
            for (int i = 0; i < bytes.length; i++) {
                states.add(blockState(bytes[i], states.size()));
            }
            if (bytes.length == 0) {
                break;
            }
            next += bytes.length * blockPages;
        } while (next < end);
        if (states.isEmpty()) {
            throw abiMismatch("no block at all (end_pfn 0x" + Long.toHexString(end) + ")");
        }
        return new MemoryMap(0, blockPages * pageSize, states);
    }

    private static BlockState blockState(byte state, int block) {
        return switch (state) {
            case BigbufAbi.BLOCK_HOLE -> BlockState.HOLE;
            case BigbufAbi.BLOCK_FREE -> BlockState.FREE;
            case BigbufAbi.BLOCK_MOVABLE -> BlockState.MOVABLE_IN_USE;
            case BigbufAbi.BLOCK_UNMOVABLE -> BlockState.UNMOVABLE;
            case BigbufAbi.BLOCK_BUFFER -> BlockState.BUFFER;
            default -> throw abiMismatch("block state " + Byte.toUnsignedInt(state) + " for block " + block);
        };
    }

    private static BackendUnavailableException abiMismatch(String what) {
        return new BackendUnavailableException("the bigbuf module's memory map reported " + what
                + "; the module and this bundle disagree on the ABI");
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

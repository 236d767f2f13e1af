package io.bigbuf.mock;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DeviceMapping;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DeviceMappingException.Reason;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.MemoryLimitExceededException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.api.PciAddress;
import io.bigbuf.memorymap.BlockState;
import io.bigbuf.memorymap.MemoryMap;
import io.bigbuf.memorymap.MemoryMapProvider;
import io.bigbuf.mock.model.IommuModel;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import io.bigbuf.mock.model.PhysicalRange;
import io.bigbuf.spi.AllocatorSupport;
import io.bigbuf.spi.ArenaBuffer;
import io.bigbuf.spi.BufferRecord;
import io.bigbuf.spi.Retention;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * {@link ContiguousAllocator} over a {@link PhysicalMemoryModel}: the model decides the fake
 * physical address, an {@link Arena#ofShared() shared arena} per buffer supplies real zeroed
 * memory ({@link ArenaBuffer}). Plain Java, so it can be tested and embedded without OSGi.
 *
 * <p>As a Declarative Services component it is ranked below the kernel backend
 * ({@link AllocatorServiceProperties#RANKING_MOCK}) so it serves only when no real backend is
 * there. Immediate, so that the simulated memory is built (and a bad configuration reported) at
 * start, not at first use. A configuration change re-creates the simulated memory (no
 * {@code @Modified}): SCR deactivates this instance, which closes all its buffers, and constructs
 * a new one with the new layout.
 *
 * <p>Devices: the simulated machine's PCI functions and IOMMU ({@link IommuModel}, configured by
 * {@code iommu.mode}, {@code pci.devices}, {@code pci.busy}) give buffers device addresses the way
 * the kernel module does: physical ones without a translating IOMMU (the buffer then placed below
 * the device's limit), per-function IOVAs with one (the buffer anywhere; device-contiguous
 * buffers made of pieces). The machine has one NUMA node, 0.
 *
 * <p>The support layer ({@link AllocatorSupport}) does the lifecycle, checks, registry and
 * counters; this class only places buffers in the model. Like every backend
 * ({@link io.bigbuf.api.ContiguousAllocator}'s contract), it holds its buffers only while the
 * program does ({@link Retention#WHILE_REACHABLE}): a buffer that neither the program nor any
 * segment of it references is released by a Cleaner with a warning, its simulated pages and its
 * off-heap memory given back, exactly as the kernel backend does.
 */
@Component(service = ContiguousAllocator.class, configurationPid = MockAllocator.PID, immediate = true,
        property = {
            "service.ranking:Integer=" + AllocatorServiceProperties.RANKING_MOCK,
            AllocatorServiceProperties.BACKEND + "=" + AllocatorServiceProperties.BACKEND_MOCK,
            "service.description=bigbuf mock backend (simulated physical memory)"
        })
@Designate(ocd = MockConfiguration.class)
public final class MockAllocator extends AllocatorSupport<ArenaBuffer> implements MemoryMapProvider {

    /** Configuration PID; see {@link MockConfiguration} for the properties. */
    public static final String PID = "io.bigbuf.mock";

    /** {@code memlock.limit} not set: the simulated user may hold any amount. */
    static final long UNLIMITED = -1;

    /** The machine's only NUMA node. */
    static final int NODE = 0;

    /** The models are not thread-safe: every use of them holds the memory model's monitor. */
    private final PhysicalMemoryModel model;
    private final IommuModel iommu;
    private final int failEvery;
    /** What the simulated user may hold in buffers (RLIMIT_MEMLOCK), or {@link #UNLIMITED}. */
    private final long memlockLimit;
    private long attempts; // guarded by model
    /** IOVA ranges held by device mappings, per buffer id and function; guarded by model. */
    private final Map<Long, Map<PciAddress, IovaLease>> leases = new HashMap<>();

    /**
     * A machine without IOMMU whose only PCI function is {@code 0000:00:04.0}.
     *
     * @param model       the simulated memory, already fragmented; owned by this allocator from now on
     * @param description shown in {@link BackendInfo#description()}
     * @param failEvery   0, or n to fail every n-th valid allocation (failure injection)
     */
    public MockAllocator(PhysicalMemoryModel model, String description, int failEvery) {
        this(model, new IommuModel(IommuModel.Mode.OFF, Set.of(new PciAddress(0, 0, 4, 0)), Set.of(),
                model.pageSize()), description, failEvery);
    }

    /**
     * @param iommu the machine's PCI functions and IOMMU; owned by this allocator from now on
     */
    public MockAllocator(PhysicalMemoryModel model, IommuModel iommu, String description, int failEvery) {
        this(model, iommu, description, failEvery, UNLIMITED);
    }

    /**
     * @param memlockLimit bytes the simulated user may hold in buffers (the kernel backend's
     *                     RLIMIT_MEMLOCK charge), or -1 for no limit
     */
    public MockAllocator(PhysicalMemoryModel model, IommuModel iommu, String description, int failEvery,
            long memlockLimit) {
        super(new BackendInfo(AllocatorServiceProperties.BACKEND_MOCK, description, false, model.pageSize(),
                model.maxBlockSize(), model.totalBytes(), SimulatedMachine.MAX_ALIGNMENT, true), "mock backend",
                Retention.WHILE_REACHABLE);
        this.model = model;
        this.iommu = iommu;
        this.failEvery = checkFailEvery(failEvery);
        if (memlockLimit < UNLIMITED) {
            throw new IllegalArgumentException("memlock.limit must be a size or unlimited, got " + memlockLimit);
        }
        this.memlockLimit = memlockLimit;
    }

    /**
     * The component: the simulated machine its configuration describes.
     *
     * @throws IllegalArgumentException a bad value, named with its property and the PID
     */
    @Activate
    public MockAllocator(MockConfiguration config) {
        this(SimulatedMachine.of(config));
    }

    private MockAllocator(SimulatedMachine machine) {
        this(machine.model(), machine.iommu(), machine.description(), machine.failEvery(), machine.memlockLimit());
    }

    static int checkFailEvery(int failEvery) {
        if (failEvery < 0) {
            throw new IllegalArgumentException("failure.every must be >= 0, got " + failEvery);
        }
        return failEvery;
    }

    /** The backend goes away (bundle stopped, component disabled or reconfigured): its buffers are closed. */
    @Deactivate
    void deactivate() {
        shutdown();
    }

    @Override
    protected String describeMaxAlignment(long maxAlignment) {
        return "the " + ByteSize.format(maxAlignment) + " maximum of the bigbuf backends";
    }

    /** Rejects requests that could not succeed even with all memory free. */
    @Override
    protected void checkSatisfiable(AllocationRequest request, long alignment) {
        if (request.numaNode() != AllocationRequest.ANY_NODE && request.numaNode() != NODE) {
            throw new InvalidAllocationRequestException("NUMA node " + request.numaNode()
                    + " does not exist: the mock simulates one node, " + NODE);
        }
        if (model.pagesFor(request.size()) > model.pageCount()) {
            throw new InvalidAllocationRequestException(ByteSize.format(request.size())
                    + " is more than the mock's whole simulated memory of " + ByteSize.format(model.totalBytes())
                    + " (configure memory.size of PID " + PID + ")");
        }
        if (request.hasAddressLimit() && request.device() == null) {
            long reachable = Math.max(0, Math.min(request.maxAddress(), model.base() + model.totalBytes() - 1)
                    - model.base() + 1);
            if (request.maxAddress() < model.base() || model.pagesFor(request.size()) * model.pageSize() > reachable) {
                throw new InvalidAllocationRequestException("only " + ByteSize.format(reachable)
                        + " of the mock's memory (0x" + Long.toHexString(model.base()) + "..0x"
                        + Long.toHexString(model.base() + model.totalBytes() - 1) + ") lies below 0x"
                        + Long.toHexString(request.maxAddress()) + "; " + ByteSize.format(request.size())
                        + " can never fit there");
            }
        }
    }

    @Override
    public DmaTranslation translation(PciAddress device) {
        synchronized (model) {
            return iommu.translation(device);
        }
    }

    @Override
    protected ArenaBuffer allocateBuffer(AllocationRequest request, long alignment) {
        synchronized (model) {
            attempts++;
            if (failEvery > 0 && attempts % failEvery == 0) {
                throw new OutOfContiguousMemoryException(request.size(), model.largestFreeRun(),
                        "injected failure: every " + failEvery + ". allocation fails (mock failure.every="
                                + failEvery + ")");
            }
            long wanted = model.pagesFor(request.size()) * model.pageSize();
            if (memlockLimit != UNLIMITED && model.reservedBytes() + wanted > memlockLimit) {
                throw new MemoryLimitExceededException(request.size(), ByteSize.format(request.size())
                        + " would take the simulated user to " + ByteSize.format(model.reservedBytes() + wanted)
                        + " of buffers, over its memory lock limit of " + ByteSize.format(memlockLimit)
                        + " (mock memlock.limit; the kernel backend charges RLIMIT_MEMLOCK: raise ulimit -l or"
                        + " systemd's LimitMEMLOCK=, or free buffers)");
            }
            PciAddress device = request.device();
            DmaTranslation translation = device == null ? null : iommu.checkMappable(device);
            boolean translated = translation == DmaTranslation.TRANSLATED;
            if (request.contiguity() == Contiguity.DEVICE && !translated) {
                throw notTranslated(device);
            }
            // Behind a translating IOMMU the limit and alignment are the IOVA's, not the memory's.
            long deviceLimit = IommuModel.limitOf(request.maxAddress(), AllocationRequest.NO_ADDRESS_LIMIT);
            long physicalLimit = device == null ? request.maxAddress()
                    : translated ? AllocationRequest.NO_ADDRESS_LIMIT : deviceLimit;
            List<PhysicalRange> ranges = request.contiguity() == Contiguity.DEVICE
                    ? reservePieces(request.size())
                    : reserveRange(request, translated ? model.pageSize() : alignment, physicalLimit);
            long iova = -1;
            if (translated) {
                iova = iommu.allocateIova(device, request.size(), deviceLimit, alignment);
                if (iova < 0) {
                    ranges.forEach(model::release);
                    throw noIovaSpace(device, request.size(), deviceLimit);
                }
            }
            Arena arena = Arena.ofShared();
            MemorySegment segment;
            try {
                // Arena allocations are zero-initialised: no stale data from an earlier buffer.
                segment = arena.allocate(request.size(), model.pageSize());
            } catch (OutOfMemoryError e) {
                arena.close();
                if (iova >= 0) {
                    iommu.freeIova(device, iova);
                }
                ranges.forEach(model::release);
                throw new OutOfContiguousMemoryException(request.size(), -1, "the JVM process cannot get "
                        + ByteSize.format(request.size()) + " of off-heap memory to back the mock buffer");
            }
            long held = ranges.stream().mapToLong(PhysicalRange::length).sum();
            BufferRecord record = newRecord(request, held, ranges.get(0).address(), request.contiguity(), NODE,
                    () -> release(ranges));
            ArenaBuffer buffer = new ArenaBuffer(record, arena, segment);
            if (device != null) {
                long deviceAddress = translated ? lease(buffer, device, iova) : ranges.get(0).address();
                addInitialMapping(buffer, new DeviceMapping(device, deviceAddress, request.size(), translation, false));
            }
            return buffer;
        }
    }

    /** One physically contiguous range; throws if there is none. Called with the model's lock. */
    private List<PhysicalRange> reserveRange(AllocationRequest request, long alignment, long limit) {
        PhysicalRange range = model.reserve(request.size(), alignment, limit).orElse(null);
        if (range == null) {
            long largest = model.largestFreeRun();
            throw new OutOfContiguousMemoryException(request.size(), largest, "no contiguous "
                    + ByteSize.format(request.size()) + describeConstraints(alignment, limit)
                    + " is free; largest free run is " + ByteSize.format(largest) + " ("
                    + ByteSize.format(model.totalBytes() - model.reservedBytes()) + " free in total)");
        }
        return List.of(range);
    }

    /**
     * Pages anywhere for a device-contiguous buffer, in pieces of at most a max-order block, the
     * largest free ones first, as the module takes them; throws if memory runs out. Called with
     * the model's lock.
     */
    private List<PhysicalRange> reservePieces(long size) {
        List<PhysicalRange> pieces = new ArrayList<>();
        long left = model.pagesFor(size) * model.pageSize();
        long piece = model.maxBlockSize();
        while (left > 0) {
            PhysicalRange range = model.reserve(Math.min(piece, left), model.pageSize(),
                    AllocationRequest.NO_ADDRESS_LIMIT).orElse(null);
            if (range != null) {
                pieces.add(range);
                left -= range.length();
            } else if (piece > model.pageSize()) {
                piece /= 2;
            } else {
                pieces.forEach(model::release);
                throw new OutOfContiguousMemoryException(size, model.largestFreeRun(), "only "
                        + ByteSize.format(model.totalBytes() - model.reservedBytes()) + " of simulated memory is free, "
                        + ByteSize.format(size) + " asked for");
            }
        }
        return pieces;
    }

    @Override
    protected DeviceMapping mapBuffer(ArenaBuffer buffer, PciAddress device, long maxDeviceAddress,
            boolean deviceReadOnly) {
        synchronized (model) {
            DmaTranslation translation = iommu.checkMappable(device);
            long limit = IommuModel.limitOf(maxDeviceAddress, AllocationRequest.NO_ADDRESS_LIMIT);
            if (translation != DmaTranslation.TRANSLATED) {
                if (buffer.contiguity() == Contiguity.DEVICE) {
                    throw notTranslated(device);
                }
                long last = buffer.physicalAddress() + buffer.size() - 1;
                if (last > limit) {
                    throw new DeviceMappingException(device, Reason.UNREACHABLE, device + " (" + translation
                            + ", simulated) cannot reach buffer #" + buffer.id() + " at 0x"
                            + Long.toHexString(buffer.physicalAddress()) + "..0x" + Long.toHexString(last)
                            + ": it lies above the device's limit 0x" + Long.toHexString(limit)
                            + "; allocate the buffer for the device instead");
                }
                return new DeviceMapping(device, buffer.physicalAddress(), buffer.size(), translation, deviceReadOnly);
            }
            long iova = iommu.allocateIova(device, buffer.size(), limit, model.pageSize());
            if (iova < 0) {
                throw noIovaSpace(device, buffer.size(), limit);
            }
            return new DeviceMapping(device, lease(buffer, device, iova), buffer.size(), translation, deviceReadOnly);
        }
    }

    @Override
    protected void unmapBuffer(ArenaBuffer buffer, DeviceMapping mapping) {
        IovaLease lease;
        synchronized (model) {
            Map<PciAddress, IovaLease> ofBuffer = leases.get(buffer.id());
            lease = ofBuffer == null ? null : ofBuffer.get(mapping.device());
        }
        if (lease != null) {
            lease.free();
        }
    }

    /** Holds {@code iova} for the buffer's mapping until it is unmapped or the buffer is released. */
    private long lease(ArenaBuffer buffer, PciAddress device, long iova) {
        IovaLease lease = new IovaLease(buffer.id(), device, iova);
        leases.computeIfAbsent(buffer.id(), id -> new HashMap<>()).put(device, lease);
        addReleaseAction(buffer, lease::free);
        return iova;
    }

    /**
     * One device mapping's IOVA range, freed exactly once: on unmap or when its buffer is released.
     * Refers to the buffer by id only, as a release action must.
     */
    private final class IovaLease {
        private final long bufferId;
        private final PciAddress device;
        private final long iova;
        private boolean freed; // guarded by model

        IovaLease(long bufferId, PciAddress device, long iova) {
            this.bufferId = bufferId;
            this.device = device;
            this.iova = iova;
        }

        void free() {
            synchronized (model) {
                if (freed) {
                    return;
                }
                freed = true;
                iommu.freeIova(device, iova);
                Map<PciAddress, IovaLease> ofBuffer = leases.get(bufferId);
                if (ofBuffer != null && ofBuffer.remove(device) == this && ofBuffer.isEmpty()) {
                    leases.remove(bufferId);
                }
            }
        }
    }

    private static DeviceMappingException notTranslated(PciAddress device) {
        return new DeviceMappingException(device, Reason.NOT_TRANSLATED, "a device-contiguous buffer needs a device"
                + " behind a translating IOMMU, and " + device + " is not (mock: set iommu.mode=translating)");
    }

    private static OutOfContiguousMemoryException noIovaSpace(PciAddress device, long size, long limit) {
        return new OutOfContiguousMemoryException(size, -1, "no room for " + ByteSize.format(size) + " below 0x"
                + Long.toHexString(limit) + " in " + device + "'s I/O address space (simulated); unmap or close"
                + " buffers mapped for it");
    }

    /** A buffer's release action: its arena is closed already, so the pages can be reused. */
    private void release(List<PhysicalRange> ranges) {
        synchronized (model) {
            ranges.forEach(model::release);
        }
    }

    @Override
    protected OptionalLong largestContiguousFree() {
        synchronized (model) {
            return OptionalLong.of(model.largestFreeRun());
        }
    }

    /**
     * The simulated memory in max-order blocks (4 MiB): {@code UNMOVABLE} where a page is pinned,
     * else {@code BUFFER} where a buffer holds a page, else {@code FREE}. The mock has no movable
     * pages and no holes.
     */
    @Override
    public Optional<MemoryMap> memoryMap() {
        if (isShutDown()) {
            throw new BackendUnavailableException("the mock backend has been shut down");
        }
        char[] blocks;
        synchronized (model) {
            blocks = model.blockOccupancy();
        }
        List<BlockState> states = new ArrayList<>(blocks.length);
        for (char c : blocks) {
            states.add(c == 'P' ? BlockState.UNMOVABLE : c == 'R' ? BlockState.BUFFER : BlockState.FREE);
        }
        return Optional.of(new MemoryMap(model.base(), model.maxBlockSize(), states));
    }

    private static String describeConstraints(long alignment, long limit) {
        StringBuilder s = new StringBuilder();
        s.append(" range aligned to ").append(ByteSize.format(alignment));
        if (limit != AllocationRequest.NO_ADDRESS_LIMIT) {
            s.append(" below 0x").append(Long.toHexString(limit + 1));
        }
        return s.toString();
    }
}

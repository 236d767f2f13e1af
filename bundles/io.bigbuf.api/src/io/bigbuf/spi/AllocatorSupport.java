package io.bigbuf.spi;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.BufferOwner;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.CloseReason;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DeviceMapping;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.api.PciAddress;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The part of a {@link ContiguousAllocator} that is the same for every backend. A backend
 * implements {@link #allocateBuffer} and, where it has them, {@link #checkSatisfiable} and
 * {@link #largestContiguousFree()}; this class does the rest:
 * <ul>
 * <li><b>Lifecycle.</b> {@link #shutdown()} waits for allocations in flight (they hold a read
 *     lock, it takes the write lock), then refuses new ones with
 *     {@link BackendUnavailableException} and closes every buffer.</li>
 * <li><b>Request checks</b> against {@link BackendInfo}: page size and
 *     {@link BackendInfo#maxAlignment() maximum alignment}.</li>
 * <li><b>Registry</b> of live buffers for {@link #buffers()}, held as {@link Retention} says.</li>
 * <li><b>Device mappings</b> ({@link DmaBuffer#mapFor}, {@link DmaBuffer#unmapFrom}): the closed
 *     and shutdown checks, the per-buffer registry of mappings and idempotence are here
 *     ({@link BufferSupport}); a backend that can map for devices says so in its
 *     {@link BackendInfo#deviceMapping()} and implements {@link #mapBuffer}, {@link #unmapBuffer}
 *     and {@link #translation}; a mapping made at allocation ({@link AllocationRequest#forDevice})
 *     it records with {@link BufferSupport#addInitialMapping}.</li>
 * <li><b>Owner</b> of every buffer ({@link DmaBuffer#owner()}): {@link #allocate} takes it from
 *     the calling thread's stack, the first frame of a bundle that is neither the API bundle nor
 *     the backend's (its {@code Class} found with a {@link StackWalker}, its bundle with
 *     {@code FrameworkUtil.getBundle}), the same way for every backend on this class. Not from a
 *     bundle-scoped service, which would name the client bundle by the framework: a backend is one
 *     DS component object registered as a singleton service, and SCR's ranking-based hot swap,
 *     the kernel backend's satisfying condition, the shell's diagnosis of a missing backend (the
 *     components that provide {@link ContiguousAllocator}) and the
 *     {@link io.bigbuf.memorymap.MemoryMapProvider} check of the shell and the web console all work
 *     on that object; a per-bundle facade would have to be written for every backend and keep each
 *     of these working. The price: a bundle that allocates through a library bundle's code finds
 *     the library named as the owner.</li>
 * <li><b>Counters</b> of {@link AllocatorStatistics}: a request, to allocate or to map a buffer
 *     for a device ({@link DmaBuffer#mapFor}), that fails with
 *     {@link InvalidAllocationRequestException} or {@link DeviceMappingException} counts as
 *     rejected, one that fails with
 *     {@link OutOfContiguousMemoryException} as a failure, wherever it was thrown (here, in the
 *     buffer's own checks, in the backend's checks, in its allocation or its mapping);
 *     {@link BackendUnavailableException}, and a request made on a closed buffer, count as
 *     neither. Registry and counters change under one lock, so the live buffers, bytes held
 *     and counters of a statistics snapshot agree with each other; the backend's largest free
 *     run is read just before, under the backend's own lock.</li>
 * </ul>
 * A failed call changes nothing but those counters, provided the backend's
 * {@link #allocateBuffer} undoes its own partial work before it throws.
 *
 * @param <B> the backend's buffer type
 */
@ConsumerType
public abstract class AllocatorSupport<B extends BufferSupport> implements ContiguousAllocator {

    private final BackendInfo info;
    private final String name;
    private final Cleaner cleaner;
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean shutDown;
    private final AtomicLong nextId = new AtomicLong(1);

    private final Object books = new Object();
    // Guarded by books.
    private final Map<Long, Entry<B>> live = new TreeMap<>();
    private long bytesHeld;
    private long allocations;
    private long failures;
    private long rejected;

    /** A live buffer: its record, and the buffer itself held strongly or weakly (see {@link Retention}). */
    private record Entry<B>(BufferRecord record, B strong, WeakReference<B> weak) {
        B buffer() {
            return strong != null ? strong : weak.get();
        }
    }

    /**
     * A backend on the shared support layer.
     *
     * @param info      what the backend is; its page size and maximum alignment are enforced here
     * @param name      the backend in messages, e.g. {@code "mock backend"}
     * @param retention whether dropped buffers stay allocated until closed, or are released by a
     *                  Cleaner
     */
    protected AllocatorSupport(BackendInfo info, String name, Retention retention) {
        this.info = Objects.requireNonNull(info, "info");
        this.name = Objects.requireNonNull(name, "name");
        this.cleaner = switch (retention) {
            case UNTIL_CLOSED -> null;
            case WHILE_REACHABLE -> Cleaner.create(r -> {
                Thread t = new Thread(r, "bigbuf-" + info.name() + "-cleaner");
                t.setDaemon(true);
                return t;
            });
        };
    }

    /**
     * The backend's allocation: find memory for a request that passed every check, map it, and
     * return a new buffer on a record from {@link #newRecord}. Called with the lifecycle read
     * lock held, possibly from several threads at once.
     *
     * @param request   the request, already checked against the {@link BackendInfo}
     * @param alignment the effective alignment (page size for 0), at most the maximum alignment
     * @return the new buffer, open
     * @throws OutOfContiguousMemoryException not now; the backend has undone its partial work
     * @throws InvalidAllocationRequestException the backend found out only now that it never can
     * @throws BackendUnavailableException the backend's resource is gone
     */
    protected abstract B allocateBuffer(AllocationRequest request, long alignment);

    /**
     * Rejects requests that this backend could not satisfy even with all its memory free, e.g.
     * larger than its memory. The page size and alignment limits are checked before.
     *
     * @param request   the request
     * @param alignment the effective alignment
     * @throws InvalidAllocationRequestException the request can never succeed here
     */
    protected void checkSatisfiable(AllocationRequest request, long alignment) {
    }

    /**
     * The largest free contiguous range now, if the backend can know it without trying.
     *
     * @return bytes, or empty (the default)
     */
    protected OptionalLong largestContiguousFree() {
        return OptionalLong.empty();
    }

    /**
     * How PCI function {@code device} sees memory through this backend. Backends that map for
     * devices override it.
     *
     * @param device the PCI function
     * @return how its DMA addresses relate to physical memory
     * @throws DeviceMappingException no such function; {@link DeviceMappingException.Reason#UNSUPPORTED}
     *         by default
     */
    @Override
    public DmaTranslation translation(PciAddress device) {
        throw unsupported(device);
    }

    /**
     * The backend's mapping of one of its open buffers for a further device. Called at most once at
     * a time per buffer, with the lifecycle read lock held. Must change nothing when it throws.
     *
     * @param buffer           an open buffer of this backend
     * @param device           the function
     * @param maxDeviceAddress the function's address limit, {@link AllocationRequest#NO_ADDRESS_LIMIT}
     *                         for its default
     * @param deviceReadOnly   whether the function may only read the buffer
     * @return the new mapping
     * @throws DeviceMappingException the function cannot have it
     * @throws OutOfContiguousMemoryException no room below the limit in the function's address space
     */
    protected DeviceMapping mapBuffer(B buffer, PciAddress device, long maxDeviceAddress, boolean deviceReadOnly) {
        throw unsupported(device);
    }

    /**
     * Ends a mapping made by {@link #mapBuffer} or at allocation, of an open buffer. Mappings of a
     * buffer that is released end with it: the backend's release takes care of them.
     *
     * @param buffer  an open buffer of this backend
     * @param mapping one of its mappings
     */
    protected void unmapBuffer(B buffer, DeviceMapping mapping) {
        throw new IllegalStateException("the " + name + " made no mapping to undo: " + mapping);
    }

    /**
     * Records a mapping the backend made while allocating {@code buffer} (for a request with
     * {@link AllocationRequest#forDevice a device}), before {@link #allocateBuffer} returns it.
     * Since 1.1.
     *
     * @param buffer  the buffer being allocated
     * @param mapping its mapping for the request's device
     */
    protected final void addInitialMapping(B buffer, DeviceMapping mapping) {
        buffer.addInitialMapping(mapping);
    }

    /**
     * Adds state to tear down when {@code buffer} is released, before its memory goes (see
     * {@link BufferRecord#addReleaseAction}); e.g. a device mapping's IOVA range. Since 1.1.
     *
     * @param buffer a buffer of this backend
     * @param action what to undo, run once
     * @throws IllegalStateException the buffer is released already
     */
    protected final void addReleaseAction(B buffer, Runnable action) {
        buffer.record().addReleaseAction(action);
    }

    /**
     * The exception for a backend that cannot map for devices.
     *
     * @param device the function asked for
     * @return the exception, with reason {@link DeviceMappingException.Reason#UNSUPPORTED}
     */
    protected final DeviceMappingException unsupported(PciAddress device) {
        return new DeviceMappingException(device, DeviceMappingException.Reason.UNSUPPORTED, "the " + name
                + " cannot map buffers for PCI functions (" + info.description() + ")");
    }

    @SuppressWarnings("unchecked") // a buffer's record names its allocator, whose allocateBuffer made it a B
    final DeviceMapping map(BufferSupport buffer, PciAddress device, long maxDeviceAddress, boolean deviceReadOnly) {
        lifecycle.readLock().lock();
        try {
            ensureRunning();
            try {
                if (!info.deviceMapping()) {
                    throw unsupported(device);
                }
                return mapBuffer((B) buffer, device, maxDeviceAddress, deviceReadOnly);
            } catch (InvalidAllocationRequestException | DeviceMappingException | OutOfContiguousMemoryException e) {
                count(e);
                throw e;
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @SuppressWarnings("unchecked") // as in map
    final void unmap(BufferSupport buffer, DeviceMapping mapping) {
        lifecycle.readLock().lock();
        try {
            unmapBuffer((B) buffer, mapping);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void ensureRunning() {
        if (shutDown) {
            throw new BackendUnavailableException("the " + name + " has been shut down; its buffers are closed."
                    + " Look up the ContiguousAllocator service again");
        }
    }

    /**
     * How the message for an alignment above {@link BackendInfo#maxAlignment()} names that limit.
     *
     * @param maxAlignment the limit in bytes
     * @return the words that follow "above" in the message
     */
    protected String describeMaxAlignment(long maxAlignment) {
        return "the largest the " + name + " supports, " + ByteSize.format(maxAlignment);
    }

    /**
     * A record for a buffer the backend has just allocated; call it once nothing can fail any more,
     * since it takes the next id.
     *
     * @param request   what was asked for: size and label
     * @param bytesHeld what the backend holds for it (page-rounded)
     * @param physicalAddress the physical address of its first byte
     * @param release   gives the memory back; must not refer to the buffer (see {@link BufferRecord})
     * @return the record, with a new id
     */
    protected final BufferRecord newRecord(AllocationRequest request, long bytesHeld, long physicalAddress,
            Runnable release) {
        return newRecord(request, bytesHeld, physicalAddress, Contiguity.PHYSICAL, -1, release);
    }

    /**
     * As {@link #newRecord(AllocationRequest, long, long, Runnable)}, for a buffer of the given
     * contiguity ({@code physicalAddress} is ignored for {@link Contiguity#DEVICE}) on a NUMA node
     * (-1 if unknown or several). Since 1.1.
     *
     * @param request         what was asked for: size and label
     * @param bytesHeld       what the backend holds for it (page-rounded)
     * @param physicalAddress the physical address of its first byte
     * @param contiguity      in what sense it is contiguous
     * @param numaNode        its node, or -1
     * @param release         gives the memory back; must not refer to the buffer
     * @return the record, with a new id
     */
    protected final BufferRecord newRecord(AllocationRequest request, long bytesHeld, long physicalAddress,
            Contiguity contiguity, int numaNode, Runnable release) {
        return new BufferRecord(this, nextId.getAndIncrement(), request.size(), bytesHeld,
                contiguity == Contiguity.DEVICE ? -1 : physicalAddress, request.label(),
                Objects.requireNonNull(contiguity, "contiguity"), numaNode, Objects.requireNonNull(release, "release"));
    }

    @Override
    public final DmaBuffer allocate(AllocationRequest request) {
        Objects.requireNonNull(request, "request");
        Optional<BufferOwner> owner = CallerBundle.of(getClass());
        lifecycle.readLock().lock();
        try {
            ensureRunning();
            B buffer;
            try {
                if (request.device() != null && !info.deviceMapping()) {
                    throw unsupported(request.device());
                }
                long alignment = request.effectiveAlignment(info.pageSize());
                if (info.maxAlignment() >= 0 && alignment > info.maxAlignment()) {
                    throw new InvalidAllocationRequestException("alignment " + ByteSize.format(alignment)
                            + " is above " + describeMaxAlignment(info.maxAlignment()));
                }
                checkSatisfiable(request, alignment);
                buffer = allocateBuffer(request, alignment);
            } catch (InvalidAllocationRequestException | DeviceMappingException | OutOfContiguousMemoryException e) {
                count(e);
                throw e;
            }
            register(buffer, owner);
            return buffer;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Counts a request the buffer itself turned down before asking the backend (see {@link BufferSupport#mapFor}). */
    final void countRejected(RuntimeException e) {
        count(e);
    }

    private void count(RuntimeException e) {
        synchronized (books) {
            if (e instanceof InvalidAllocationRequestException || e instanceof DeviceMappingException) {
                rejected++;
            } else {
                failures++;
            }
        }
    }

    private void register(B buffer, Optional<BufferOwner> owner) {
        BufferRecord record = buffer.record();
        if (record.allocator() != this) {
            throw new IllegalStateException("allocateBuffer returned a buffer of another allocator: " + buffer);
        }
        Entry<B> entry = cleaner == null ? new Entry<>(record, buffer, null)
                : new Entry<>(record, null, new WeakReference<>(buffer));
        record.owner(owner);
        synchronized (books) {
            live.put(record.id(), entry);
            bytesHeld += record.bytesHeld();
            allocations++;
        }
    }

    /** Called once per record when its buffer is released. */
    final void unregister(BufferRecord record) {
        synchronized (books) {
            if (live.remove(record.id()) != null) {
                bytesHeld -= record.bytesHeld();
            }
        }
    }

    /** The Cleaner for {@link Retention#WHILE_REACHABLE}, else null. */
    final Cleaner cleaner() {
        return cleaner;
    }

    @Override
    public final List<DmaBuffer> buffers() {
        List<DmaBuffer> open = new ArrayList<>();
        synchronized (books) {
            for (Entry<B> entry : live.values()) {
                B buffer = entry.buffer();
                if (buffer != null && !buffer.isClosed()) {
                    open.add(buffer);
                }
            }
        }
        return List.copyOf(open);
    }

    @Override
    public final BackendInfo backendInfo() {
        return info;
    }

    @Override
    public final AllocatorStatistics statistics() {
        // Asked outside the books lock: the backend takes its own lock for it.
        OptionalLong largestFree = largestContiguousFree();
        synchronized (books) {
            return new AllocatorStatistics(live.size(), bytesHeld, largestFree, allocations, failures, rejected);
        }
    }

    /**
     * Whether {@link #shutdown()} has been called.
     *
     * @return true once shut down
     */
    public final boolean isShutDown() {
        return shutDown;
    }

    /**
     * Refuses further allocations and releases every buffer: buffers still referenced are closed
     * (their segments throw from now on), ones the program dropped are released now rather than by
     * the Cleaner later. Waits for allocations in progress, so none can slip past it. Idempotent.
     */
    public final void shutdown() {
        lifecycle.writeLock().lock();
        try {
            shutDown = true;
        } finally {
            lifecycle.writeLock().unlock();
        }
        List<Entry<B>> entries;
        synchronized (books) {
            entries = new ArrayList<>(live.values());
        }
        for (Entry<B> entry : entries) {
            B buffer = entry.buffer();
            if (buffer != null) {
                buffer.close(CloseReason.BACKEND_GONE);
            } else {
                entry.record().release();
            }
        }
    }

    @Override
    public String toString() {
        return "bigbuf " + name + ": " + info.description();
    }
}

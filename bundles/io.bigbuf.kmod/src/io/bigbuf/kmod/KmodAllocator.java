package io.bigbuf.kmod;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * {@link ContiguousAllocator} on the bigbuf kernel module. Plain Java (usable without OSGi);
 * {@link KmodAllocatorComponent} is its DS face.
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
 * {@link Cleaner} (with a warning); {@link #shutdown()} releases all of them.
 *
 * <p>Failed calls change nothing: a request rejected here never reaches the kernel, and a failure
 * after {@code BIGBUF_IOC_ALLOC} undoes the allocation before throwing.
 */
public final class KmodAllocator implements ContiguousAllocator {

    private static final Logger LOG = System.getLogger(KmodAllocator.class.getName());

    /** Retries of an allocation the kernel aborted because a signal arrived (EINTR). */
    private static final int EINTR_RETRIES = 5;

    private final Path device;
    private final DeviceInfo deviceInfo;
    private final BackendInfo backendInfo;
    private final Cleaner cleaner = Cleaner.create(r -> {
        Thread t = new Thread(r, "bigbuf-kmod-cleaner");
        t.setDaemon(true);
        return t;
    });
    /** Shutdown takes the write lock: it waits for allocations in flight and no new one starts. */
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final Map<Long, LiveBuffer> live = new ConcurrentSkipListMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final AtomicLong allocations = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private volatile boolean shutDown;

    /**
     * A live buffer: its release action, and the handle only while the program still references
     * it or a segment of it (weak: this map must not keep a forgotten buffer alive).
     */
    private record LiveBuffer(BufferRelease release, Cleaner.Cleanable cleanable, WeakReference<KmodBuffer> handle) {
    }

    /**
     * @param device     path of the device node
     * @param deviceInfo what {@code BIGBUF_IOC_INFO} reported; must be of {@link BigbufAbi#ABI_VERSION}
     */
    public KmodAllocator(Path device, DeviceInfo deviceInfo) {
        if (deviceInfo.abiVersion() != BigbufAbi.ABI_VERSION) {
            throw new IllegalArgumentException(device + " speaks bigbuf ABI version " + deviceInfo.abiVersion()
                    + ", this bundle speaks " + BigbufAbi.ABI_VERSION);
        }
        this.device = device;
        this.deviceInfo = deviceInfo;
        this.backendInfo = new BackendInfo(AllocatorServiceProperties.BACKEND_KMOD,
                String.format("%s, bigbuf module ABI %d, %s RAM, strategies %s, alignment up to %s", device,
                        deviceInfo.abiVersion(), ByteSize.format(deviceInfo.totalRam()), deviceInfo.strategyNames(),
                        ByteSize.format(deviceInfo.maxAlign())),
                true, deviceInfo.pageSize(), deviceInfo.maxBlockSize(), deviceInfo.totalRam());
    }

    @Override
    public DmaBuffer allocate(AllocationRequest request) {
        lifecycle.readLock().lock();
        try {
            if (shutDown) {
                throw new BackendUnavailableException("the kernel module backend on " + device
                        + " has been shut down; its buffers are closed. Look up the ContiguousAllocator service again");
            }
            long alignment;
            try {
                alignment = checkRequest(request);
            } catch (InvalidAllocationRequestException e) {
                rejected.incrementAndGet();
                throw e;
            }
            return allocateInKernel(request, alignment);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Rejects here what the kernel would reject, so that a bad request never reaches the module. */
    private long checkRequest(AllocationRequest request) {
        long alignment = request.effectiveAlignment(deviceInfo.pageSize());
        if (alignment > deviceInfo.maxAlign()) {
            throw new InvalidAllocationRequestException("alignment " + ByteSize.format(alignment)
                    + " is above the largest the bigbuf module supports, " + ByteSize.format(deviceInfo.maxAlign()));
        }
        if (request.size() > deviceInfo.maxAllocSize()) {
            throw new InvalidAllocationRequestException(ByteSize.format(request.size())
                    + " is more than this machine's RAM (the bigbuf module accepts at most "
                    + ByteSize.format(deviceInfo.maxAllocSize()) + ")");
        }
        return alignment;
    }

    private DmaBuffer allocateInKernel(AllocationRequest request, long alignment) {
        long maxAddr = request.hasAddressLimit() ? request.maxAddress() : 0; // 0: no limit in the ABI
        KmodDevice file;
        try {
            file = KmodDevice.open(device);
        } catch (NativeCallException e) {
            throw counted(ErrnoTranslation.toApiException(e, request.size()));
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
            throw counted(ErrnoTranslation.toApiException(e, request.size()));
        } finally {
            closeQuietly(file);
        }
        return track(request, allocation, address);
    }

    /** Counts a failed allocation the way {@link AllocatorStatistics} defines its counters. */
    private BigbufException counted(BigbufException e) {
        if (e instanceof InvalidAllocationRequestException) {
            rejected.incrementAndGet();
        } else if (e instanceof OutOfContiguousMemoryException) {
            failures.incrementAndGet();
        }
        return e;
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

    private DmaBuffer track(AllocationRequest request, KernelAllocation allocation, long address) {
        long id = nextId.getAndIncrement();
        long held = allocation.actualSize();
        BufferRelease release = new BufferRelease(this, id, request.size(), address, held, request.label());
        KmodBuffer buffer = new KmodBuffer(release, cleaner, Arena.ofShared(), allocation.physAddr(), address);
        live.put(id, new LiveBuffer(release, buffer.cleanable(), new WeakReference<>(buffer)));
        allocations.incrementAndGet();
        LOG.log(Level.DEBUG, () -> "allocated " + buffer + " by strategy "
                + BigbufAbi.STRATEGIES.get(allocation.strategy()));
        return buffer;
    }

    /**
     * The release action of every buffer, run once per buffer (see {@link BufferRelease}). On a
     * close or shutdown the buffer's arena is closed already, and with it the mapping; from the
     * Cleaner nothing can reach the memory any more, so unmapping here is safe.
     */
    void release(BufferRelease release) {
        if (!release.claim()) {
            return;
        }
        if (!release.wasClosedByOwner()) {
            LOG.log(Level.WARNING, "buffer #{0} ({1}{2}) was garbage-collected without close(); unmapping it now."
                    + " Close DmaBuffers explicitly (try-with-resources)", release.id(),
                    ByteSize.format(release.size()), release.label().isEmpty() ? "" : ", " + release.label());
        }
        try {
            release.unmapOnce();
        } finally {
            live.remove(release.id());
        }
    }

    static void unmapLogged(long address, long length, long id) {
        try {
            KmodDevice.unmap(address, length);
        } catch (NativeCallException e) {
            LOG.log(Level.ERROR, "cannot unmap buffer #{0}: {1}", id, e.getMessage());
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

    @Override
    public List<DmaBuffer> buffers() {
        List<DmaBuffer> result = new ArrayList<>();
        for (LiveBuffer b : live.values()) {
            KmodBuffer buffer = b.handle().get();
            if (buffer != null && !buffer.isClosed()) {
                result.add(buffer);
            }
        }
        return List.copyOf(result);
    }

    @Override
    public BackendInfo backendInfo() {
        return backendInfo;
    }

    /** What the module reported when this allocator was created. */
    public DeviceInfo deviceInfo() {
        return deviceInfo;
    }

    @Override
    public AllocatorStatistics statistics() {
        int count = 0;
        long held = 0;
        for (LiveBuffer b : live.values()) {
            count++;
            held += b.release().bytesHeld();
        }
        // The module cannot tell the largest free contiguous range without trying.
        return new AllocatorStatistics(count, held, OptionalLong.empty(), allocations.get(), failures.get(),
                rejected.get());
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

    /**
     * Releases every buffer and refuses further allocations. Idempotent. Waits for allocations in
     * progress, so none can slip past it.
     */
    public void shutdown() {
        lifecycle.writeLock().lock();
        try {
            shutDown = true;
        } finally {
            lifecycle.writeLock().unlock();
        }
        for (LiveBuffer b : live.values()) {
            KmodBuffer buffer = b.handle().get();
            if (buffer != null) {
                buffer.close(); // closes the arena first: its segments throw from now on
            } else {
                // Dropped unclosed, the Cleaner's turn has come: release it now rather than later.
                b.cleanable().clean();
            }
        }
    }

    @Override
    public String toString() {
        return "bigbuf kernel module backend: " + backendInfo.description();
    }
}

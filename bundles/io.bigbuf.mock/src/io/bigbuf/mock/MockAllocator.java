package io.bigbuf.mock;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import io.bigbuf.mock.model.PhysicalRange;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * {@link ContiguousAllocator} over a {@link PhysicalMemoryModel}: the model decides the fake
 * physical address, an {@link Arena#ofShared() shared arena} per buffer supplies real zeroed
 * memory. Plain Java, so it can be tested and embedded without OSGi; {@link MockAllocatorComponent}
 * is the DS face.
 *
 * <p>All state changes happen under one lock and in an order that leaves nothing behind on
 * failure: a rejected or failed request changes no page, buffer or counter other than the
 * failure counters.
 */
public final class MockAllocator implements ContiguousAllocator {

    /** Largest alignment the kernel module accepts (its ioctl returns EINVAL above); the mock agrees. */
    public static final long MAX_ALIGNMENT = 1L << 30;

    private final PhysicalMemoryModel model;
    private final BackendInfo info;
    private final int failEvery;
    private final Object lock = new Object();
    private final Map<Long, MockBuffer> live = new LinkedHashMap<>();
    private long nextId = 1;
    private long attempts;
    private long allocations;
    private long failures;
    private long rejected;
    private boolean shutDown;

    /**
     * @param model       the simulated memory, already fragmented; owned by this allocator from now on
     * @param description shown in {@link BackendInfo#description()}
     * @param failEvery   0, or n to fail every n-th valid allocation (failure injection)
     */
    public MockAllocator(PhysicalMemoryModel model, String description, int failEvery) {
        if (failEvery < 0) {
            throw new IllegalArgumentException("failure.every must be >= 0, got " + failEvery);
        }
        this.model = model;
        this.failEvery = failEvery;
        this.info = new BackendInfo(AllocatorServiceProperties.BACKEND_MOCK, description, false,
                model.pageSize(), model.maxBlockSize(), model.totalBytes());
    }

    @Override
    public DmaBuffer allocate(AllocationRequest request) {
        synchronized (lock) {
            ensureRunning();
            long alignment;
            try {
                alignment = request.effectiveAlignment(model.pageSize());
                checkSatisfiable(request);
            } catch (InvalidAllocationRequestException e) {
                rejected++;
                throw e;
            }
            attempts++;
            if (failEvery > 0 && attempts % failEvery == 0) {
                failures++;
                throw new OutOfContiguousMemoryException(request.size(), model.largestFreeRun(),
                        "injected failure: every " + failEvery + ". allocation fails (mock failure.every="
                                + failEvery + ")");
            }
            PhysicalRange range = model.reserve(request.size(), alignment, request.maxAddress()).orElse(null);
            if (range == null) {
                failures++;
                long largest = model.largestFreeRun();
                throw new OutOfContiguousMemoryException(request.size(), largest, "no contiguous "
                        + ByteSize.format(request.size()) + describeConstraints(request, alignment)
                        + " is free; largest free run is " + ByteSize.format(largest) + " ("
                        + ByteSize.format(model.totalBytes() - model.reservedBytes()) + " free in total)");
            }
            Arena arena = Arena.ofShared();
            MemorySegment segment;
            try {
                // Arena allocations are zero-initialised: no stale data from an earlier buffer.
                segment = arena.allocate(request.size(), model.pageSize());
            } catch (OutOfMemoryError e) {
                arena.close();
                model.release(range);
                failures++;
                throw new OutOfContiguousMemoryException(request.size(), -1, "the JVM process cannot get "
                        + ByteSize.format(request.size()) + " of off-heap memory to back the mock buffer");
            }
            MockBuffer buffer = new MockBuffer(this, nextId++, request.size(), range, request.label(), arena, segment);
            live.put(buffer.id(), buffer);
            allocations++;
            return buffer;
        }
    }

    @Override
    public List<DmaBuffer> buffers() {
        synchronized (lock) {
            return List.copyOf(live.values());
        }
    }

    @Override
    public BackendInfo backendInfo() {
        return info;
    }

    @Override
    public AllocatorStatistics statistics() {
        synchronized (lock) {
            return new AllocatorStatistics(live.size(), model.reservedBytes(),
                    OptionalLong.of(model.largestFreeRun()), allocations, failures, rejected);
        }
    }

    /**
     * Closes every live buffer and refuses further allocations. Idempotent. Called when the
     * backend goes away, so that no buffer outlives the memory model it was placed in.
     */
    public void shutdown() {
        List<MockBuffer> toClose;
        synchronized (lock) {
            shutDown = true;
            toClose = new ArrayList<>(live.values());
        }
        toClose.forEach(MockBuffer::close);
    }

    /** Called by {@link MockBuffer#close()} exactly once per buffer. */
    void release(MockBuffer buffer) {
        synchronized (lock) {
            if (live.remove(buffer.id()) != null) {
                model.release(buffer.physicalRange());
            }
        }
    }

    private void ensureRunning() {
        if (shutDown) {
            throw new BackendUnavailableException("the mock backend has been shut down; its buffers are closed."
                    + " Look up the ContiguousAllocator service again");
        }
    }

    /** Rejects requests that could not succeed even with all memory free. */
    private void checkSatisfiable(AllocationRequest request) {
        if (request.alignment() > MAX_ALIGNMENT) {
            throw new InvalidAllocationRequestException("alignment " + ByteSize.format(request.alignment())
                    + " is above the 1 GiB maximum of the bigbuf backends");
        }
        if (model.pagesFor(request.size()) > model.pageCount()) {
            throw new InvalidAllocationRequestException(ByteSize.format(request.size())
                    + " is more than the mock's whole simulated memory of " + ByteSize.format(model.totalBytes())
                    + " (configure memory.size of PID " + MockAllocatorComponent.PID + ")");
        }
        if (request.hasAddressLimit()) {
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

    private static String describeConstraints(AllocationRequest request, long alignment) {
        StringBuilder s = new StringBuilder();
        s.append(" range aligned to ").append(ByteSize.format(alignment));
        if (request.hasAddressLimit()) {
            s.append(" below 0x").append(Long.toHexString(request.maxAddress() + 1));
        }
        return s.toString();
    }
}

package io.bigbuf.mock;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import io.bigbuf.mock.model.PhysicalRange;
import io.bigbuf.spi.AllocatorSupport;
import io.bigbuf.spi.ArenaBuffer;
import io.bigbuf.spi.BufferRecord;
import io.bigbuf.spi.Retention;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.OptionalLong;
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
 * <p>The support layer ({@link AllocatorSupport}) does the lifecycle, checks, registry and
 * counters; this class only places buffers in the model. A buffer stays allocated until closed
 * ({@link Retention#UNTIL_CLOSED}): simulated memory costs the machine nothing, and
 * {@code bigbuf:free} can still reach a buffer its program forgot.
 */
@Component(service = ContiguousAllocator.class, configurationPid = MockAllocator.PID, immediate = true,
        property = {
            "service.ranking:Integer=" + AllocatorServiceProperties.RANKING_MOCK,
            AllocatorServiceProperties.BACKEND + "=" + AllocatorServiceProperties.BACKEND_MOCK,
            "service.description=bigbuf mock backend (simulated physical memory)"
        })
@Designate(ocd = MockConfiguration.class)
public final class MockAllocator extends AllocatorSupport<ArenaBuffer> {

    /** Configuration PID; see {@link MockConfiguration} for the properties. */
    public static final String PID = "io.bigbuf.mock";

    /** The model is not thread-safe: every use of it holds its monitor. */
    private final PhysicalMemoryModel model;
    private final int failEvery;
    private long attempts; // guarded by model

    /**
     * @param model       the simulated memory, already fragmented; owned by this allocator from now on
     * @param description shown in {@link BackendInfo#description()}
     * @param failEvery   0, or n to fail every n-th valid allocation (failure injection)
     */
    public MockAllocator(PhysicalMemoryModel model, String description, int failEvery) {
        super(new BackendInfo(AllocatorServiceProperties.BACKEND_MOCK, description, false, model.pageSize(),
                model.maxBlockSize(), model.totalBytes(), SimulatedMachine.MAX_ALIGNMENT), "mock backend",
                Retention.UNTIL_CLOSED);
        this.model = model;
        this.failEvery = checkFailEvery(failEvery);
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
        this(machine.model(), machine.description(), machine.failEvery());
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
        if (model.pagesFor(request.size()) > model.pageCount()) {
            throw new InvalidAllocationRequestException(ByteSize.format(request.size())
                    + " is more than the mock's whole simulated memory of " + ByteSize.format(model.totalBytes())
                    + " (configure memory.size of PID " + PID + ")");
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

    @Override
    protected ArenaBuffer allocateBuffer(AllocationRequest request, long alignment) {
        synchronized (model) {
            attempts++;
            if (failEvery > 0 && attempts % failEvery == 0) {
                throw new OutOfContiguousMemoryException(request.size(), model.largestFreeRun(),
                        "injected failure: every " + failEvery + ". allocation fails (mock failure.every="
                                + failEvery + ")");
            }
            PhysicalRange range = model.reserve(request.size(), alignment, request.maxAddress()).orElse(null);
            if (range == null) {
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
                throw new OutOfContiguousMemoryException(request.size(), -1, "the JVM process cannot get "
                        + ByteSize.format(request.size()) + " of off-heap memory to back the mock buffer");
            }
            BufferRecord record = newRecord(request, range.length(), range.address(), () -> release(range));
            return new ArenaBuffer(record, arena, segment);
        }
    }

    /** A buffer's release action: its arena is closed already, so the pages can be reused. */
    private void release(PhysicalRange range) {
        synchronized (model) {
            model.release(range);
        }
    }

    @Override
    protected OptionalLong largestContiguousFree() {
        synchronized (model) {
            return OptionalLong.of(model.largestFreeRun());
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

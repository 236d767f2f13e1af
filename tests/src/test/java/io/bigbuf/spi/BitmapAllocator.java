package io.bigbuf.spi;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;

/**
 * A backend written against the support layer and nothing else, for tests: first fit over a
 * bitmap of simulated pages, each buffer backed by ordinary off-heap memory. It is only the
 * allocation logic; lifecycle, checks, registry, counters and close semantics are the layer's.
 */
final class BitmapAllocator extends AllocatorSupport<ArenaBuffer> {

    static final long PAGE = 4096;
    static final long MAX_ALIGNMENT = 1L << 20;

    private final int pages;
    private final BitSet used; // guarded by itself

    BitmapAllocator(int pages, Retention retention) {
        this(pages, retention, MAX_ALIGNMENT);
    }

    /** @param maxAlignment for {@link BackendInfo#maxAlignment()}, -1 for a backend that does not say */
    BitmapAllocator(int pages, Retention retention, long maxAlignment) {
        super(new BackendInfo("bitmap", pages + " simulated pages", false, PAGE, PAGE, pages * PAGE, maxAlignment),
                "bitmap test backend", retention);
        this.pages = pages;
        this.used = new BitSet(pages);
    }

    @Override
    protected void checkSatisfiable(AllocationRequest request, long alignment) {
        if (pagesFor(request.size()) > pages) {
            throw new InvalidAllocationRequestException(request.size() + " bytes is more than all " + pages + " pages");
        }
    }

    @Override
    protected ArenaBuffer allocateBuffer(AllocationRequest request, long alignment) {
        int count = (int) pagesFor(request.size());
        long step = Math.max(1, alignment / PAGE);
        synchronized (used) {
            for (long first = 0; first + count <= pages; first += step) {
                if (request.hasAddressLimit() && first * PAGE + request.size() - 1 > request.maxAddress()) {
                    break;
                }
                int from = (int) first;
                if (used.get(from, from + count).isEmpty()) {
                    Arena arena = Arena.ofShared();
                    MemorySegment segment = arena.allocate(request.size(), PAGE);
                    used.set(from, from + count);
                    BufferRecord record = newRecord(request, count * PAGE, first * PAGE, () -> {
                        // Closed already unless the Cleaner got here first: then nothing reaches it.
                        if (arena.scope().isAlive()) {
                            arena.close();
                        }
                        free(from, count);
                    });
                    return new ArenaBuffer(record, arena, segment);
                }
            }
        }
        throw new OutOfContiguousMemoryException(request.size(), -1, "no free run of " + count + " pages");
    }

    private void free(int from, int count) {
        synchronized (used) {
            used.clear(from, from + count);
        }
    }

    /** Pages in use right now, as the bitmap sees it. */
    int usedPages() {
        synchronized (used) {
            return used.cardinality();
        }
    }

    private static long pagesFor(long size) {
        return Math.ceilDiv(size, PAGE);
    }
}

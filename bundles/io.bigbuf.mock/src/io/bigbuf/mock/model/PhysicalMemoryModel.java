package io.bigbuf.mock.model;

import java.util.BitSet;
import java.util.Optional;

/**
 * Page-level bookkeeping of a simulated physical address space, following the placement rules of
 * the bigbuf kernel module so that code tested against the mock meets the same constraints on
 * hardware:
 *
 * <ul>
 * <li>Memory is {@code pageSize} pages grouped into max-order blocks of {@code pageSize << maxOrder}
 * bytes (4 MiB with 4 KiB pages and order 10, as Linux's buddy allocator).</li>
 * <li>A request is rounded up to whole pages. Up to one max-order block it is served like
 * {@code alloc_pages_exact}: placed at the natural alignment of the smallest buddy order that
 * holds it. Larger requests are served like {@code alloc_contig_range}: aligned to a max-order
 * block. A caller's alignment is honoured on top.</li>
 * <li>The last page must lie at or below the caller's {@code maxAddress} (DMA limit).</li>
 * <li>Placement is the highest free range that fits, mirroring the kernel's zone fallback
 * (Normal, then DMA32, then DMA), which keeps low memory free for address-limited devices.</li>
 * <li>Freed pages merge with free neighbours at once (buddy coalescing), so a range is available
 * again as soon as nothing inside it is reserved or pinned.</li>
 * <li>Pinned pages stand for unmovable kernel allocations: they fragment memory and are never
 * handed out.</li>
 * </ul>
 *
 * <p>Not thread-safe; the owning allocator serialises access.
 */
public final class PhysicalMemoryModel {

    private final long base;
    private final long pageSize;
    private final int maxOrder;
    private final long pageCount;
    /** Pages that are reserved by a buffer or pinned. */
    private final BitSet used;
    private final BitSet pinned;
    private long reservedPages;

    /**
     * @param base       physical address of the first page, aligned to a max-order block
     * @param totalBytes size of the address space, a positive multiple of the max-order block
     * @param pageSize   a power of two, at least 512
     * @param maxOrder   largest buddy order, 0..20 (Linux: 10)
     * @throws IllegalArgumentException an inconsistent layout
     */
    public PhysicalMemoryModel(long base, long totalBytes, long pageSize, int maxOrder) {
        if (pageSize < 512 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two >= 512, got " + pageSize);
        }
        if (maxOrder < 0 || maxOrder > 20) {
            throw new IllegalArgumentException("max order must be within 0..20, got " + maxOrder);
        }
        long block = pageSize << maxOrder;
        if (totalBytes <= 0 || totalBytes % block != 0) {
            throw new IllegalArgumentException("memory size must be a positive multiple of the "
                    + block / 1024 + " KiB max-order block, got " + totalBytes + " bytes");
        }
        if (base < 0 || base % block != 0) {
            throw new IllegalArgumentException("base address must be a non-negative multiple of the "
                    + block / 1024 + " KiB max-order block, got 0x" + Long.toHexString(base));
        }
        if (base > Long.MAX_VALUE - totalBytes) {
            throw new IllegalArgumentException("base + size exceeds the 63-bit physical address range");
        }
        long pages = totalBytes / pageSize;
        if (pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("memory size too large to simulate: " + pages + " pages");
        }
        this.base = base;
        this.pageSize = pageSize;
        this.maxOrder = maxOrder;
        this.pageCount = pages;
        this.used = new BitSet((int) pages);
        this.pinned = new BitSet((int) pages);
    }

    public long base() {
        return base;
    }

    public long pageSize() {
        return pageSize;
    }

    public long totalBytes() {
        return pageCount * pageSize;
    }

    public long maxBlockSize() {
        return pageSize << maxOrder;
    }

    public long pageCount() {
        return pageCount;
    }

    public long reservedBytes() {
        return reservedPages * pageSize;
    }

    public long pinnedPages() {
        return pinned.cardinality();
    }

    public boolean isPinned(long pageIndex) {
        return pinned.get(checkedPage(pageIndex));
    }

    /**
     * Marks one free page as permanently unavailable (an unmovable allocation).
     *
     * @throws IllegalArgumentException the page is out of range or not free
     */
    public void pin(long pageIndex) {
        int page = checkedPage(pageIndex);
        if (used.get(page)) {
            throw new IllegalArgumentException("page " + pageIndex + " is not free");
        }
        used.set(page);
        pinned.set(page);
    }

    /** Bytes a request of {@code size} occupies: whole pages. */
    public long pagesFor(long size) {
        return Math.ceilDiv(size, pageSize);
    }

    /**
     * The alignment a request gets: its own (already at least the page size), raised to the
     * natural alignment of the buddy block or contiguous range that serves it.
     */
    public long placementAlignment(long size, long alignment) {
        long pages = pagesFor(size);
        long blockPages = 1L << maxOrder;
        long natural = pages >= blockPages ? maxBlockSize() : Long.highestOneBit(pages - 1) * 2 * pageSize;
        return Math.max(Math.max(alignment, natural), pageSize);
    }

    /**
     * Reserves the highest free range of {@code size} bytes (rounded up to pages) that satisfies
     * the alignment and address limit. Leaves the model unchanged if none exists.
     *
     * @param size       bytes, positive
     * @param alignment  a power of two, at least the page size
     * @param maxAddress highest physical address the last reserved byte may have, inclusive
     * @return the reserved range, or empty if no free range fits now
     */
    public Optional<PhysicalRange> reserve(long size, long alignment, long maxAddress) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive");
        }
        if (alignment < pageSize || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two >= page size");
        }
        long pages = pagesFor(size);
        long limitPages = usablePagesBelow(maxAddress);
        if (pages > limitPages) {
            return Optional.empty();
        }
        long alignPages = placementAlignment(size, alignment) / pageSize;
        long start = alignDown(limitPages - pages, alignPages);
        while (start >= 0) {
            int lastUsed = used.previousSetBit((int) (start + pages - 1));
            if (lastUsed < start) {
                used.set((int) start, (int) (start + pages));
                reservedPages += pages;
                return Optional.of(new PhysicalRange(base + start * pageSize, pages * pageSize));
            }
            // Skip every candidate that would still contain lastUsed.
            start = alignDown(lastUsed - pages, alignPages);
        }
        return Optional.empty();
    }

    /**
     * Returns a range obtained from {@link #reserve} to the free pool.
     *
     * @throws IllegalArgumentException the range is not exactly a reserved one of this model
     */
    public void release(PhysicalRange range) {
        long first = (range.address() - base) / pageSize;
        long pages = range.length() / pageSize;
        if (range.address() < base || (range.address() - base) % pageSize != 0
                || range.length() % pageSize != 0 || pages <= 0 || first + pages > pageCount) {
            throw new IllegalArgumentException("not a range of this memory: " + range);
        }
        int from = (int) first;
        int to = (int) (first + pages);
        int pinnedInside = pinned.nextSetBit(from);
        if (used.nextClearBit(from) < to || pinnedInside >= 0 && pinnedInside < to) {
            throw new IllegalArgumentException("range is not fully reserved: " + range);
        }
        used.clear(from, to);
        reservedPages -= pages;
    }

    /** Largest run of free pages in bytes, ignoring alignment and address limits. */
    public long largestFreeRun() {
        long best = 0;
        int free = used.nextClearBit(0);
        while (free < pageCount) {
            int next = used.nextSetBit(free);
            int end = next < 0 ? (int) pageCount : next;
            best = Math.max(best, end - free);
            if (next < 0) {
                break;
            }
            free = used.nextClearBit(next);
        }
        return best * pageSize;
    }

    /**
     * One entry per max-order block, lowest first: 'P' if it holds a pinned page, else 'R' if it
     * holds a reserved (buffer) page, else 'F' (all free).
     */
    public char[] blockOccupancy() {
        int pagesPerBlock = 1 << maxOrder;
        int blocks = (int) (pageCount / pagesPerBlock);
        char[] out = new char[blocks];
        for (int b = 0; b < blocks; b++) {
            int from = b * pagesPerBlock;
            int to = from + pagesPerBlock;
            int p = pinned.nextSetBit(from);
            int u = used.nextSetBit(from);
            out[b] = p >= 0 && p < to ? 'P' : u >= 0 && u < to ? 'R' : 'F';
        }
        return out;
    }

    /** Number of pages whose last byte is at or below {@code maxAddress}. */
    private long usablePagesBelow(long maxAddress) {
        if (maxAddress < base) {
            return 0;
        }
        long span = maxAddress - base;
        if (span >= totalBytes() - 1) {
            return pageCount;
        }
        return (span + 1) / pageSize;
    }

    /** Largest page index {@code <= index} whose physical address is a multiple of alignPages pages. */
    private long alignDown(long index, long alignPages) {
        if (index < 0) {
            return -1;
        }
        long basePfn = base / pageSize;
        long aligned = Math.floorDiv(basePfn + index, alignPages) * alignPages - basePfn;
        return aligned;
    }

    private int checkedPage(long pageIndex) {
        if (pageIndex < 0 || pageIndex >= pageCount) {
            throw new IllegalArgumentException("page " + pageIndex + " is outside 0.." + (pageCount - 1));
        }
        return (int) pageIndex;
    }
}

package io.bigbuf.mock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PhysicalMemoryModelTest {

    private static final long PAGE = 4096;
    private static final long MIB = 1 << 20;
    private static final long BLOCK = 4 * MIB;
    private static final long NO_LIMIT = Long.MAX_VALUE;

    private static PhysicalMemoryModel model(long base, long size) {
        return new PhysicalMemoryModel(base, size, PAGE, 10);
    }

    @Test
    void randomAllocateFreeSequenceNeverOverlapsAndAccountsEveryPage() {
        PhysicalMemoryModel m = model(0, 256 * MIB);
        FragmentationPattern.RANDOM.apply(m, 30, 7);
        Random random = new Random(1234);
        List<PhysicalRange> live = new ArrayList<>();
        int granted = 0;
        for (int step = 0; step < 3000; step++) {
            if (!live.isEmpty() && random.nextInt(3) == 0) {
                m.release(live.remove(random.nextInt(live.size())));
                continue;
            }
            long size = 1 + random.nextLong(random.nextBoolean() ? 64 * 1024 : 12 * MIB);
            Optional<PhysicalRange> r = m.reserve(size, PAGE, NO_LIMIT);
            if (r.isEmpty()) {
                continue;
            }
            PhysicalRange range = r.get();
            granted++;
            assertTrue(range.length() >= size);
            for (PhysicalRange other : live) {
                assertFalse(range.overlaps(other), range + " overlaps " + other);
            }
            for (long page = range.address() / PAGE; page <= range.lastAddress() / PAGE; page++) {
                assertFalse(m.isPinned(page), "reserved a pinned page " + page);
            }
            live.add(range);
            assertEquals(live.stream().mapToLong(PhysicalRange::length).sum(), m.reservedBytes());
        }
        assertTrue(granted > 500, "the sequence should mostly succeed, granted " + granted);
        live.forEach(m::release);
        assertEquals(0, m.reservedBytes());
    }

    @Test
    void placesSmallRequestsAtTheirBuddyOrderAndHonoursLargerAlignment() {
        PhysicalMemoryModel m = model(0, 64 * MIB);
        // 3 pages -> order-2 block (16 KiB), 5 MiB -> a max-order aligned contiguous range.
        PhysicalRange threePages = m.reserve(3 * PAGE, PAGE, NO_LIMIT).orElseThrow();
        assertEquals(0, threePages.address() % (4 * PAGE));
        assertEquals(3 * PAGE, threePages.length());
        PhysicalRange large = m.reserve(5 * MIB, PAGE, NO_LIMIT).orElseThrow();
        assertEquals(0, large.address() % BLOCK);
        PhysicalRange aligned = m.reserve(PAGE, 2 * MIB, NO_LIMIT).orElseThrow();
        assertEquals(0, aligned.address() % (2 * MIB));
        PhysicalRange odd = m.reserve(100, PAGE, NO_LIMIT).orElseThrow();
        assertEquals(PAGE, odd.length(), "sizes round up to whole pages");
    }

    @Test
    void alignmentIsAbsoluteEvenWithAnUnalignedBase() {
        // base 4 MiB is block-aligned but not 8 MiB-aligned: 8 MiB alignment must still hold physically.
        PhysicalMemoryModel m = model(BLOCK, 64 * MIB);
        for (int i = 0; i < 3; i++) {
            PhysicalRange r = m.reserve(PAGE, 8 * MIB, NO_LIMIT).orElseThrow();
            assertEquals(0, r.address() % (8 * MIB), Long.toHexString(r.address()));
        }
    }

    @Test
    void respectsTheDmaLimitAndPrefersHighMemoryOtherwise() {
        PhysicalMemoryModel m = model(0, 1024 * MIB);
        long limit28 = (1L << 28) - 1;
        PhysicalRange unrestricted = m.reserve(MIB, PAGE, NO_LIMIT).orElseThrow();
        assertTrue(unrestricted.address() >= 1L << 28, "unrestricted requests leave low memory alone");
        List<PhysicalRange> low = new ArrayList<>();
        for (Optional<PhysicalRange> r; (r = m.reserve(8 * MIB, PAGE, limit28)).isPresent(); ) {
            assertTrue(r.get().lastAddress() <= limit28, r.get().toString());
            low.add(r.get());
        }
        assertEquals(32, low.size(), "exactly the 256 MiB below the 28-bit limit is usable");
        assertTrue(m.reserve(PAGE, PAGE, limit28).isEmpty());
        assertTrue(m.reserve(8 * MIB, PAGE, NO_LIMIT).isPresent(), "memory above the limit is still free");
    }

    @Test
    void limitBelowTheBaseOrSmallerThanTheRequestFindsNothing() {
        PhysicalMemoryModel m = model(1L << 32, 64 * MIB);
        assertTrue(m.reserve(PAGE, PAGE, 0xFFFF_FFFFL).isEmpty());
        assertTrue(m.reserve(2 * MIB, PAGE, (1L << 32) + MIB - 1).isEmpty());
        assertEquals(0, m.reservedBytes());
    }

    @Test
    void freedNeighboursCoalesceButOnlyBuddiesFormANaturallyAlignedBlock() {
        PhysicalMemoryModel m = model(0, BLOCK);
        List<PhysicalRange> quarters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            quarters.add(m.reserve(MIB, PAGE, NO_LIMIT).orElseThrow());
        }
        assertTrue(m.reserve(PAGE, PAGE, NO_LIMIT).isEmpty(), "memory is full");
        quarters.sort((a, b) -> Long.compare(a.address(), b.address()));
        m.release(quarters.get(1));
        m.release(quarters.get(2));
        assertEquals(2 * MIB, m.largestFreeRun(), "1..3 MiB is one free run");
        assertTrue(m.reserve(2 * MIB, PAGE, NO_LIMIT).isEmpty(),
                "but 1 MiB and 2 MiB are not buddies: an order-9 block must start at a 2 MiB boundary");
        m.release(quarters.get(3));
        PhysicalRange merged = m.reserve(2 * MIB, PAGE, NO_LIMIT).orElseThrow();
        assertEquals(2 * MIB, merged.address(), "2..4 MiB merged into one block");
        assertEquals(MIB, m.largestFreeRun());
    }

    @Test
    void stripedFragmentationExhaustsLargeRequestsButNotSmallOnes() {
        PhysicalMemoryModel m = model(0, 64 * MIB);
        FragmentationPattern.STRIPED.apply(m, 100, 0);
        assertEquals(16, m.pinnedPages());
        assertEquals(BLOCK / 2 - PAGE + BLOCK / 2, m.largestFreeRun(),
                "runs go from one block's middle page to the next block's middle page");
        assertTrue(m.reserve(BLOCK, PAGE, NO_LIMIT).isEmpty(), "no whole 4 MiB block is free");
        assertTrue(m.reserve(8 * MIB, PAGE, NO_LIMIT).isEmpty());
        assertEquals(0, m.reservedBytes(), "failed requests reserve nothing");
        for (int i = 0; i < 16; i++) {
            assertTrue(m.reserve(2 * MIB, PAGE, NO_LIMIT).isPresent(), "the lower half of each block is free");
        }
        assertTrue(m.reserve(2 * MIB, PAGE, NO_LIMIT).isEmpty(), "every upper half holds a pinned page");
        assertTrue(m.reserve(MIB, PAGE, NO_LIMIT).isPresent(), "the last quarter of a block is still free");
    }

    @Test
    void releaseRejectsForeignOrDoubleReleasedRanges() {
        PhysicalMemoryModel m = model(0, 16 * MIB);
        PhysicalRange r = m.reserve(MIB, PAGE, NO_LIMIT).orElseThrow();
        m.release(r);
        assertThrows(IllegalArgumentException.class, () -> m.release(r));
        assertThrows(IllegalArgumentException.class, () -> m.release(new PhysicalRange(123, PAGE)));
        assertThrows(IllegalArgumentException.class, () -> m.release(new PhysicalRange(32 * MIB, PAGE)));
        assertEquals(0, m.reservedBytes());
        m.pin(5);
        assertThrows(IllegalArgumentException.class, () -> m.release(new PhysicalRange(5 * PAGE, PAGE)),
                "pinned pages are never released");
        assertThrows(IllegalArgumentException.class, () -> m.pin(5), "a page is pinned once");
    }

    @Test
    void rejectsInconsistentLayouts() {
        assertThrows(IllegalArgumentException.class, () -> model(0, 0));
        assertThrows(IllegalArgumentException.class, () -> model(0, 3 * MIB));
        assertThrows(IllegalArgumentException.class, () -> model(MIB, 16 * MIB));
        assertThrows(IllegalArgumentException.class, () -> model(-BLOCK, 16 * MIB));
        assertThrows(IllegalArgumentException.class, () -> new PhysicalMemoryModel(0, 16 * MIB, 3000, 10));
        assertThrows(IllegalArgumentException.class, () -> new PhysicalMemoryModel(0, 16 * MIB, PAGE, 21));
    }
}

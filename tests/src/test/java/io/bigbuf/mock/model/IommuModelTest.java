package io.bigbuf.mock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import io.bigbuf.mock.model.IommuModel.Mode;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The simulated IOVA allocator: top-down below the limit, naturally aligned, per function, reusable. */
class IommuModelTest {

    private static final PciAddress A = PciAddress.parse("0000:00:04.0");
    private static final PciAddress B = PciAddress.parse("0000:00:05.0");
    private static final long MIB = 1 << 20;

    @Test
    void allocatesTopDownAlignedToTheRoundedUpSize() {
        IommuModel iommu = new IommuModel(Mode.TRANSLATING, Set.of(A, B), Set.of(), 4096);
        long limit = 16 * MIB - 1;
        assertEquals(12 * MIB, iommu.allocateIova(A, 3 * MIB, limit, 4096), "3 MiB aligned to 4 MiB");
        assertEquals(15 * MIB + 896 * 1024, iommu.allocateIova(A, 100 * 1024, limit, 4096), "above it: 128 KiB aligned");
        assertEquals(15 * MIB, iommu.allocateIova(A, 512 * 1024, limit, 4096));
        assertEquals(12 * MIB, iommu.allocateIova(B, 3 * MIB, limit, 4096), "another function: its own space");
        assertEquals(8 * MIB, iommu.allocateIova(A, 3 * MIB, limit, 4096), "below the first, skipping what is used");
        assertEquals(-1, iommu.allocateIova(A, 8 * MIB, limit, 4096), "no aligned 8 MiB left");
        assertEquals(-1, iommu.allocateIova(A, 32 * MIB, limit, 4096), "larger than the space");
        iommu.freeIova(A, 12 * MIB);
        // [12, 16) MiB is not free (the small ranges lie in it), but [12, 15) is again.
        assertEquals(4 * MIB, iommu.allocateIova(A, 4 * MIB, limit, 4096));
        assertEquals(12 * MIB, iommu.allocateIova(A, 2 * MIB, limit, 4096), "freed range used again");
        assertThrows(IllegalStateException.class, () -> iommu.freeIova(A, 13 * MIB));
        assertEquals(3 * MIB + 4 * MIB + 2 * MIB + 100 * 1024 + 512 * 1024, iommu.iovaBytes(A),
                "sizes rounded to pages, not to their alignment");
    }

    @Test
    void neverHandsOutTheFirstPage() {
        IommuModel iommu = new IommuModel(Mode.TRANSLATING, Set.of(A), Set.of(), 4096);
        assertEquals(4096, iommu.allocateIova(A, 4096, 8191, 4096));
        assertEquals(-1, iommu.allocateIova(A, 4096, 8191, 4096));
    }

    @Test
    void modesAndFunctions() {
        assertEquals(Mode.TRANSLATING, Mode.parse(" Translating "));
        assertThrows(IllegalArgumentException.class, () -> Mode.parse("on"));
        assertEquals(DmaTranslation.IDENTITY, new IommuModel(Mode.IDENTITY, Set.of(A), Set.of(B), 4096).translation(B));
        assertThrows(IllegalArgumentException.class, () -> new IommuModel(Mode.OFF, Set.of(A), Set.of(A), 4096));
    }
}

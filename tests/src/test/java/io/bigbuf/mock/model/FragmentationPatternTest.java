package io.bigbuf.mock.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FragmentationPatternTest {

    private static final long MIB = 1 << 20;

    private static List<Long> pinnedPages(PhysicalMemoryModel m) {
        List<Long> pinned = new ArrayList<>();
        for (long p = 0; p < m.pageCount(); p++) {
            if (m.isPinned(p)) {
                pinned.add(p);
            }
        }
        return pinned;
    }

    private static PhysicalMemoryModel fragmented(FragmentationPattern pattern, int percent, long seed) {
        PhysicalMemoryModel m = new PhysicalMemoryModel(0, 256 * MIB, 4096, 10);
        pattern.apply(m, percent, seed);
        return m;
    }

    @Test
    void sameSeedGivesTheSameLayoutAndAnotherSeedAnotherOne() {
        assertEquals(pinnedPages(fragmented(FragmentationPattern.RANDOM, 40, 1)),
                pinnedPages(fragmented(FragmentationPattern.RANDOM, 40, 1)));
        assertNotEquals(pinnedPages(fragmented(FragmentationPattern.RANDOM, 40, 1)),
                pinnedPages(fragmented(FragmentationPattern.RANDOM, 40, 2)));
    }

    @Test
    void percentControlsHowManyBlocksAreFragmented() {
        assertEquals(0, fragmented(FragmentationPattern.RANDOM, 0, 1).pinnedPages());
        assertEquals(64, fragmented(FragmentationPattern.RANDOM, 100, 1).pinnedPages());
        long someBlocks = fragmented(FragmentationPattern.RANDOM, 25, 1).pinnedPages();
        assertTrue(someBlocks > 4 && someBlocks < 32, "about a quarter of 64 blocks, got " + someBlocks);
        assertEquals(32, fragmented(FragmentationPattern.STRIPED, 50, 0).pinnedPages());
        assertEquals(0, fragmented(FragmentationPattern.NONE, 100, 0).pinnedPages());
    }

    @Test
    void rejectsOutOfRangePercentAndUnknownNames() {
        PhysicalMemoryModel m = new PhysicalMemoryModel(0, 16 * MIB, 4096, 10);
        assertThrows(IllegalArgumentException.class, () -> FragmentationPattern.RANDOM.apply(m, 101, 0));
        assertThrows(IllegalArgumentException.class, () -> FragmentationPattern.RANDOM.apply(m, -1, 0));
        assertEquals(FragmentationPattern.STRIPED, FragmentationPattern.parse(" Striped "));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> FragmentationPattern.parse("swiss"));
        assertTrue(e.getMessage().contains("none, random or striped"));
    }
}

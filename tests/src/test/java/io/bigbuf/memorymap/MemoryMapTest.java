package io.bigbuf.memorymap;

import static io.bigbuf.memorymap.BlockState.BUFFER;
import static io.bigbuf.memorymap.BlockState.FREE;
import static io.bigbuf.memorymap.BlockState.HOLE;
import static io.bigbuf.memorymap.BlockState.MOVABLE_IN_USE;
import static io.bigbuf.memorymap.BlockState.UNMOVABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The backend-neutral memory map: runs of buildable blocks, placement, bad layouts. */
class MemoryMapTest {

    private static final long MIB = 1 << 20;

    private final MemoryMap map = new MemoryMap(0x100000000L, 2 * MIB,
            List.of(FREE, FREE, UNMOVABLE, FREE, MOVABLE_IN_USE, FREE, BUFFER, HOLE, FREE, FREE));

    @Test
    void runsAreMaximalStretchesOfFreeOrMovableBlocks() {
        assertEquals(List.of(new MemoryMap.Run(0, 2, 0x100000000L, 4 * MIB),
                new MemoryMap.Run(3, 3, 0x100000000L + 6 * MIB, 6 * MIB),
                new MemoryMap.Run(8, 2, 0x100000000L + 16 * MIB, 4 * MIB)), map.buildableRuns());
        assertEquals(new MemoryMap.Run(3, 3, 0x100600000L, 6 * MIB), map.largestRun().orElseThrow());
        assertEquals(0x100bfffffL, map.largestRun().orElseThrow().lastAddress());
        assertEquals(6, map.count(FREE));
        assertEquals(1, map.count(HOLE));
        assertEquals(0x100000000L + 18 * MIB, map.addressOf(9));
    }

    @Test
    void placementIsTheHighestRunThatHoldsTheSize() {
        assertEquals(new MemoryMap.Run(8, 2, 0x101000000L, 4 * MIB), map.placement(3 * MIB).orElseThrow());
        assertEquals(new MemoryMap.Run(3, 3, 0x100600000L, 6 * MIB), map.placement(5 * MIB).orElseThrow());
        assertEquals(new MemoryMap.Run(9, 1, 0x101200000L, 2 * MIB), map.placement(1).orElseThrow());
        assertTrue(map.placement(7 * MIB).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> map.placement(0));
    }

    @Test
    void badLayoutsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryMap(0, 3 * MIB, List.of(FREE)));
        assertThrows(IllegalArgumentException.class, () -> new MemoryMap(MIB, 2 * MIB, List.of(FREE)));
        assertThrows(IllegalArgumentException.class, () -> new MemoryMap(0, 2 * MIB, List.of()));
        assertThrows(NullPointerException.class, () -> new MemoryMap(0, 2 * MIB, null));
        assertThrows(IndexOutOfBoundsException.class, () -> map.addressOf(10));
        assertTrue(new MemoryMap(0, 2 * MIB, List.of(UNMOVABLE, BUFFER)).largestRun().isEmpty());
    }
}

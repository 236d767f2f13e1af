package io.bigbuf.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.memorymap.BlockState;
import io.bigbuf.memorymap.MemoryMap;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import org.junit.jupiter.api.Test;

/** The mock's memory map is its simulated pages, per 4 MiB max-order block. */
class MockMemoryMapTest {

    private static final long MIB = 1 << 20;

    @Test
    void blocksShowPinnedPagesBuffersAndFreeMemory() {
        PhysicalMemoryModel model = new PhysicalMemoryModel(0x40000000L, 64 * MIB, 4096, 10);
        model.pin(3 * 1024 + 17); // a page inside block 3
        MockAllocator mock = new MockAllocator(model, "64 MiB test memory", 0);
        try {
            MemoryMap empty = mock.memoryMap().orElseThrow();
            assertEquals(0x40000000L, empty.base());
            assertEquals(4 * MIB, empty.blockSize());
            assertEquals(16, empty.blockCount());
            assertEquals(BlockState.UNMOVABLE, empty.state(3));
            assertEquals(15, empty.count(BlockState.FREE));
            assertEquals(48 * MIB, empty.largestRun().orElseThrow().bytes());

            DmaBuffer buffer = mock.allocate(16 * MIB); // placed highest: the top four blocks
            MemoryMap map = mock.memoryMap().orElseThrow();
            for (int b = 0; b < 16; b++) {
                long start = map.addressOf(b);
                boolean inBuffer = start >= buffer.physicalAddress() && start < buffer.physicalAddress() + buffer.size();
                assertEquals(inBuffer ? BlockState.BUFFER : b == 3 ? BlockState.UNMOVABLE : BlockState.FREE,
                        map.state(b), "block " + b);
            }
            assertEquals(4, map.count(BlockState.BUFFER));
            assertEquals(32 * MIB, map.largestRun().orElseThrow().bytes()); // in whole blocks: the pages can do more
            assertTrue(mock.statistics().largestContiguousFree().getAsLong() > 32 * MIB);
            assertEquals(buffer.physicalAddress() - 32 * MIB, map.placement(32 * MIB).orElseThrow().address());

            buffer.close();
            assertEquals(0, mock.memoryMap().orElseThrow().count(BlockState.BUFFER));
        } finally {
            mock.shutdown();
        }
        assertThrows(BackendUnavailableException.class, mock::memoryMap);
    }
}

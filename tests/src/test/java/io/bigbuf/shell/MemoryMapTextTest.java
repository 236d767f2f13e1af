package io.bigbuf.shell;

import static io.bigbuf.memorymap.BlockState.BUFFER;
import static io.bigbuf.memorymap.BlockState.FREE;
import static io.bigbuf.memorymap.BlockState.UNMOVABLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.DmaBuffer;
import io.bigbuf.memorymap.BlockState;
import io.bigbuf.memorymap.MemoryMap;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** bigbuf:memmap's text: one character per block, 64 to a line, legend, largest run, placement. */
class MemoryMapTextTest {

    private static final long MIB = 1 << 20;

    private static MemoryMap map() {
        List<BlockState> states = new ArrayList<>(Collections.nCopies(100, FREE));
        states.set(10, UNMOVABLE);
        states.set(70, BUFFER);
        states.set(71, BUFFER);
        return new MemoryMap(0, 2 * MIB, states);
    }

    @Test
    void drawsOneCharacterPerBlockWithAddressesLegendAndRuns() {
        String text = MemoryMapText.render("test", map(), OptionalLong.empty());
        List<String> lines = text.lines().toList();
        assertEquals("memory map of backend test: 100 blocks of 2 MiB from 0x0 (200 MiB)", lines.get(0));
        assertEquals("0x0000000  " + ".".repeat(10) + "U" + ".".repeat(53), lines.get(1));
        assertEquals("0x8000000  " + ".".repeat(6) + "BB" + ".".repeat(28), lines.get(2));
        assertEquals("legend:  '.' free 97  'm' movable in use 0  'U' unmovable 1  'B' buffer 2  ' ' hole 0", lines.get(3));
        assertEquals("largest free run 118 MiB at 0x1600000..0x8bfffff (59 blocks)", lines.get(4));
        assertEquals(5, lines.size());
    }

    @Test
    void aSizeMarksWhereTheBufferWouldGoOrSaysWhatIsInTheWay() {
        String fits = MemoryMapText.render("test", map(), OptionalLong.of(50 * MIB));
        assertTrue(fits.contains("a 50 MiB buffer could still be built at 0x9600000..0xc7fffff (25 blocks)"), fits);
        assertEquals("0x8000000  ......BB..." + "*".repeat(25), fits.lines().toList().get(2));
        assertTrue(fits.contains("'*' the 50 MiB buffer"), fits);
        String no = MemoryMapText.render("test", map(), OptionalLong.of(120 * MIB));
        assertTrue(no.contains("a 120 MiB buffer cannot be built: no run of 60 free blocks; in the way: 1 unmovable"
                + " and 2 buffer blocks"), no);
        assertTrue(no.indexOf('*') < 0, no);
    }

    @Test
    void theCommandDrawsTheMocksMemoryAndRefusesBadInput() {
        MockAllocator mock = new MockAllocator(new PhysicalMemoryModel(0, 256 * MIB, 4096, 10), "256 MiB", 0);
        BigbufCommands commands = new BigbufCommands();
        commands.setAllocator(mock);
        try {
            DmaBuffer buffer = mock.allocate(8 * MIB);
            String text = commands.memmap("64M");
            assertTrue(text.startsWith("memory map of backend mock: 64 blocks of 4 MiB from 0x0 (256 MiB)"), text);
            assertTrue(text.lines().toList().get(1).endsWith("*".repeat(16) + "BB"), text);
            assertTrue(text.contains("a 64 MiB buffer could still be built at 0xb800000..0xf7fffff"), text);
            assertTrue(buffer.physicalAddress() == 0xf800000L, Long.toHexString(buffer.physicalAddress()));
            assertEquals("--size must be positive, got '0'",
                    assertThrows(IllegalArgumentException.class, () -> commands.memmap("0")).getMessage());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> commands.memmap("lots")).getMessage()
                    .startsWith("--size: "));
            assertEquals("too many operands; " + BigbufCommands.MEMMAP_USAGE,
                    assertThrows(IllegalArgumentException.class, () -> commands.memmap("", "x")).getMessage());
        } finally {
            mock.shutdown();
        }
    }
}

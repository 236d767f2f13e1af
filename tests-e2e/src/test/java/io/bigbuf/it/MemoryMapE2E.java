package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.memorymap.BlockState;
import io.bigbuf.memorymap.MemoryMap;
import io.bigbuf.memorymap.MemoryMapProvider;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel backend's memory map ({@code BIGBUF_IOC_MEMMAP}) on the real module, as root: taken
 * through the {@link ContiguousAllocator} service, it covers the guest's RAM as
 * {@code /proc/iomem} lists it, has free blocks, shows a 16 MiB buffer's blocks as
 * {@code BUFFER} while it lives and not after its close; {@code bigbuf:memmap} draws the same.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MemoryMapE2E {

    private static final long SIZE = 16L << 20;

    @TempDir
    static Path storage;

    private EmbeddedFelix felix;
    private ContiguousAllocator kmod;

    @BeforeAll
    void start() throws Exception {
        E2eGuest.ensureLoaded();
        felix = EmbeddedFelix.withSharedApi(storage, Components.JNA_BUNDLE, Components.KMOD_BUNDLE,
                Components.SHELL_BUNDLE);
        kmod = E2eGuest.awaitKmodAllocator(felix, "the kmod allocator service");
    }

    @AfterAll
    void stop() {
        if (felix != null) {
            felix.close();
        }
        E2eGuest.assertUnloadsAfterTheFramework();
    }

    private MemoryMap map() {
        MemoryMapProvider provider = assertInstanceOf(MemoryMapProvider.class, kmod, "the kernel backend draws its map");
        return provider.memoryMap().orElseThrow(() -> new AssertionError("the module reports no memory map"));
    }

    /** Indexes of the blocks lying wholly inside {@code [start, start + size)}. */
    private static List<Integer> blocksInside(MemoryMap map, long start, long size) {
        long first = Math.ceilDiv(start - map.base(), map.blockSize());
        long end = (start + size - map.base()) / map.blockSize();
        assertTrue(end > first, "a " + size + "-byte buffer holds no whole block of " + map.blockSize());
        return java.util.stream.LongStream.range(first, end).mapToObj(b -> (int) b).toList();
    }

    @Test
    @Order(1)
    void theMapCoversTheGuestsRamAndHasFreeBlocks() throws IOException {
        MemoryMap map = map();
        assertEquals(0, map.base());
        // pageblock_nr_pages: 2 MiB with hugetlbfs (Debian's kernels), the largest buddy block (4 MiB) without.
        assertTrue(map.blockSize() == 2L << 20 || map.blockSize() == 4L << 20, "block size " + map.blockSize());
        long mapEnd = map.base() + map.blockCount() * map.blockSize();
        long ramEnd = highestSystemRam();
        assertTrue(mapEnd > ramEnd, "map ends at 0x" + Long.toHexString(mapEnd) + ", RAM at 0x" + Long.toHexString(ramEnd));
        assertTrue(mapEnd - ramEnd <= map.blockSize(), "the map ends in RAM's last block: 0x" + Long.toHexString(mapEnd));
        assertTrue(map.count(BlockState.FREE) > 0, "free blocks in an idle guest");
        assertTrue(map.count(BlockState.UNMOVABLE) > 0, "the kernel's own memory");
        E2eGuest.log("memory map: %d blocks of %d KiB up to 0x%x (RAM up to 0x%x): %d free, %d movable, %d unmovable,"
                + " %d buffer, %d hole", map.blockCount(), map.blockSize() >> 10, mapEnd, ramEnd, map.count(BlockState.FREE),
                map.count(BlockState.MOVABLE_IN_USE), map.count(BlockState.UNMOVABLE), map.count(BlockState.BUFFER),
                map.count(BlockState.HOLE));
    }

    @Test
    @Order(2)
    void aBuffersBlocksAreBufferWhileItLivesAndNotAfterItsClose() throws Exception {
        long start;
        List<Integer> blocks;
        try (DmaBuffer buffer = kmod.allocate(AllocationRequest.ofSize(SIZE).withLabel("e2e-memmap"))) {
            start = buffer.physicalAddress();
            MemoryMap map = map();
            blocks = blocksInside(map, start, SIZE);
            for (int b : blocks) {
                assertEquals(BlockState.BUFFER, map.state(b), "block " + b + " of the buffer at 0x" + Long.toHexString(start));
            }
            String drawn = shellMemmap();
            String cells = cells(drawn);
            assertEquals(map.blockCount(), cells.length(), drawn);
            for (int b : blocks) {
                assertEquals('B', cells.charAt(b), "bigbuf:memmap, block " + b + ":\n" + drawn);
            }
            E2eGuest.log("16 MiB at phys 0x%x: blocks %d..%d BUFFER", start, blocks.getFirst(), blocks.getLast());
        }
        List<Integer> inside = blocks;
        E2eGuest.awaitTrue(() -> inside.stream().noneMatch(b -> map().state(b) == BlockState.BUFFER),
                "the closed buffer's blocks to be no longer BUFFER");
        MemoryMap after = map();
        for (int b : blocks) {
            assertNotEquals(BlockState.BUFFER, after.state(b), "block " + b + " after close");
        }
    }

    private String shellMemmap() throws Exception {
        CommandSession session = felix.bigbufShellSession();
        try {
            String text = String.valueOf(session.execute("bigbuf:memmap"));
            assertTrue(text.startsWith("memory map of backend kmod: "), text);
            return text;
        } finally {
            session.close();
        }
    }

    /** The drawn cells, one per block, from the lines starting with an address. */
    private static String cells(String drawn) {
        StringBuilder cells = new StringBuilder();
        drawn.lines().filter(l -> l.startsWith("0x")).forEach(l -> cells.append(l.substring(l.indexOf("  ") + 2)));
        return cells.toString();
    }

    /** One past the last byte of the highest "System RAM" range of /proc/iomem (root sees real addresses). */
    private static long highestSystemRam() throws IOException {
        long end = 0;
        Matcher m = Pattern.compile("(?m)^\\s*\\p{XDigit}+-(\\p{XDigit}+) : System RAM$")
                .matcher(Files.readString(Path.of("/proc/iomem")));
        while (m.find()) {
            end = Math.max(end, Long.parseUnsignedLong(m.group(1), 16) + 1);
        }
        assertTrue(end > 0, "no System RAM in /proc/iomem");
        return end;
    }
}

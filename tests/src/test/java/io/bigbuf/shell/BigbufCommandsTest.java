package io.bigbuf.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The command logic without Gogo; {@code GogoShellIT} checks the same commands through a real Gogo. */
class BigbufCommandsTest {

    private static final long MIB = 1 << 20;

    private MockAllocator allocator;
    private BigbufCommands commands;

    @BeforeEach
    void setUp() {
        allocator = new MockAllocator(new PhysicalMemoryModel(0, 1024 * MIB, 4096, 10), "1 GiB test memory", 0);
        commands = new BigbufCommands();
        commands.setAllocator(allocator);
    }

    @AfterEach
    void tearDown() {
        allocator.shutdown();
    }

    private String alloc(String size) {
        return commands.alloc("0", "", "0", "shell", size);
    }

    @Test
    void allocThenListShowsTheBufferWithItsPhysicalAddress() {
        String allocated = alloc("64M");
        DmaBuffer buffer = allocator.buffers().getFirst();
        assertEquals(64 * MIB, buffer.size());
        String address = "0x" + Long.toHexString(buffer.physicalAddress());
        assertTrue(allocated.startsWith("allocated #1: 64 MiB at physical " + address), allocated);
        String list = commands.list();
        assertTrue(list.lines().count() == 2, list);
        assertTrue(list.lines().skip(1).findFirst().orElseThrow().matches("\\s+1\\s+64 MiB\\s+" + address + "\\s+0x\\p{XDigit}+\\s+shell"), list);
    }

    @Test
    void optionsReachTheRequest() {
        commands.alloc("2M", "", "28", "dev", "4096");
        commands.alloc("0", "4G", "0", "dev", "1M");
        List<DmaBuffer> buffers = allocator.buffers();
        assertEquals(0, buffers.get(0).physicalAddress() % (2 * MIB));
        assertTrue(buffers.get(0).physicalAddress() < 1L << 28);
        assertTrue(buffers.get(1).physicalAddress() + MIB <= 4L << 30);
        assertEquals("dev", buffers.get(1).label());
    }

    @Test
    void badInputGivesOneLineErrorsAndLeavesStateIntact() {
        alloc("1M");
        AllocatorStatistics before = allocator.statistics();
        assertMessage(IllegalArgumentException.class, () -> alloc("-5"), "size: '-5' is negative; sizes are positive byte counts");
        assertMessage(InvalidAllocationRequestException.class, () -> alloc("0"), "size must be positive, got 0 bytes");
        assertMessage(IllegalArgumentException.class, () -> alloc("12X"), "size: '12X' is not a size; use e.g. 4096, 64K, 64M, 1G");
        assertMessage(InvalidAllocationRequestException.class, () -> alloc("1T"),
                "1 TiB is more than the mock's whole simulated memory of 1 GiB (configure memory.size of PID io.bigbuf.mock)");
        assertMessage(InvalidAllocationRequestException.class, () -> commands.alloc("3000", "", "0", "x", "4096"),
                "alignment must be 0 (page) or a power of two, got 3000");
        assertMessage(IllegalArgumentException.class, () -> commands.alloc("0", "0", "0", "x", "4096"),
                "--below must be a positive address, got '0'");
        assertMessage(IllegalArgumentException.class, () -> commands.free("42"), "no open buffer #42; bigbuf:list shows the open ones");
        assertMessage(IllegalArgumentException.class, () -> commands.free("abc"),
                "'abc' is not a buffer id; ids are positive numbers from bigbuf:list");
        AllocatorStatistics after = allocator.statistics();
        assertEquals(before.liveBuffers(), after.liveBuffers());
        assertEquals(before.bytesHeld(), after.bytesHeld());
        assertEquals(before.allocations(), after.allocations());
    }

    @Test
    void freeClosesTheBuffer() {
        alloc("1M");
        DmaBuffer buffer = allocator.buffers().getFirst();
        assertTrue(commands.free("1").startsWith("freed #1: 1 MiB"));
        assertTrue(buffer.isClosed());
        assertEquals("no open buffers", commands.list());
        assertFalse(commands.stats().isEmpty());
    }

    @Test
    void statsAndBackendDescribeTheBackend() {
        alloc("64M");
        String stats = commands.stats();
        assertTrue(stats.contains("live buffers      1"), stats);
        assertTrue(stats.contains("bytes held        64 MiB (67108864)"), stats);
        String backend = commands.backend();
        assertTrue(backend.contains("name              mock"), backend);
        assertTrue(backend.contains("real bus address  no"), backend);
        assertTrue(backend.contains("memory            1 GiB"), backend);
    }

    @Test
    void withoutBackendEveryCommandSaysSo() {
        commands.unsetAllocator(allocator);
        assertMessage(BackendUnavailableException.class, commands::list,
                "no bigbuf backend is running; start bundle io.bigbuf.mock or load the kernel module");
        assertThrows(BackendUnavailableException.class, () -> alloc("1M"));
    }

    @Test
    void unbindingAReplacedAllocatorKeepsTheNewOne() {
        MockAllocator replacement = new MockAllocator(new PhysicalMemoryModel(0, 64 * MIB, 4096, 10), "new", 0);
        try {
            commands.setAllocator(replacement);
            commands.unsetAllocator(allocator);
            assertTrue(commands.backend().contains("description       new"));
        } finally {
            replacement.shutdown();
        }
    }

    private static void assertMessage(Class<? extends Throwable> type, Runnable command, String message) {
        Throwable e = assertThrows(type, command::run);
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}

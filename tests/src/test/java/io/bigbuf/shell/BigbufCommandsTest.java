package io.bigbuf.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.PciAddress;
import io.bigbuf.kmod.KmodAllocator;
import io.bigbuf.kmod.abi.BigbufAbi;
import io.bigbuf.kmod.abi.DeviceInfo;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.IommuModel;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
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
        return alloc("0", "", "", "shell", size);
    }

    private String alloc(String align, String below, String bits, String label, String... operands) {
        return commands.alloc(align, below, bits, label, "", false, "", false, operands);
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
        assertTrue(list.lines().findFirst().orElseThrow().matches("\\s+ID\\s+SIZE\\s+PHYS-START\\s+PHYS-END  OWNER  LABEL"), list);
        // Plain Java, no framework: the buffer has no owner bundle, shown as "-".
        assertTrue(list.lines().skip(1).findFirst().orElseThrow().matches("\\s+1\\s+64 MiB\\s+" + address
                + "\\s+0x\\p{XDigit}+  -      shell"), list);
    }

    @Test
    void optionsReachTheRequest() {
        alloc("2M", "", "28", "dev", "4096");
        alloc("0", "4G", "", "dev", "1M");
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
        assertMessage(InvalidAllocationRequestException.class, () -> alloc("3000", "", "", "x", "4096"),
                "alignment must be 0 (page) or a power of two, got 3000");
        assertMessage(IllegalArgumentException.class, () -> alloc("0", "0", "", "x", "4096"),
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
    void buffersTheShellAllocatedSurviveGarbageCollectionUntilFreed() throws InterruptedException {
        alloc("4M");
        alloc("1M");
        // Nothing but the commands references them now; the allocator holds them weakly.
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertEquals(2, allocator.statistics().liveBuffers(), "the shell keeps what it allocated");
        assertEquals(2, commands.heldBuffers());
        assertTrue(allocator.buffer(1).isPresent() && allocator.buffer(2).isPresent());
        commands.free("1");
        assertEquals(1, commands.heldBuffers(), "free drops the shell's reference");
        assertFalse(allocator.buffer(1).isPresent());
        assertTrue(allocator.buffer(2).isPresent());
    }

    @Test
    void theShellDropsTheBuffersOfABackendThatGoesAway() {
        alloc("1M");
        MockAllocator replacement = new MockAllocator(new PhysicalMemoryModel(0, 64 * MIB, 4096, 10), "new", 0);
        try {
            commands.setAllocator(replacement);
            alloc("2M");
            assertEquals(2, commands.heldBuffers());
            commands.unsetAllocator(allocator);
            assertEquals(1, commands.heldBuffers(), "only the buffer of the remaining backend is kept");
            commands.unsetAllocator(replacement);
            assertEquals(0, commands.heldBuffers());
        } finally {
            replacement.shutdown();
        }
    }

    @Test
    void operandsAreCheckedWithAUsageLine() {
        assertMessage(IllegalArgumentException.class, () -> commands.alloc("0", "", "", "shell", "", false, "", false),
                "missing operand; " + BigbufCommands.ALLOC_USAGE);
        assertMessage(IllegalArgumentException.class, () -> alloc("0", "", "", "shell", "4M", "8M"),
                "too many operands; " + BigbufCommands.ALLOC_USAGE);
        assertMessage(IllegalArgumentException.class, () -> alloc("0", "", "", "shell", "--foo", "4M"),
                "unknown option --foo; " + BigbufCommands.ALLOC_USAGE);
        assertMessage(IllegalArgumentException.class, () -> alloc("0", "4G", "28", "shell", "4M"),
                "--below and --bits are alternatives: give one of them");
        assertMessage(IllegalArgumentException.class, () -> commands.free(),
                "missing operand; " + BigbufCommands.FREE_USAGE);
        assertMessage(IllegalArgumentException.class, () -> commands.map("", "", false, "1"),
                "missing operands; " + BigbufCommands.MAP_USAGE);
        assertMessage(IllegalArgumentException.class, () -> commands.unmap("1", "0000:00:04.0", "x"),
                "too many operands; " + BigbufCommands.UNMAP_USAGE);
        assertMessage(IllegalArgumentException.class, () -> commands.translation(),
                "missing operand; " + BigbufCommands.TRANSLATION_USAGE);
        assertEquals(0, allocator.statistics().allocations(), "nothing was tried");
        assertTrue(alloc("0", "", "0", "shell", "1M").contains("(shell)"), "--bits 0: no limit");
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

    @Test
    void deviceOptionsMapTheBufferAndListShowsTheDeviceAddress() {
        allocator.shutdown();
        allocator = translatingMock();
        commands.setAllocator(allocator);
        String allocated = commands.alloc("0", "", "28", "dma", "0000:00:04.0", false, "", false, "1M");
        DmaBuffer buffer = allocator.buffers().getFirst();
        long iova = buffer.deviceAddress(EDU);
        assertEquals(String.format("allocated #1: 1 MiB at physical 0x%x..0x%x, 0000:00:04.0 at device 0x%x..0x%x"
                + " (translated), node 0 (dma)", buffer.physicalAddress(), buffer.physicalAddress() + MIB - 1, iova,
                iova + MIB - 1), allocated);
        assertTrue(commands.list().contains(String.format("%#20x %#20x  for 0000:00:04.0 (translated)", iova,
                iova + MIB - 1)), commands.list());

        String mapped = commands.map("", "32", true, "1", "0000:00:05.0");
        assertTrue(mapped.matches("mapped #1 for 0000:00:05\\.0 at device 0x\\p{XDigit}+\\.\\.0x\\p{XDigit}+"
                + " \\(translated, read-only\\)"), mapped);
        assertEquals("unmapped #1 from 0000:00:05.0", commands.unmap("1", "0000:00:05.0"));
        assertMessage(IllegalArgumentException.class, () -> commands.unmap("1", "0000:00:05.0"),
                "buffer #1 is not mapped for 0000:00:05.0");
        assertMessage(IllegalArgumentException.class, () -> commands.map("", "0", false, "1", "00:zz.0"),
                "device: '00:zz.0' is not a PCI address like 0000:00:04.0");
        assertTrue(commands.translation("0000:00:04.0").startsWith("0000:00:04.0  translated (IOMMU"));
        assertTrue(commands.backend().contains("device mapping    yes"), commands.backend());

        String scattered = commands.alloc("0", "", "", "big", "0000:00:04.0", true, "0", true, "64M");
        assertTrue(scattered.matches("allocated #2: 64 MiB device-contiguous, 0000:00:04.0 at device .* \\(big\\)"),
                scattered);
        assertTrue(commands.list().contains("(device-contiguous)  -      big"), commands.list());
        assertMessage(IllegalArgumentException.class,
                () -> commands.alloc("0", "", "", "x", "", false, "", true, "1M"), "--node-only needs --node N");
        assertEquals(2, allocator.statistics().liveBuffers(), "the failed command allocated nothing");
    }

    @Test
    void memmapOnTheKernelBackendSaysWhyThereIsNoMapInOneLine() {
        DeviceInfo withoutMap = new DeviceInfo(BigbufAbi.ABI_VERSION, 4096, 10, 0b1110, 1L << 30, 1L << 30, 1L << 30,
                1L << 30, 1L << 30, BigbufAbi.FEATURE_DEVICE_MAP, 1);
        commands.setAllocator(new KmodAllocator(Path.of("/no/such/device"), withoutMap));
        assertMessage(IllegalStateException.class, () -> commands.memmap(""), "backend kmod cannot provide its memory"
                + " map now (its device lacks the interface for it, e.g. a bigbuf kernel module without"
                + " BIGBUF_FEATURE_MEMMAP)");
        DeviceInfo withMap = new DeviceInfo(BigbufAbi.ABI_VERSION, 4096, 10, 0b1110, 1L << 30, 1L << 30, 1L << 30,
                1L << 30, 1L << 30, BigbufAbi.FEATURE_MEMMAP, 1);
        commands.setAllocator(new KmodAllocator(Path.of("/dev/null"), withMap));
        assertMessage(BackendUnavailableException.class, () -> commands.memmap(""), "the bigbuf device failed"
                + " unexpectedly; the module and this bundle disagree on the ABI (ENOTTY from"
                + " ioctl(BIGBUF_IOC_MEMMAP) on /dev/null)");
    }

    private static final PciAddress EDU = PciAddress.parse("0000:00:04.0");

    private static MockAllocator translatingMock() {
        PhysicalMemoryModel model = new PhysicalMemoryModel(0, 1L << 30, 4096, 10);
        return new MockAllocator(model, new IommuModel(IommuModel.Mode.TRANSLATING,
                Set.of(EDU, PciAddress.parse("0000:00:05.0")), Set.of(), 4096), "translating", 0);
    }
}

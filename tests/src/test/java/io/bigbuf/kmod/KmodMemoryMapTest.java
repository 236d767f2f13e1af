package io.bigbuf.kmod;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.BigbufException;
import io.bigbuf.kmod.abi.BigbufAbi;
import io.bigbuf.kmod.abi.DeviceInfo;
import io.bigbuf.kmod.abi.Errno;
import io.bigbuf.kmod.abi.KernelMemoryMap;
import io.bigbuf.kmod.abi.KmodDevice;
import io.bigbuf.kmod.abi.NativeCallException;
import io.bigbuf.memorymap.BlockState;
import io.bigbuf.memorymap.MemoryMap;
import io.bigbuf.memorymap.MemoryMapProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel backend's memory map on the host: a fake {@code BIGBUF_IOC_MEMMAP} that answers like
 * the module (page frames, rounding, {@code end_pfn}, at most the room given) checks decoding and
 * paging; the real libc path checks what reaches the device and how its errors read.
 */
class KmodMemoryMapTest {

    private static final long GIB = 1L << 30;
    private static final long BLOCK_PAGES = 512; // 2 MiB pageblocks of 4 KiB pages

    private static DeviceInfo info(long features) {
        return new DeviceInfo(BigbufAbi.ABI_VERSION, 4096, 10, 0b1110, 2 * GIB, GIB, 2 * GIB, GIB, GIB, features, 1);
    }

    @TempDir
    Path dir;

    /** A module whose memory is {@code blocks} (states as BIGBUF_BLOCK_* bytes) and ends at {@code endPfn}. */
    private record FakeKernel(byte[] blocks, long endPfn, List<long[]> calls) implements KmodAllocator.MemoryMapCall {
        FakeKernel(byte[] blocks, long endPfn) {
            this(blocks, endPfn, new ArrayList<>());
        }

        @Override
        public KernelMemoryMap call(long startPfn, int maxBlocks) {
            calls.add(new long[] {startPfn, maxBlocks});
            long first = startPfn / BLOCK_PAGES;
            int n = (int) Math.max(0, Math.min(maxBlocks, blocks.length - first));
            byte[] out = n == 0 ? new byte[0] : Arrays.copyOfRange(blocks, (int) first, (int) first + n);
            return new KernelMemoryMap(first * BLOCK_PAGES, endPfn, BLOCK_PAGES, out);
        }
    }

    @Test
    void everyKernelBlockStateHasItsMapState() {
        byte[] blocks = {BigbufAbi.BLOCK_FREE, BigbufAbi.BLOCK_MOVABLE, BigbufAbi.BLOCK_UNMOVABLE, BigbufAbi.BLOCK_BUFFER,
            BigbufAbi.BLOCK_HOLE};
        MemoryMap map = KmodAllocator.readMemoryMap(new FakeKernel(blocks, 5 * BLOCK_PAGES), 4096, 100);
        assertEquals(List.of(BlockState.FREE, BlockState.MOVABLE_IN_USE, BlockState.UNMOVABLE, BlockState.BUFFER,
                BlockState.HOLE), map.states());
        assertEquals(0, map.base());
        assertEquals(2L << 20, map.blockSize(), "block_pages * page_size");
    }

    @Test
    void memoryIsReadInCallsOfAtMostTheMaximumEachWhereThePreviousEnded() {
        byte[] blocks = new byte[10];
        Arrays.fill(blocks, (byte) BigbufAbi.BLOCK_FREE);
        blocks[9] = BigbufAbi.BLOCK_BUFFER;
        // end_pfn in the middle of the last block: that block is still described.
        FakeKernel kernel = new FakeKernel(blocks, 9 * BLOCK_PAGES + 100);
        MemoryMap map = KmodAllocator.readMemoryMap(kernel, 4096, 4);
        assertEquals(10, map.blockCount());
        assertEquals(BlockState.BUFFER, map.state(9));
        assertEquals(3, kernel.calls().size());
        assertArrayEquals(new long[] {0, 4}, kernel.calls().get(0));
        assertArrayEquals(new long[] {4 * BLOCK_PAGES, 4}, kernel.calls().get(1));
        assertArrayEquals(new long[] {8 * BLOCK_PAGES, 2}, kernel.calls().get(2), "no more room than blocks are left");
    }

    @Test
    void aKernelThatStopsShortOfItsEndEndsTheMapThere() {
        byte[] blocks = {BigbufAbi.BLOCK_FREE, BigbufAbi.BLOCK_FREE};
        FakeKernel kernel = new FakeKernel(blocks, 8 * BLOCK_PAGES);
        MemoryMap map = KmodAllocator.readMemoryMap(kernel, 4096, 2);
        assertEquals(2, map.blockCount());
        assertEquals(2, kernel.calls().size(), "the second call wrote nothing: no third");
    }

    @Test
    void answersThatContradictTheAbiAreBackendUnavailableNamingIt() {
        String unknown = assertThrows(BackendUnavailableException.class, () -> KmodAllocator.readMemoryMap(
                new FakeKernel(new byte[] {BigbufAbi.BLOCK_FREE, 7}, 2 * BLOCK_PAGES), 4096, 10)).getMessage();
        assertEquals("the bigbuf module's memory map reported block state 7 for block 1; the module and this bundle"
                + " disagree on the ABI", unknown);
        assertTrue(assertThrows(BackendUnavailableException.class, () -> KmodAllocator.readMemoryMap(
                (start, room) -> new KernelMemoryMap(start, BLOCK_PAGES, 384, new byte[1]), 4096, 10))
                .getMessage().contains("a block of 384 pages"));
        List<Long> sizes = new ArrayList<>(List.of(BLOCK_PAGES, 2 * BLOCK_PAGES));
        assertTrue(assertThrows(BackendUnavailableException.class, () -> KmodAllocator.readMemoryMap(
                (start, room) -> new KernelMemoryMap(start, 4 * BLOCK_PAGES, sizes.removeFirst(), new byte[1]), 4096, 1))
                .getMessage().contains("blocks of 1024 pages after blocks of 512"));
        assertTrue(assertThrows(BackendUnavailableException.class, () -> KmodAllocator.readMemoryMap(
                (start, room) -> new KernelMemoryMap(start + BLOCK_PAGES, 4 * BLOCK_PAGES, BLOCK_PAGES, new byte[1]),
                4096, 1)).getMessage().contains("a map from page frame 0x200 when asked for 0x0"));
        assertTrue(assertThrows(BackendUnavailableException.class, () -> KmodAllocator.readMemoryMap(
                (start, room) -> new KernelMemoryMap(start, 0, BLOCK_PAGES, new byte[0]), 4096, 1))
                .getMessage().contains("no block at all"));
    }

    @Test
    void aModuleWithoutTheFeatureHasNoMapAndIsNeverAsked() {
        // The device does not exist: asking it would fail.
        KmodAllocator old = new KmodAllocator(dir.resolve("no-such-device"), info(BigbufAbi.FEATURE_DEVICE_MAP));
        assertInstanceOf(MemoryMapProvider.class, old);
        assertTrue(old.memoryMap().isEmpty());
    }

    @Test
    void theCallReachesTheDeviceAndItsErrorsAreTyped() {
        KmodAllocator notBigbuf = new KmodAllocator(Path.of("/dev/null"), info(BigbufAbi.FEATURE_MEMMAP));
        assertEquals("the bigbuf device failed unexpectedly; the module and this bundle disagree on the ABI"
                        + " (ENOTTY from ioctl(BIGBUF_IOC_MEMMAP) on /dev/null)",
                assertThrows(BackendUnavailableException.class, notBigbuf::memoryMap).getMessage());
        Path missing = dir.resolve("bigbuf");
        assertEquals("the bigbuf kernel module is not loaded (its device is gone) (ENOENT from open(" + missing + "))",
                assertThrows(BackendUnavailableException.class,
                        new KmodAllocator(missing, info(BigbufAbi.FEATURE_MEMMAP))::memoryMap).getMessage());
        notBigbuf.shutdown();
        assertEquals("the kernel backend on /dev/null has been shut down",
                assertThrows(BackendUnavailableException.class, notBigbuf::memoryMap).getMessage());
    }

    @Test
    void withoutCapSysAdminTheRefusalSaysTheMapNeedsRootInOneLine() {
        BigbufException e = ErrnoTranslation.toApiException(new NativeCallException(
                NativeCallException.Operation.IOCTL_MEMMAP, "ioctl(BIGBUF_IOC_MEMMAP) on /dev/bigbuf", Errno.EPERM), 0);
        assertInstanceOf(MemoryMapNotPermittedException.class, e);
        assertEquals("the kernel's memory map needs root (CAP_SYS_ADMIN, as it shows where kernel memory lies): run the"
                + " JVM as root or give it CAP_SYS_ADMIN (EPERM from ioctl(BIGBUF_IOC_MEMMAP) on /dev/bigbuf)",
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void theRoomOfOneCallIsBounded() {
        try (KmodDevice device = KmodDevice.open(Path.of("/dev/null"))) {
            assertThrows(IllegalArgumentException.class, () -> device.memoryMap(0, 0));
            assertThrows(IllegalArgumentException.class, () -> device.memoryMap(0, BigbufAbi.MEMMAP_MAX_BLOCKS + 1));
            assertEquals(Errno.ENOTTY, assertThrows(NativeCallException.class,
                    () -> device.memoryMap(0, BigbufAbi.MEMMAP_MAX_BLOCKS)).errno());
        }
    }
}

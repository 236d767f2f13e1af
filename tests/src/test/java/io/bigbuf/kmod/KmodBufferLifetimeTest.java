package io.bigbuf.kmod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.Contiguity;
import io.bigbuf.kmod.abi.BigbufAbi;
import io.bigbuf.kmod.abi.DeviceInfo;
import io.bigbuf.testkit.Await;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * When a kmod buffer's mapping goes, on the host: an anonymous shared mapping stands in for the
 * module's (the lifetime logic does not care what backs it), and {@code /proc/self/maps} shows
 * whether it is still mapped.
 */
class KmodBufferLifetimeTest {

    private static final long SIZE = 3 * 4096 + 100;
    static final long HELD = 4 * 4096;
    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_SHARED = 0x01;
    private static final int MAP_ANONYMOUS = 0x20;

    private final KmodAllocator owner = new KmodAllocator(Path.of("/dev/bigbuf"),
            new DeviceInfo(BigbufAbi.ABI_VERSION, 4096, 10, 0b1110, 1L << 30, 1L << 30, 1L << 30, 1L << 30, 1L << 30,
                    BigbufAbi.FEATURE_DEVICE_MAP, 1));

    @Test
    void closeUnmapsOnceAndEverySegmentThrows() throws Throwable {
        long address = mapAnonymous();
        KmodBuffer buffer = newBuffer(address);
        MemorySegment slice = buffer.segment().asSlice(4096, 16);
        slice.set(ValueLayout.JAVA_LONG, 0, 0x1234_5678L);
        assertEquals(SIZE, buffer.segment().byteSize(), "the segment is the size asked for, not the pages held");
        assertTrue(isMapped(address));

        buffer.close();
        buffer.close();

        assertTrue(buffer.isClosed());
        assertFalse(isMapped(address), "close unmaps");
        assertThrows(IllegalStateException.class, buffer::segment);
        assertThrows(IllegalStateException.class, () -> slice.get(ValueLayout.JAVA_LONG, 0));
    }

    @Test
    void aSegmentAloneKeepsItsBufferMappedAndTheCleanerTakesItOnlyWhenBothAreGone() throws Throwable {
        long address = mapAnonymous();
        WeakReference<KmodBuffer> handle = new WeakReference<>(newBuffer(address));
        MemorySegment kept = handle.get().segment().asSlice(8, 8); // the program keeps only this slice
        kept.set(ValueLayout.JAVA_LONG, 0, 42L);

        // Several full collections: the buffer must survive them all, through the slice alone.
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertNotNull(handle.get(), "a reachable segment keeps its buffer reachable");
        assertTrue(isMapped(address), "a reachable segment keeps its buffer mapped");
        assertEquals(42L, kept.get(ValueLayout.JAVA_LONG, 0));

        kept = null; // now nothing references the buffer or its memory
        Await.collectedUntil(() -> handle.get() == null && !isMappedUnchecked(address),
                "the Cleaner to unmap a buffer that nothing references");
    }

    private KmodBuffer newBuffer(long address) {
        return owner.mapped(AllocationRequest.ofSize(SIZE).withLabel("lifetime-test"), 0x1000_0000L,
                Contiguity.PHYSICAL, 0, address, HELD);
    }

    /** {@code mmap(NULL, HELD, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0)}, called through FFM. */
    static long mapAnonymous() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        long address = (long) mmap.invokeExact(0L, HELD, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0L);
        assertNotEquals(-1L, address, "mmap failed");
        return address;
    }

    private static boolean isMappedUnchecked(long address) {
        try {
            return isMapped(address);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether a line of /proc/self/maps starts at {@code address}. */
    static boolean isMapped(long address) throws IOException {
        String start = Long.toHexString(address) + "-";
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.anyMatch(l -> l.startsWith(start));
        }
    }
}

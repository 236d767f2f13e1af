package io.bigbuf.kmod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.CloseReason;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.kmod.abi.BigbufAbi;
import io.bigbuf.kmod.abi.DeviceInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Close listeners on the kernel backend behave as on the mock (the support layer does it for
 * both): an anonymous shared mapping stands in for the module's, as in {@link KmodBufferLifetimeTest},
 * and /proc/self/maps tells whether it is still mapped when the listener runs. (Such a buffer is
 * not in the allocator's registry, which only a real allocation fills, so the shutdown case,
 * {@link CloseReason#BACKEND_GONE}, is tested on the mock: the same support-layer code.)
 */
class KmodCloseListenerTest {

    private static final long SIZE = 2 * 4096;

    private final KmodAllocator owner = new KmodAllocator(Path.of("/dev/bigbuf"),
            new DeviceInfo(BigbufAbi.ABI_VERSION, 4096, 10, 0b1110, 1L << 30, 1L << 30, 1L << 30, 1L << 30, 1L << 30,
                    BigbufAbi.FEATURE_DEVICE_MAP, 1));

    /** A reason, and whether the pages were still mapped in this process when the listener ran. */
    private record Call(CloseReason reason, boolean stillMapped, boolean segmentThrew) {
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();

    private DmaBuffer listenedBuffer() throws Throwable {
        long address = KmodBufferLifetimeTest.mapAnonymous();
        DmaBuffer buffer = owner.mapped(AllocationRequest.ofSize(SIZE).withLabel("listener-test"), 0x1000_0000L,
                Contiguity.PHYSICAL, 0, address, KmodBufferLifetimeTest.HELD);
        buffer.addCloseListener((closed, reason) -> {
            boolean threw;
            try {
                closed.segment();
                threw = false;
            } catch (IllegalStateException expected) {
                threw = true;
            }
            calls.add(new Call(reason, mapped(address), threw));
        });
        return buffer;
    }

    private static boolean mapped(long address) {
        try {
            return KmodBufferLifetimeTest.isMapped(address);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void closeAndRevokeAreToldOnceAfterTheUnmap() throws Throwable {
        DmaBuffer closed = listenedBuffer();
        closed.close();
        closed.revoke();
        DmaBuffer revoked = listenedBuffer();
        revoked.revoke();
        revoked.close();
        assertEquals(List.of(new Call(CloseReason.CLOSED, false, true), new Call(CloseReason.REVOKED, false, true)),
                calls);
    }
}

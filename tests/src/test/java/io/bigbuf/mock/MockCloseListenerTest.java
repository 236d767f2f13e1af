package io.bigbuf.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BufferCloseListener;
import io.bigbuf.api.CloseReason;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import io.bigbuf.testkit.LogCapture;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Close listeners on the mock: each told once, with the reason of the first close, after the
 * memory is gone, with no lock of the backend held, and a failing listener only logged.
 */
class MockCloseListenerTest {

    private static final long MIB = 1 << 20;

    private final MockAllocator allocator = new MockAllocator(new PhysicalMemoryModel(0, 64 * MIB, 4096, 10),
            "64 MiB test memory", 0);

    @AfterEach
    void shutdown() {
        allocator.shutdown();
    }

    /** What a listener saw when it was called. */
    private record Call(DmaBuffer buffer, CloseReason reason, String thread, boolean closed, boolean segmentThrew,
            boolean earlierViewThrew, int liveBuffers) {
    }

    /** Records every call with the state of the buffer and the allocator at that moment. */
    private final class Recorder implements BufferCloseListener {
        final List<Call> calls = new CopyOnWriteArrayList<>();
        private final MemorySegment earlierView;

        Recorder(DmaBuffer buffer) {
            earlierView = buffer.segment();
        }

        @Override
        public void bufferClosed(DmaBuffer buffer, CloseReason reason) {
            calls.add(new Call(buffer, reason, Thread.currentThread().getName(), buffer.isClosed(),
                    throwsIllegalState(() -> buffer.segment()),
                    throwsIllegalState(() -> earlierView.get(ValueLayout.JAVA_BYTE, 0)),
                    allocator.statistics().liveBuffers()));
        }
    }

    private static boolean throwsIllegalState(Runnable access) {
        try {
            access.run();
            return false;
        } catch (IllegalStateException expected) {
            return true;
        }
    }

    @Test
    void closeTellsEachListenerOnceAfterTheMemoryIsGone() {
        DmaBuffer buffer = allocator.allocate(MIB);
        Recorder first = new Recorder(buffer);
        Recorder second = new Recorder(buffer);
        buffer.addCloseListener(first);
        buffer.addCloseListener(second);
        buffer.addCloseListener(first); // registered already: no second call

        buffer.close();
        buffer.close();
        buffer.revoke();

        for (Recorder r : List.of(first, second)) {
            assertEquals(1, r.calls.size(), "told once: " + r.calls);
            Call call = r.calls.get(0);
            assertEquals(CloseReason.CLOSED, call.reason());
            assertTrue(call.buffer() == buffer);
            assertEquals(Thread.currentThread().getName(), call.thread(), "in the thread that closed it");
            assertTrue(call.closed());
            assertTrue(call.segmentThrew(), "segment() throws by the time the listener runs");
            assertTrue(call.earlierViewThrew(), "an earlier segment throws by the time the listener runs");
            assertEquals(0, call.liveBuffers(), "the backend has the memory back by the time the listener runs");
        }
    }

    @Test
    void revokeTellsRevokedAndTheFirstReasonStays() {
        DmaBuffer revoked = allocator.allocate(MIB);
        Recorder onRevoked = new Recorder(revoked);
        revoked.addCloseListener(onRevoked);
        revoked.revoke();
        revoked.close();
        assertEquals(List.of(CloseReason.REVOKED), onRevoked.calls.stream().map(Call::reason).toList());
        assertTrue(onRevoked.calls.get(0).segmentThrew());

        DmaBuffer closed = allocator.allocate(MIB);
        Recorder onClosed = new Recorder(closed);
        closed.addCloseListener(onClosed);
        closed.close();
        closed.revoke();
        assertEquals(List.of(CloseReason.CLOSED), onClosed.calls.stream().map(Call::reason).toList());
    }

    @Test
    void shutdownTellsBackendGoneInTheThreadThatShutItDown() throws Exception {
        DmaBuffer a = allocator.allocate(MIB);
        DmaBuffer b = allocator.allocate(2 * MIB);
        Recorder onA = new Recorder(a);
        Recorder onB = new Recorder(b);
        a.addCloseListener(onA);
        b.addCloseListener(onB);

        Thread stopper = new Thread(allocator::shutdown, "backend-stopper");
        stopper.start();
        stopper.join(10_000);

        for (Recorder r : List.of(onA, onB)) {
            assertEquals(1, r.calls.size());
            assertEquals(CloseReason.BACKEND_GONE, r.calls.get(0).reason());
            assertEquals("backend-stopper", r.calls.get(0).thread());
            assertTrue(r.calls.get(0).segmentThrew());
        }
        assertEquals(0, onB.calls.get(0).liveBuffers(), "the last one told sees every buffer released");
    }

    @Test
    void aListenerAddedToAClosedBufferIsToldAtOnceWithTheReason() {
        DmaBuffer buffer = allocator.allocate(MIB);
        Recorder recorder = new Recorder(buffer);
        buffer.revoke();
        buffer.addCloseListener(recorder);
        assertEquals(1, recorder.calls.size());
        assertEquals(CloseReason.REVOKED, recorder.calls.get(0).reason());
        assertFalse(buffer.removeCloseListener(recorder), "a listener that was called is no longer registered");
    }

    @Test
    void aRemovedListenerIsNotTold() {
        DmaBuffer buffer = allocator.allocate(MIB);
        Recorder recorder = new Recorder(buffer);
        buffer.addCloseListener(recorder);
        assertTrue(buffer.removeCloseListener(recorder));
        assertFalse(buffer.removeCloseListener(recorder));
        buffer.close();
        assertTrue(recorder.calls.isEmpty());
    }

    @Test
    void aFailingListenerIsLoggedAndTheOthersAreStillTold() {
        try (LogCapture log = LogCapture.of("io.bigbuf.spi.BufferSupport")) {
            List<LogRecord> logged = log.records();
            DmaBuffer buffer = allocator.allocate(MIB);
            Recorder before = new Recorder(buffer);
            Recorder after = new Recorder(buffer);
            buffer.addCloseListener(before);
            buffer.addCloseListener((b, reason) -> {
                throw new IllegalStateException("listener bug");
            });
            buffer.addCloseListener(after);

            buffer.close(); // does not throw

            assertEquals(1, before.calls.size());
            assertEquals(1, after.calls.size(), "a listener after the failing one is still told");
            assertTrue(buffer.isClosed());
            assertEquals(0, allocator.statistics().liveBuffers());
            assertEquals(1, logged.stream().filter(r -> r.getLevel() == Level.SEVERE
                    && r.getMessage().contains("listener bug") && r.getThrown() != null).count(), logged.toString());
        }
    }

    @Test
    void aListenerHoldsNoLockOfTheBackendAndMayAllocateAgain() {
        DmaBuffer buffer = allocator.allocate(MIB);
        List<DmaBuffer> replacements = new CopyOnWriteArrayList<>();
        buffer.addCloseListener((closed, reason) -> {
            // Another thread must get through the allocator while the listener runs: no lock is held.
            AllocatorStatistics seen = CompletableFuture.supplyAsync(() -> {
                allocator.allocate(MIB).close();
                return allocator.statistics();
            }).orTimeout(10, TimeUnit.SECONDS).join();
            assertEquals(0, seen.liveBuffers());
            replacements.add(allocator.allocate(MIB)); // and this thread may take a new buffer
        });
        buffer.revoke();
        assertEquals(1, replacements.size());
        assertFalse(replacements.get(0).isClosed());
        assertEquals(1, allocator.statistics().liveBuffers());
        assertEquals(3, allocator.statistics().allocations());
    }
}

package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.it.E2eGuest.ModuleStats;
import io.bigbuf.it.E2eGuest.Result;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The kernel backend in a real OSGi framework on the real module: the example consumer gets its
 * buffer from it, a 64 MiB buffer is physically contiguous where the backend says and another
 * process sees what Java wrote, bad input changes nothing in the module, and no buffer outlives
 * its owner (Cleaner, deactivation). One framework for the class: starting one costs seconds
 * under TCG.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KmodBackendE2E {


    /** Static: with one instance per class, JUnit injects instance fields only after @BeforeAll. */
    @TempDir
    static Path storage;

    private EmbeddedFelix felix;
    private ContiguousAllocator kmod;

    @BeforeAll
    void start() throws Exception {
        E2eGuest.ensureLoaded();
        felix = EmbeddedFelix.withSharedApi(storage, Components.JNA_BUNDLE, Components.KMOD_BUNDLE, Components.MOCK_BUNDLE,
                Components.CONSUMER_BUNDLE);
        kmod = E2eGuest.awaitKmodAllocator(felix, "the kmod allocator service");
    }

    @AfterAll
    void stop() {
        if (felix != null) {
            felix.close();
        }
        E2eGuest.assertUnloadsAfterTheFramework();
    }

    @Test
    @Order(1)
    void theConsumerRunsOnTheKernelBackend() {
        DmaBuffer working = E2eGuest.await(() -> Components.consumerBuffer(kmod).orElse(null), "the consumer's buffer in kmod");
        assertEquals(AllocatorServiceProperties.BACKEND_KMOD, kmod.backendInfo().name());
        assertTrue(kmod.backendInfo().realBusAddresses());
        assertEquals(0, working.physicalAddress() % E2eGuest.PAGE);
        ContiguousAllocator mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        assertTrue(Components.consumerBuffer(mock).isEmpty(), "the consumer holds nothing in the mock");
        ModuleStats module = ModuleStats.read();
        assertTrue(module.buffers() >= 1 && module.bytesHeld() >= working.size(), module.toString());
        E2eGuest.log("consumer working buffer %s on backend %s", working, kmod.backendInfo().description());
    }

    @Test
    @Order(2)
    void a64MiBBufferIsPhysicallyContiguousAndAnotherProcessSeesWhatJavaWrote() {
        long size = 64L << 20;
        ModuleStats before = ModuleStats.read();
        try (DmaBuffer buffer = kmod.allocate(AllocationRequest.ofSize(size).withLabel("e2e-64M"))) {
            MemorySegment memory = buffer.segment();
            assertEquals(size, memory.byteSize());
            List<Long> frames = E2eGuest.pageFrames(memory.address(), size);
            long first = buffer.physicalAddress() / E2eGuest.PAGE;
            for (int i = 0; i < frames.size(); i++) {
                assertEquals(first + i, frames.get(i), "PFN of page " + i + " of " + frames.size());
            }
            assertEquals(before.bytesHeld() + size, ModuleStats.read().bytesHeld());

            long seed = 0x5EED_0000_0000_0000L ^ System.nanoTime();
            for (long word = 0; word < size / 8; word++) {
                memory.setAtIndex(ValueLayout.JAVA_LONG, word, E2eGuest.pattern(word, seed));
            }
            Result reader = E2eGuest.run(E2eGuest.READER.toString(), Long.toString(ProcessHandle.current().pid()),
                    "0x" + Long.toHexString(memory.address()), Long.toString(size),
                    "0x" + Long.toHexString(buffer.physicalAddress()), "0x" + Long.toHexString(seed));
            assertEquals(0, reader.status(), reader.output());
            assertTrue(reader.output().startsWith("ok 16384 pages contiguous"), reader.output());
            E2eGuest.log("64 MiB at phys 0x%x: %d consecutive PFNs in /proc/self/pagemap; C reader: %s",
                    buffer.physicalAddress(), frames.size(), reader.output());
        }
        ModuleStats after = E2eGuest.await(() -> {
            ModuleStats s = ModuleStats.read();
            return s.buffers() == before.buffers() ? s : null;
        }, "the 64 MiB buffer to be freed");
        assertEquals(before.bytesHeld(), after.bytesHeld());
        assertEquals(before.allocations() + 1, after.allocations());
        assertEquals(before.frees() + 1, after.frees());
    }

    @Test
    @Order(3)
    void badInputThrowsTypedExceptionsAndLeavesTheModuleAlone() {
        ModuleStats before = ModuleStats.read();
        AllocatorStatistics javaBefore = kmod.statistics();
        long ram = kmod.backendInfo().totalBytes();

        assertThrows(InvalidAllocationRequestException.class, () -> kmod.allocate(0));
        assertThrows(InvalidAllocationRequestException.class, () -> kmod.allocate(-4096));
        InvalidAllocationRequestException tooLarge = assertThrows(InvalidAllocationRequestException.class,
                () -> kmod.allocate(2 * ram));
        assertTrue(tooLarge.getMessage().contains("more than this machine's RAM"), tooLarge.getMessage());
        assertThrows(InvalidAllocationRequestException.class,
                () -> kmod.allocate(AllocationRequest.ofSize(4096).withAlignment(3000)));
        assertThrows(InvalidAllocationRequestException.class,
                () -> kmod.allocate(AllocationRequest.ofSize(4096).withAlignment(2048)));
        assertThrows(InvalidAllocationRequestException.class,
                () -> kmod.allocate(AllocationRequest.ofSize(4096).withAlignment(1L << 40)));
        assertEquals(before, ModuleStats.read(), "module statistics after rejected requests");
        assertEquals(javaBefore.rejected() + 3, kmod.statistics().rejected(),
                "the requests the backend saw (the other three never get past AllocationRequest)");

        DmaBuffer once = kmod.allocate(AllocationRequest.ofSize(4096).withLabel("e2e-double-close"));
        MemorySegment view = once.segment();
        view.set(ValueLayout.JAVA_INT, 0, 42);
        once.close();
        once.close();
        assertTrue(once.isClosed());
        assertThrows(IllegalStateException.class, once::segment);
        assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_INT, 0));
        ModuleStats after = ModuleStats.read();
        assertEquals(before.bytesHeld(), after.bytesHeld());
        assertEquals(before.buffers(), after.buffers());
        assertEquals(before.failures(), after.failures());
        assertEquals(before.frees() + 1, after.frees(), "closed twice, freed once");
        E2eGuest.log("bad input: 6 typed exceptions, double close freed once; module stats %s", after);
    }

    @Test
    @Order(4)
    void aBufferTheProgramForgetsIsFreedByTheCleaner() {
        ModuleStats before = ModuleStats.read();
        allocateAndForget(4L << 20);
        assertEquals(before.buffers() + 1, ModuleStats.read().buffers());
        E2eGuest.awaitTrue(() -> {
            System.gc();
            return ModuleStats.read().buffers() == before.buffers();
        }, "the Cleaner to free an unreachable buffer");
        assertEquals(before.bytesHeld(), ModuleStats.read().bytesHeld());
        E2eGuest.log("forgotten 4 MiB buffer freed by the Cleaner");
    }

    @Test
    @Order(4)
    void aSegmentAloneKeepsItsBufferAliveAndMapped() {
        ModuleStats before = ModuleStats.read();
        MemorySegment kept = segmentOfAForgottenBuffer(2L << 20);
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        assertEquals(before.buffers() + 1, ModuleStats.read().buffers(), "the module still holds the buffer");
        assertEquals(0x5e9L, kept.get(ValueLayout.JAVA_LONG, kept.byteSize() - 8), "the data is still there");
        kept.set(ValueLayout.JAVA_LONG, 0, 1L);
        kept = null;
        E2eGuest.awaitTrue(() -> {
            System.gc();
            return ModuleStats.read().buffers() == before.buffers();
        }, "the Cleaner to free the buffer once its segment is gone too");
        E2eGuest.log("a 2 MiB buffer kept only through its segment survived GC; freed once the segment went");
    }

    private MemorySegment segmentOfAForgottenBuffer(long size) {
        DmaBuffer forgotten = kmod.allocate(AllocationRequest.ofSize(size).withLabel("e2e-segment-only"));
        MemorySegment segment = forgotten.segment();
        segment.set(ValueLayout.JAVA_LONG, size - 8, 0x5e9L);
        return segment;
    }

    private void allocateAndForget(long size) {
        DmaBuffer forgotten = kmod.allocate(AllocationRequest.ofSize(size).withLabel("e2e-forgotten"));
        forgotten.segment().fill((byte) 1);
    }

    @Test
    @Order(5)
    void deactivatingTheBackendFreesEveryBufferAndTheConsumerFallsBack() throws Exception {
        ModuleStats before = ModuleStats.read();
        List<DmaBuffer> held = List.of(kmod.allocate(1L << 20), kmod.allocate(4L << 20), kmod.allocate(8L << 20));
        assertEquals(before.buffers() + 3, ModuleStats.read().buffers());

        ServiceComponentRuntime scr = felix.scr();
        ComponentDescriptionDTO backend = scr.getComponentDescriptionDTO(felix.bundle(Components.KMOD_BUNDLE), Components.KMOD_COMPONENT);
        scr.disableComponent(backend).getValue();
        held.forEach(b -> assertTrue(b.isClosed(), b + " closed by the deactivation"));
        ModuleStats after = E2eGuest.await(() -> {
            ModuleStats s = ModuleStats.read();
            return s.buffers() == 0 ? s : null;
        }, "every kmod buffer to be freed");
        assertEquals(0, after.bytesHeld(), "nothing held after deactivation, not even the consumer's buffer");
        ContiguousAllocator mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        E2eGuest.await(() -> Components.consumerBuffer(mock).orElse(null), "the consumer on the mock");

        scr.enableComponent(backend).getValue();
        kmod = E2eGuest.awaitKmodAllocator(felix, "the kmod allocator again");
        E2eGuest.await(() -> Components.consumerBuffer(kmod).orElse(null), "the consumer back on kmod");
        assertFalse(kmod.buffers().isEmpty());
        E2eGuest.log("deactivation freed 3 buffers + the consumer's; consumer went to the mock and back");
    }
}

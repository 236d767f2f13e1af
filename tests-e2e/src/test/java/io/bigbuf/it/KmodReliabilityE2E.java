package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.it.E2eGuest.ModuleStats;
import io.bigbuf.testkit.AllocatorReliabilityChecks;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import java.nio.file.Path;
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
 * The backend-independent reliability checks (the ones the build runs on the mock, see
 * {@code MockReliabilityTest}) on the kernel backend, through its OSGi service, on the real
 * module: use after close from this and other threads, racing closes, the API fuzzer, and the
 * backend going away under consumers. After each check the module holds what it held before:
 * the Java side's bookkeeping is checked by the checks, the kernel's by its own counters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KmodReliabilityE2E {

    /** Smaller than on the mock: every kernel call is emulated (TCG). */
    private static final int ROUNDS = 20;
    private static final int THREADS = 4;
    private static final int FUZZ_OPS_PER_THREAD = 250;

    @TempDir
    static Path storage;

    private EmbeddedFelix felix;
    private ContiguousAllocator kmod;

    @BeforeAll
    void start() throws Exception {
        E2eGuest.ensureLoaded();
        felix = EmbeddedFelix.withSharedApi(storage, Components.JNA_BUNDLE, Components.KMOD_BUNDLE);
        kmod = E2eGuest.awaitKmodAllocator(felix, "the kmod allocator service");
    }

    @AfterAll
    void stop() {
        if (felix != null) {
            felix.close();
        }
    }

    @Test
    @Order(1)
    void useAfterCloseThrowsOnTheRealMapping() throws Exception {
        ModuleStats before = ModuleStats.read();
        AllocatorReliabilityChecks.useAfterCloseSameThread(kmod);
        AllocatorReliabilityChecks.useAfterCloseFromAnotherThread(kmod, ROUNDS);
        assertModuleHolds(before, "after use-after-close checks");
    }

    @Test
    @Order(2)
    void racingClosesFreeEachBufferOnce() throws Exception {
        ModuleStats before = ModuleStats.read();
        AllocatorReliabilityChecks.concurrentClose(kmod, ROUNDS, THREADS);
        ModuleStats after = assertModuleHolds(before, "after racing closes");
        assertEquals(after.allocations() - before.allocations(), after.frees() - before.frees(),
                "every buffer the kernel handed out was freed exactly once");
    }

    @Test
    @Order(3)
    void fuzzedApiUseOnlyEverGivesTypedOutcomes() throws Exception {
        ModuleStats before = ModuleStats.read();
        long seed = Long.getLong("bigbuf.fuzz.seed", System.nanoTime());
        E2eGuest.log("kmod fuzz: replay with -Dbigbuf.fuzz.seed=%d", seed);
        AllocatorReliabilityChecks.FuzzReport report = AllocatorReliabilityChecks.fuzz(kmod, seed,
                FUZZ_OPS_PER_THREAD, THREADS);
        E2eGuest.log("kmod fuzz: %s", report);
        ModuleStats after = assertModuleHolds(before, "after the fuzzer");
        assertTrue(report.allocations() > 0 && report.rejected() > 0 && report.closes() > 0
                && report.accessesAfterClose() > 0, report.toString());
        assertEquals(report.allocations(), after.allocations() - before.allocations(),
                "the module counted other allocations than the fuzzer saw succeed");
    }

    @Test
    @Order(4)
    void disablingTheBackendUnderConsumersClosesEverything() throws Exception {
        ModuleStats before = ModuleStats.read();
        ServiceComponentRuntime scr = felix.scr();
        ComponentDescriptionDTO backend = scr.getComponentDescriptionDTO(felix.bundle(Components.KMOD_BUNDLE),
                Components.KMOD_COMPONENT);
        long clean = AllocatorReliabilityChecks.backendDisappearsUnderConsumers(kmod, () -> {
            try {
                scr.disableComponent(backend).getValue();
            } catch (Exception e) {
                throw new IllegalStateException("disabling the kmod component", e);
            }
        }, THREADS);
        assertTrue(clean >= THREADS, "every consumer must have seen the backend go: " + clean);
        assertModuleHolds(before, "after the backend went away under consumers");
        E2eGuest.log("backend disabled under %d consumers: %d clean failures, module back to %s", THREADS, clean,
                ModuleStats.read());
    }

    /**
     * The module's buffer count and bytes held get back to where they were. An unmap's final
     * file release runs on the way back to user space, so this normally holds at once; the wait
     * only covers a release the kernel deferred.
     */
    private static ModuleStats assertModuleHolds(ModuleStats before, String when) {
        try {
            E2eGuest.awaitTrue(() -> {
                ModuleStats now = ModuleStats.read();
                return now.buffers() == before.buffers() && now.bytesHeld() == before.bytesHeld();
            }, "the module to hold what it held before, " + when);
        } catch (AssertionError timedOut) {
            ModuleStats after = ModuleStats.read();
            assertEquals(before.buffers(), after.buffers(), "module buffers " + when);
            assertEquals(before.bytesHeld(), after.bytesHeld(), "module bytes held " + when);
        }
        return ModuleStats.read();
    }
}

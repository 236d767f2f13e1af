package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.it.E2eGuest.Result;
import io.bigbuf.testkit.Components.ConsumerHeader;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.condition.Condition;

/**
 * The live hot swap between mock and kernel backend, driven by insmod and rmmod, in one framework
 * that is never restarted and with one consumer instance that is never restarted either (the
 * token in its buffer header stays, the generation counts the rebinds).
 */
class HotSwapE2E {

    private static final String DEVICE_CONDITION = "(osgi.condition.id=bigbuf.kmod.device)";

    @TempDir
    Path storage;

    private EmbeddedFelix felix;

    @BeforeEach
    void start() throws Exception {
        E2eGuest.ensureUnloaded();
        felix = EmbeddedFelix.withSharedApi(storage, Components.JNA_BUNDLE, Components.KMOD_BUNDLE, Components.MOCK_BUNDLE,
                Components.CONSUMER_BUNDLE);
    }

    @AfterEach
    void stop() {
        felix.close();
        E2eGuest.ensureUnloaded();
    }

    @Test
    void insmodMovesTheConsumerToTheKernelAndRmmodWaitsUntilItIsBackOnTheMock() throws Exception {
        ContiguousAllocator mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        DmaBuffer onMock = awaitConsumerBuffer(mock, 1);
        ConsumerHeader first = ConsumerHeader.of(onMock);
        E2eGuest.log("hot swap 1/6: module absent, consumer on mock (%s), token %x generation 1", onMock,
                first.token());

        long t0 = System.nanoTime();
        E2eGuest.insmod();
        ContiguousAllocator kmod = E2eGuest.awaitKmodAllocator(felix, "the kmod allocator after insmod");
        DmaBuffer onKernel = awaitConsumerBuffer(kmod, 2);
        long rebindMillis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(first.token(), ConsumerHeader.of(onKernel).token(), "rebound in place, not restarted");
        E2eGuest.awaitTrue(onMock::isClosed, "the mock buffer to be released");
        E2eGuest.log("hot swap 2/6: insmod -> consumer on kmod after %d ms (%s)", rebindMillis, onKernel);

        Result refused = E2eGuest.rmmod();
        assertNotEquals(0, refused.status(), "rmmod must fail while the consumer holds a kernel buffer");
        assertTrue(E2eGuest.loaded());
        assertFalse(onKernel.isClosed());
        E2eGuest.log("hot swap 3/6: rmmod refused while the consumer holds a buffer: %s", refused.output());

        // The operator's request to leave the kernel backend: disable its component (scr:disable).
        ServiceComponentRuntime scr = felix.scr();
        ComponentDescriptionDTO backend = scr.getComponentDescriptionDTO(felix.bundle(Components.KMOD_BUNDLE),
                Components.KMOD_COMPONENT);
        t0 = System.nanoTime();
        scr.disableComponent(backend).getValue();
        DmaBuffer backOnMock = awaitConsumerBuffer(mock, 3);
        assertTrue(onKernel.isClosed());
        assertEquals(first.token(), ConsumerHeader.of(backOnMock).token());
        E2eGuest.log("hot swap 4/6: kernel backend disabled -> consumer back on mock after %d ms",
                (System.nanoTime() - t0) / 1_000_000);

        Result unloaded = E2eGuest.rmmod();
        assertEquals(0, unloaded.status(), () -> "rmmod once nothing is mapped: " + unloaded.output());
        E2eGuest.awaitTrue(() -> !Files.exists(E2eGuest.DEVICE), "the device node to go");
        // Until the watcher's next poll the condition still stands (and would let SCR try to activate).
        E2eGuest.awaitTrue(() -> felix.references(Condition.class, DEVICE_CONDITION).isEmpty(),
                "the watcher to withdraw the device condition");
        scr.enableComponent(backend).getValue();
        // Enabled again, but the device condition is gone: it must stay unsatisfied.
        Thread.sleep(2_000);
        ComponentConfigurationDTO waiting = felix.component(Components.KMOD_BUNDLE, Components.KMOD_COMPONENT);
        assertEquals(ComponentConfigurationDTO.UNSATISFIED_REFERENCE, waiting.state);
        assertTrue(felix.references(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_KMOD).isEmpty());
        assertFalse(backOnMock.isClosed());
        E2eGuest.log("hot swap 5/6: rmmod succeeded, kernel backend unsatisfied (no device), consumer stays on mock");

        t0 = System.nanoTime();
        E2eGuest.insmod();
        ContiguousAllocator kmodAgain = E2eGuest.awaitKmodAllocator(felix, "the kmod allocator after the second insmod");
        DmaBuffer onKernelAgain = awaitConsumerBuffer(kmodAgain, 4);
        assertEquals(first.token(), ConsumerHeader.of(onKernelAgain).token());
        E2eGuest.log("hot swap 6/6: second insmod -> consumer on kmod again after %d ms, same consumer instance,"
                + " same framework", (System.nanoTime() - t0) / 1_000_000);
    }

    /** The header generation, or -1 while the buffer is being replaced (closed under our feet). */
    private static int generationOf(DmaBuffer buffer) {
        try {
            return ConsumerHeader.of(buffer).generation();
        } catch (IllegalStateException closed) {
            return -1;
        }
    }

    /** The consumer's buffer in {@code allocator} once it has written header generation {@code generation}. */
    private static DmaBuffer awaitConsumerBuffer(ContiguousAllocator allocator, int generation) {
        return E2eGuest.await(() -> Components.consumerBuffer(allocator)
                .filter(b -> generationOf(b) == generation).orElse(null),
                "the consumer's buffer of generation " + generation + " in " + allocator.backendInfo().name());
    }
}

package io.bigbuf.it;

import static io.bigbuf.testkit.Components.CONSUMER_BUNDLE;
import static io.bigbuf.testkit.Components.CONSUMER_COMPONENT;
import static io.bigbuf.testkit.Components.consumerBuffer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import io.bigbuf.testkit.Await;
import io.bigbuf.testkit.Components.ConsumerHeader;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import io.bigbuf.testkit.FelixBundles;
import io.bigbuf.testkit.FelixExtension;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Dictionary;
import java.util.Hashtable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

/**
 * The example consumer follows the best backend while it holds a buffer: it is rebound in place
 * (same DS component configuration, no deactivation), takes a buffer from the new backend, and
 * its old buffer is closed so that stale access fails cleanly instead of touching freed memory.
 */
@ExtendWith(FelixExtension.class)
@FelixBundles({Components.MOCK_BUNDLE, CONSUMER_BUNDLE})
class HotSwapIT {

    private EmbeddedFelix felix;
    private ContiguousAllocator mock;

    @BeforeEach
    void start(EmbeddedFelix felix) throws Exception {
        this.felix = felix;
        mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
    }


    @Test
    void consumerMovesToAHigherRankedBackendAndBackWithoutRestart() {
        DmaBuffer onMock = awaitConsumerBuffer(mock);
        ConsumerHeader first = ConsumerHeader.of(onMock);
        assertEquals(1, first.generation());
        MemorySegment staleView = onMock.segment();

        MockAllocator kernelStandIn = newBackend("kernel stand-in");
        ServiceRegistration<ContiguousAllocator> kernel = register(kernelStandIn, AllocatorServiceProperties.RANKING_KERNEL);
        DmaBuffer onKernel = awaitConsumerBuffer(kernelStandIn);
        assertClosed(onMock, staleView);
        assertTrue(consumerBuffer(mock).isEmpty(), "the old backend got its memory back");
        assertEquals(new ConsumerHeader(first.token(), 2), ConsumerHeader.of(onKernel), "rebound in place, not restarted");

        kernel.unregister();
        DmaBuffer backOnMock = awaitConsumerBuffer(mock);
        assertTrue(onKernel.isClosed());
        assertFalse(backOnMock.isClosed());
        assertEquals(new ConsumerHeader(first.token(), 3), ConsumerHeader.of(backOnMock));
        activeConsumer();
        kernelStandIn.shutdown();
    }

    @Test
    void stoppingAndStartingTheBackendBundleRebindsTheConsumerWhileItHoldsABuffer() throws Exception {
        MockAllocator fallback = newBackend("fallback");
        register(fallback, AllocatorServiceProperties.RANKING_MOCK - 50);
        DmaBuffer onMock = awaitConsumerBuffer(mock);
        ConsumerHeader first = ConsumerHeader.of(onMock);
        MemorySegment staleView = onMock.segment();

        Bundle mockBundle = felix.bundle(Components.MOCK_BUNDLE);
        mockBundle.stop();
        DmaBuffer onFallback = awaitConsumerBuffer(fallback);
        assertClosed(onMock, staleView);
        assertEquals(new ConsumerHeader(first.token(), first.generation() + 1), ConsumerHeader.of(onFallback),
                "consumer was rebound, not restarted");
        activeConsumer();

        mockBundle.start();
        ContiguousAllocator restartedMock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        DmaBuffer onRestartedMock = awaitConsumerBuffer(restartedMock);
        assertFalse(onRestartedMock.isClosed());
        Await.isTrue(onFallback::isClosed, "the fallback buffer to be released after the greedy rebind");
        assertTrue(consumerBuffer(fallback).isEmpty());
        assertEquals(new ConsumerHeader(first.token(), first.generation() + 2), ConsumerHeader.of(onRestartedMock));
        fallback.shutdown();
    }

    @Test
    void whenTheOnlyBackendLeavesTheConsumerBecomesUnsatisfiedAndRecovers() throws Exception {
        DmaBuffer onMock = awaitConsumerBuffer(mock);
        ConsumerHeader first = ConsumerHeader.of(onMock);
        Bundle mockBundle = felix.bundle(Components.MOCK_BUNDLE);
        mockBundle.stop();
        felix.awaitComponentState(CONSUMER_BUNDLE, CONSUMER_COMPONENT, ComponentConfigurationDTO.UNSATISFIED_REFERENCE);
        assertTrue(onMock.isClosed());
        assertThrows(IllegalStateException.class, onMock::segment);

        mockBundle.start();
        activeConsumer();
        DmaBuffer fresh = awaitConsumerBuffer(felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK));
        ConsumerHeader restarted = ConsumerHeader.of(fresh);
        assertTrue(restarted.token() != first.token(), "a new component instance after being unsatisfied");
        assertEquals(1, restarted.generation());
    }

    private ComponentConfigurationDTO activeConsumer() {
        return felix.awaitComponentState(CONSUMER_BUNDLE, CONSUMER_COMPONENT, ComponentConfigurationDTO.ACTIVE);
    }

    private static DmaBuffer awaitConsumerBuffer(ContiguousAllocator allocator) {
        // The buffer is listed as soon as it is allocated; wait until the consumer has also written its header.
        return Await.until(() -> consumerBuffer(allocator)
                        .filter(b -> !b.isClosed() && ConsumerHeader.of(b).generation() > 0).orElse(null),
                "the consumer's working buffer in " + allocator.backendInfo().description());
    }

    private static void assertClosed(DmaBuffer buffer, MemorySegment earlierView) {
        Await.isTrue(buffer::isClosed, "buffer " + buffer + " to be closed");
        assertThrows(IllegalStateException.class, buffer::segment);
        assertThrows(IllegalStateException.class, () -> earlierView.get(ValueLayout.JAVA_BYTE, 0));
    }

    private static MockAllocator newBackend(String description) {
        return new MockAllocator(new PhysicalMemoryModel(0, 64L << 20, 4096, 10), description, 0);
    }

    private ServiceRegistration<ContiguousAllocator> register(ContiguousAllocator allocator, int ranking) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_RANKING, ranking);
        props.put(AllocatorServiceProperties.BACKEND, "test");
        return felix.context().registerService(ContiguousAllocator.class, allocator, props);
    }
}

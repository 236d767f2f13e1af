package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.testkit.AllocatorReliabilityChecks;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import io.bigbuf.testkit.FelixBundles;
import io.bigbuf.testkit.FelixExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;

/**
 * The backend bundle is stopped while consumers allocate and write through buffers it handed out:
 * they see {@code BackendUnavailableException} and {@code IllegalStateException} only, every buffer
 * ends closed, the JVM keeps running, and a restarted backend serves again.
 */
@ExtendWith(FelixExtension.class)
@FelixBundles({Components.MOCK_BUNDLE})
class BackendDisappearsIT {

    private EmbeddedFelix felix;

    @BeforeEach
    void start(EmbeddedFelix felix) throws Exception {
        this.felix = felix;
    }


    @Test
    void stoppingTheBackendBundleUnderConsumersGivesTypedExceptionsOnly() throws Exception {
        ContiguousAllocator before = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        Bundle mock = felix.bundle(Components.MOCK_BUNDLE);
        long clean = AllocatorReliabilityChecks.backendDisappearsUnderConsumers(before, () -> {
            try {
                mock.stop();
            } catch (BundleException e) {
                throw new IllegalStateException(e);
            }
        }, 4);
        assertTrue(clean >= 4, "every consumer must have noticed: " + clean);
        assertEquals(0, felix.references(ContiguousAllocator.class, null).size(), "service still registered");

        mock.start();
        ContiguousAllocator after = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        assertNotSame(before, after, "a restarted backend is a new service object");
        try (DmaBuffer buffer = after.allocate(4096)) {
            assertEquals(4096, buffer.segment().byteSize());
        }
    }
}

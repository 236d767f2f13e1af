package io.bigbuf.mock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.MemoryLimitExceededException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * memlock.limit: the mock refuses what would take the simulated user over its memory lock limit,
 * as the kernel backend refuses what RLIMIT_MEMLOCK does not allow, so drivers can test how they
 * handle it without the module.
 */
class MockMemlockLimitTest {

    private MockAllocator mock;

    @AfterEach
    void shutdown() {
        if (mock != null) {
            mock.shutdown();
        }
    }

    @Test
    void allocationsUpToTheLimitSucceedAndTheNextPageIsRefusedWithNothingChanged() {
        mock = new MockAllocator(MockDefaultsTest.configuration(Map.of("memory.size", "64M", "memlock.limit", "8M")));
        assertTrue(mock.backendInfo().description().contains("memlock limit 8 MiB"), mock.backendInfo().description());
        DmaBuffer first = mock.allocate(4 << 20);
        DmaBuffer second = mock.allocate((4 << 20) - 4096);
        DmaBuffer last = mock.allocate(1);        // rounded to the last page of the 8 MiB
        long held = mock.statistics().bytesHeld();
        MemoryLimitExceededException e = assertThrows(MemoryLimitExceededException.class, () -> mock.allocate(1));
        assertTrue(e instanceof OutOfContiguousMemoryException, "handled where 'not now' is handled");
        assertTrue(e.getMessage().startsWith("1 B would take the simulated user to 8196 KiB of buffers, over its"
                + " memory lock limit of 8 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("ulimit -l"), e.getMessage());
        assertEquals(held, mock.statistics().bytesHeld(), "nothing allocated");
        assertEquals(3, mock.buffers().size());
        first.close();
        mock.allocate(4 << 20).close();            // freed memory counts again
        second.close();
        last.close();
    }

    @Test
    void unlimitedByDefaultAndABadLimitNamesTheProperty() {
        mock = new MockAllocator(MockDefaultsTest.configuration(Map.of("memory.size", "64M")));
        mock.allocate(60 << 20).close();
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> new MockAllocator(MockDefaultsTest.configuration(Map.of("memlock.limit", "lots"))));
        assertTrue(bad.getMessage().startsWith("invalid configuration io.bigbuf.mock: memlock.limit: 'lots' is not a size"),
                bad.getMessage());
    }
}

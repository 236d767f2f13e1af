package io.bigbuf.it;

import static io.bigbuf.testkit.Components.CONSUMER_BUNDLE;
import static io.bigbuf.testkit.Components.CONSUMER_COMPONENT;
import static io.bigbuf.testkit.Components.consumerBuffer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.testkit.Await;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.Components.ConsumerHeader;
import io.bigbuf.testkit.EmbeddedFelix;
import io.bigbuf.testkit.FelixBundles;
import io.bigbuf.testkit.FelixExtension;
import io.bigbuf.testkit.LogCapture;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

/**
 * An administrator frees the example consumer's working buffer from the shell: the buffer is
 * revoked, the consumer learns it through its close listener, takes a new buffer from the same
 * backend in the same instance, and says so in one INFO line.
 */
@ExtendWith(FelixExtension.class)
@FelixBundles({Components.MOCK_BUNDLE, Components.SHELL_BUNDLE, CONSUMER_BUNDLE})
class ConsumerBufferRevokedIT {

    private final LogCapture consumerLog = LogCapture.of("io.bigbuf.examples.consumer.WorkingBufferConsumer");
    private final List<LogRecord> logged = consumerLog.records();

    private EmbeddedFelix felix;
    private ContiguousAllocator mock;
    private CommandSession session;

    @BeforeEach
    void start(EmbeddedFelix felix) throws Exception {
        this.felix = felix;
        mock = felix.awaitService(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK);
        session = felix.bigbufShellSession();
        consumerLog.logger().setLevel(Level.INFO);
    }

    @AfterEach
    void stop() {
        consumerLog.close();
        session.close();
    }

    @Test
    void freeingTheConsumersBufferFromTheShellMakesItTakeANewOne() throws Exception {
        DmaBuffer first = awaitConsumerBuffer(1);
        ConsumerHeader header = ConsumerHeader.of(first);
        MemorySegment staleView = first.segment();
        logged.clear();

        String freed = String.valueOf(session.execute("bigbuf:free " + first.id()));

        assertTrue(freed.startsWith("freed #" + first.id() + ": 1 MiB"), freed);
        assertTrue(freed.endsWith("; revoked from its owner"), freed);
        assertTrue(first.isClosed());
        assertThrows(IllegalStateException.class, () -> staleView.get(ValueLayout.JAVA_BYTE, 0));
        // The listener runs in the thread that revoked: the new buffer is there when the command returns.
        DmaBuffer second = consumerBuffer(mock).orElseThrow(() -> new AssertionError(
                "the consumer holds no buffer after bigbuf:free: " + mock.buffers()));
        assertNotEquals(first.id(), second.id());
        assertFalse(second.isClosed());
        assertEquals(new ConsumerHeader(header.token(), 2), ConsumerHeader.of(second),
                "the same instance took its second buffer (not restarted)");
        assertEquals(1, mock.statistics().liveBuffers());
        felix.awaitComponentState(CONSUMER_BUNDLE, CONSUMER_COMPONENT, ComponentConfigurationDTO.ACTIVE);

        List<LogRecord> info = logged.stream().filter(r -> r.getLevel().intValue() >= Level.INFO.intValue()).toList();
        assertEquals(1, info.size(), "one line says what happened: " + messages(info));
        String line = info.get(0).getMessage();
        assertEquals(Level.INFO, info.get(0).getLevel());
        assertTrue(line.startsWith("working buffer #" + first.id() + " was revoked (freed by an administrator);"
                + " re-acquired working buffer #" + second.id() + " (1 MiB) at physical 0x"), line);
        assertTrue(line.endsWith("from backend mock (generation 2)"), line);
    }

    @Test
    void everyRevokedBufferIsReplaced() throws Exception {
        DmaBuffer buffer = awaitConsumerBuffer(1);
        long token = ConsumerHeader.of(buffer).token();
        for (int generation = 2; generation <= 4; generation++) {
            session.execute("bigbuf:free " + buffer.id());
            buffer = consumerBuffer(mock).orElseThrow();
            assertEquals(new ConsumerHeader(token, generation), ConsumerHeader.of(buffer));
        }
        assertEquals(1, mock.statistics().liveBuffers());
    }

    @Test
    void freeingABufferOfTheShellIsAPlainCloseAndLeavesTheConsumerAlone() throws Exception {
        DmaBuffer consumers = awaitConsumerBuffer(1);
        String id = String.valueOf(session.execute("bigbuf:alloc 2M")).replaceAll("allocated #(\\d+):.*", "$1");
        String freed = String.valueOf(session.execute("bigbuf:free " + id));
        assertEquals("freed #" + id + ": 2 MiB", freed.replaceAll(" at physical.*", ""), freed);
        assertFalse(freed.contains("revoked"), freed);
        assertFalse(consumers.isClosed());
        assertEquals(consumers.id(), consumerBuffer(mock).orElseThrow().id());
    }

    private DmaBuffer awaitConsumerBuffer(int generation) {
        return Await.until(() -> consumerBuffer(mock).filter(b -> {
            try {
                return ConsumerHeader.of(b).generation() == generation;
            } catch (IllegalStateException closed) {
                return false;
            }
        }).orElse(null), "the consumer's working buffer, generation " + generation);
    }

    private static List<String> messages(List<LogRecord> records) {
        return records.stream().map(LogRecord::getMessage).toList();
    }
}

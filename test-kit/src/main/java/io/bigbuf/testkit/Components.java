package io.bigbuf.testkit;

import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;

/** Names of the bundles and DS components under test, and small lookups on them. */
public final class Components {

    public static final String MOCK_BUNDLE = "io.bigbuf.mock";
    public static final String MOCK_COMPONENT = "io.bigbuf.mock.MockAllocator";
    public static final String KMOD_BUNDLE = "io.bigbuf.kmod";
    public static final String KMOD_COMPONENT = "io.bigbuf.kmod.KmodAllocator";
    /** JNA, which the kernel backend needs. */
    public static final String JNA_BUNDLE = "jna";
    public static final String EDU_BUNDLE = "io.bigbuf.examples.edu";
    public static final String SHELL_BUNDLE = "io.bigbuf.shell";
    /** The PCI device layer over sysfs (its API, io.bigbuf.pci, is shared from the class path). */
    public static final String PCI_SYSFS_BUNDLE = "io.bigbuf.pci.sysfs";
    public static final String SHELL_COMPONENT = "io.bigbuf.shell.BigbufCommands";
    public static final String CONSUMER_BUNDLE = "io.bigbuf.examples.consumer";
    public static final String CONSUMER_COMPONENT = "io.bigbuf.examples.consumer.WorkingBufferConsumer";
    /** Label the example consumer puts on its working buffer. */
    public static final String CONSUMER_LABEL = "example-consumer";

    private Components() {
    }

    /**
     * Which consumer instance filled a working buffer, from the header the consumer writes
     * (see WorkingBufferConsumer.HEADER_TOKEN_OFFSET): same token after a hot swap means the
     * same component instance was rebound, a new token means it was restarted.
     */
    public record ConsumerHeader(long token, int generation) {
        public static ConsumerHeader of(DmaBuffer buffer) {
            MemorySegment memory = buffer.segment();
            return new ConsumerHeader(memory.get(ValueLayout.JAVA_LONG_UNALIGNED, 0),
                    memory.get(ValueLayout.JAVA_INT_UNALIGNED, 8));
        }
    }

    /** The example consumer's working buffer in this allocator, if it holds one there. */
    public static Optional<DmaBuffer> consumerBuffer(ContiguousAllocator allocator) {
        List<DmaBuffer> buffers = allocator.buffers().stream()
                .filter(b -> CONSUMER_LABEL.equals(b.label()))
                .toList();
        if (buffers.size() > 1) {
            throw new AssertionError("the consumer holds " + buffers.size() + " buffers in one backend: " + buffers);
        }
        return buffers.stream().findFirst();
    }
}

package io.bigbuf.mock;

import io.bigbuf.mock.model.FragmentationPattern;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * Configuration of the mock backend, PID {@value MockAllocator#PID}. Each method maps to a
 * property ({@code memory_size} is {@code memory.size}, DS 1.3 naming); the build generates the
 * Metatype description consoles show ({@code OSGI-INF/metatype/}) from these annotations, defaults
 * and limits included.
 */
@ObjectClassDefinition(id = MockAllocator.PID, name = "bigbuf mock backend",
        description = "Simulated physical memory for the bigbuf ContiguousAllocator. Changing any value restarts"
                + " the backend: all its buffers are closed.")
public @interface MockConfiguration {

    @AttributeDefinition(name = "Simulated memory size", description = "Size of the simulated physical address"
            + " space, a multiple of the 4 MiB max-order block (e.g. 1G, 8G).")
    String memory_size() default "8G";

    @AttributeDefinition(name = "Physical base address", description = "Physical address of the first simulated"
            + " page, aligned to 4 MiB (e.g. 0, 0x100000000).")
    String memory_base() default "0";

    /** The names of {@link FragmentationPattern} (a test checks that they agree). */
    @AttributeDefinition(name = "Fragmentation pattern",
            description = "How pinned (unmovable) pages are scattered over the 4 MiB blocks at start.",
            options = {
                @Option(label = "none: no pinned pages", value = "none"),
                @Option(label = "random: a random page in a random share of the blocks", value = "random"),
                @Option(label = "striped: the middle page of every n-th block", value = "striped")
            })
    String fragmentation_pattern() default "random";

    /**
     * Default {@value #DEFAULT_FRAGMENTATION_PERCENT}: a lightly fragmented machine, as a driver
     * developer's test box after boot. With the other defaults (8 GiB, random, seed 42) that pins 19
     * pages and leaves 1106 MiB as the largest free run, so typical driver buffers (256 MiB
     * physically contiguous and more) succeed; 10 gives a long-running machine (largest run 211 MiB).
     */
    @AttributeDefinition(name = "Fragmented blocks (%)", type = AttributeType.INTEGER, min = "0",
            max = "" + FragmentationPattern.MAX_PERCENT,
            description = "Share of 4 MiB blocks that get one pinned page, 0..100 (1: lightly fragmented,"
                    + " 10: a machine that has been up for long).")
    int fragmentation_percent() default DEFAULT_FRAGMENTATION_PERCENT;

    /** See {@link #fragmentation_percent()}. */
    int DEFAULT_FRAGMENTATION_PERCENT = 1;

    @AttributeDefinition(name = "Fragmentation seed",
            description = "Seed of the random pattern; the same seed gives the same layout.")
    long fragmentation_seed() default 42;

    @AttributeDefinition(name = "Inject a failure every n-th allocation", min = "0", description = "0 disables"
            + " failure injection; n makes every n-th allocation fail with OutOfContiguousMemoryException.")
    int failure_every() default 0;

    @AttributeDefinition(name = "Simulated RLIMIT_MEMLOCK", required = false, description = "The memory the"
            + " simulated user may hold in buffers (e.g. 64M), as the kernel backend charges buffers against"
            + " RLIMIT_MEMLOCK; an allocation over it fails with MemoryLimitExceededException. Empty: unlimited.")
    String memlock_limit() default "";

    /** The names of {@link io.bigbuf.mock.model.IommuModel.Mode} (a test checks that they agree). */
    @AttributeDefinition(name = "Simulated IOMMU", description = "How the simulated PCI functions' DMA is"
            + " translated: device addresses equal physical ones, or are I/O virtual addresses of each function.",
            options = {
                @Option(label = "off: no IOMMU, device address = physical address", value = "off"),
                @Option(label = "identity: IOMMU in passthrough, the same addresses", value = "identity"),
                @Option(label = "translating: IOVAs per function, distinct from physical addresses",
                        value = "translating")
            })
    String iommu_mode() default "off";

    @AttributeDefinition(name = "Simulated PCI functions", description = "Comma-separated PCI addresses"
            + " (0000:00:04.0) that buffers can be mapped for.")
    String pci_devices() default "0000:00:04.0";

    @AttributeDefinition(name = "Simulated busy PCI functions", required = false, description = "Comma-separated"
            + " PCI addresses that exist but are bound to a kernel driver: mapping for them fails.")
    String pci_busy() default "";
}

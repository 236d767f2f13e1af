package io.bigbuf.mock;

/**
 * Configuration of the mock backend, PID {@value MockAllocator#PID}. Each method maps to
 * a property ({@code memory_size} is {@code memory.size}, DS 1.3 naming). The Metatype description
 * that consoles show is {@code OSGI-INF/metatype/io.bigbuf.mock.xml}; keep both in sync.
 */
public @interface MockConfiguration {

    /** Size of the simulated physical memory, e.g. {@code 1G}; a multiple of 4 MiB. */
    String memory_size() default "8G";

    /** Physical address of the first simulated page, e.g. {@code 0x100000000}; 4 MiB aligned. */
    String memory_base() default "0";

    /** {@code none}, {@code random} or {@code striped}, see {@link io.bigbuf.mock.model.FragmentationPattern}. */
    String fragmentation_pattern() default "random";

    /** Share of 4 MiB blocks that get a pinned page, 0..100. */
    int fragmentation_percent() default 10;

    /** Seed of the random pattern. */
    long fragmentation_seed() default 42;

    /** 0, or n to make every n-th allocation fail. */
    int failure_every() default 0;

    /** {@code off}, {@code identity} or {@code translating}, see {@link io.bigbuf.mock.model.IommuModel}. */
    String iommu_mode() default "off";

    /** The simulated PCI functions a userspace driver may map buffers for, comma-separated. */
    String pci_devices() default "0000:00:04.0";

    /** Simulated PCI functions bound to a kernel driver (mapping for them fails), comma-separated. */
    String pci_busy() default "";
}

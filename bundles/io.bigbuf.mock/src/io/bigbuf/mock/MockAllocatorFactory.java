package io.bigbuf.mock;

import io.bigbuf.api.ByteSize;
import io.bigbuf.mock.model.FragmentationPattern;
import io.bigbuf.mock.model.PhysicalMemoryModel;

/**
 * Builds a {@link MockAllocator} from its configuration, turning every bad value into one
 * {@link IllegalArgumentException} that names the property, the PID and what is allowed.
 */
public final class MockAllocatorFactory {

    /** Linux x86-64 page size. */
    public static final long PAGE_SIZE = 4096;

    /** Largest buddy order of Linux ({@code MAX_PAGE_ORDER}): 4 MiB blocks with 4 KiB pages. */
    public static final int MAX_ORDER = 10;

    /**
     * Largest alignment the simulated machine's bigbuf module accepts, as the real one reports in
     * {@code bigbuf_info.max_align}; the mock states it in {@link io.bigbuf.api.BackendInfo#maxAlignment()}.
     */
    public static final long MAX_ALIGNMENT = 1L << 30;

    private MockAllocatorFactory() {
    }

    public static MockAllocator create(MockConfiguration config) {
        long size = sizeProperty("memory.size", config.memory_size());
        long base = sizeProperty("memory.base", config.memory_base());
        PhysicalMemoryModel model;
        FragmentationPattern pattern;
        try {
            model = new PhysicalMemoryModel(base, size, PAGE_SIZE, MAX_ORDER);
            pattern = FragmentationPattern.parse(config.fragmentation_pattern());
            pattern.apply(model, config.fragmentation_percent(), config.fragmentation_seed());
            String description = String.format("simulated %s at 0x%x..0x%x, %s fragmentation of %d%% of 4 MiB blocks"
                    + " (seed %d, %d pinned pages)%s", ByteSize.format(size), base, base + size - 1, pattern,
                    config.fragmentation_percent(), config.fragmentation_seed(), model.pinnedPages(),
                    config.failure_every() > 0 ? ", every " + config.failure_every() + ". allocation fails" : "");
            return new MockAllocator(model, description, config.failure_every());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration " + MockAllocatorComponent.PID + ": "
                    + e.getMessage(), e);
        }
    }

    private static long sizeProperty(String name, String value) {
        try {
            return ByteSize.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration " + MockAllocatorComponent.PID + ": "
                    + name + ": " + e.getMessage(), e);
        }
    }
}

package io.bigbuf.mock;

import io.bigbuf.api.ByteSize;
import io.bigbuf.api.PciAddress;
import io.bigbuf.mock.model.FragmentationPattern;
import io.bigbuf.mock.model.IommuModel;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The simulated machine a {@link MockConfiguration} describes: its memory, already fragmented,
 * and how it reads in {@link io.bigbuf.api.BackendInfo#description()}. Every bad value becomes
 * one {@link IllegalArgumentException} that names the property, the PID and what is allowed.
 *
 * @param iommu     its PCI functions and their DMA translation
 * @param failEvery    0, or n to fail every n-th valid allocation
 * @param memlockLimit bytes the simulated user may hold in buffers, or {@link MockAllocator#UNLIMITED}
 */
record SimulatedMachine(PhysicalMemoryModel model, IommuModel iommu, String description, int failEvery,
        long memlockLimit) {

    /** Linux x86-64 page size. */
    static final long PAGE_SIZE = 4096;

    /** Largest buddy order of Linux ({@code MAX_PAGE_ORDER}): 4 MiB blocks with 4 KiB pages. */
    static final int MAX_ORDER = 10;

    /**
     * Largest alignment the simulated machine's bigbuf module accepts, as the real one reports in
     * {@code bigbuf_info.max_align}; the mock states it in {@link io.bigbuf.api.BackendInfo#maxAlignment()}.
     */
    static final long MAX_ALIGNMENT = 1L << 30;

    static SimulatedMachine of(MockConfiguration config) {
        long size = sizeProperty("memory.size", config.memory_size());
        long base = sizeProperty("memory.base", config.memory_base());
        long memlock = config.memlock_limit().isBlank() ? MockAllocator.UNLIMITED
                : sizeProperty("memlock.limit", config.memlock_limit());
        try {
            PhysicalMemoryModel model = new PhysicalMemoryModel(base, size, PAGE_SIZE, MAX_ORDER);
            FragmentationPattern pattern = FragmentationPattern.parse(config.fragmentation_pattern());
            pattern.apply(model, config.fragmentation_percent(), config.fragmentation_seed());
            IommuModel iommu = new IommuModel(IommuModel.Mode.parse(config.iommu_mode()),
                    functions("pci.devices", config.pci_devices()), functions("pci.busy", config.pci_busy()),
                    PAGE_SIZE);
            String description = String.format("simulated %s at 0x%x..0x%x, %s fragmentation of %d%% of 4 MiB blocks"
                    + " (seed %d, %d pinned pages), %s%s%s", ByteSize.format(size), base, base + size - 1, pattern,
                    config.fragmentation_percent(), config.fragmentation_seed(), model.pinnedPages(), iommu,
                    config.failure_every() > 0 ? ", every " + config.failure_every() + ". allocation fails" : "",
                    memlock == MockAllocator.UNLIMITED ? "" : ", memlock limit " + ByteSize.format(memlock));
            return new SimulatedMachine(model, iommu, description,
                    MockAllocator.checkFailEvery(config.failure_every()), memlock);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration " + MockAllocator.PID + ": " + e.getMessage(), e);
        }
    }

    private static Set<PciAddress> functions(String name, String list) {
        Set<PciAddress> functions = new LinkedHashSet<>();
        for (String item : Arrays.stream(list.split(",")).map(String::strip).filter(t -> !t.isEmpty()).toList()) {
            try {
                functions.add(PciAddress.parse(item));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
        }
        return functions;
    }

    private static long sizeProperty(String name, String value) {
        try {
            return ByteSize.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid configuration " + MockAllocator.PID + ": "
                    + name + ": " + e.getMessage(), e);
        }
    }
}

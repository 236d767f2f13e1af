package io.bigbuf.kmod.abi;

/**
 * {@code struct bigbuf_info} as returned by {@code BIGBUF_IOC_INFO}; see the header for each field.
 *
 * @param strategies bit N set if strategy N ({@link BigbufAbi#STRATEGIES}) can be forced
 * @param features   {@code BIGBUF_FEATURE_*} bits (0 from modules that predate them)
 * @param nrNodes    possible NUMA node ids (0 from modules that predate it)
 */
public record DeviceInfo(int abiVersion, long pageSize, int maxOrder, int strategies, long maxAllocSize,
        long grabCapBytes, long totalRam, long freeRam, long maxAlign, long features, int nrNodes) {

    /** Whether the module maps buffers for devices (MAP, UNMAP, ALLOC_EXT). */
    public boolean deviceMapping() {
        return (features & BigbufAbi.FEATURE_DEVICE_MAP) != 0;
    }

    /** Whether the module draws its memory map ({@code BIGBUF_IOC_MEMMAP}). */
    public boolean memoryMap() {
        return (features & BigbufAbi.FEATURE_MEMMAP) != 0;
    }

    /** Largest block of the buddy allocator: {@code page_size << max_order}. */
    public long maxBlockSize() {
        return pageSize << maxOrder;
    }

    /** Names of the strategies the module provides, e.g. {@code buddy,contig,grab}. */
    public String strategyNames() {
        StringBuilder names = new StringBuilder();
        for (int i = 1; i < BigbufAbi.STRATEGY_COUNT; i++) {
            if ((strategies & 1 << i) != 0) {
                names.append(names.isEmpty() ? "" : ",").append(BigbufAbi.STRATEGIES.get(i));
            }
        }
        return names.toString();
    }
}

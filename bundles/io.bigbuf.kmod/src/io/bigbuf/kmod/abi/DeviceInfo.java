package io.bigbuf.kmod.abi;

/**
 * {@code struct bigbuf_info} as returned by {@code BIGBUF_IOC_INFO}; see the header for each field.
 *
 * @param strategies bit N set if strategy N ({@link BigbufAbi#STRATEGIES}) can be forced
 */
public record DeviceInfo(int abiVersion, long pageSize, int maxOrder, int strategies, long maxAllocSize,
        long grabCapBytes, long totalRam, long freeRam, long maxAlign) {

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

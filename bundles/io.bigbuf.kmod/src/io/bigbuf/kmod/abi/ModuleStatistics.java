package io.bigbuf.kmod.abi;

/**
 * {@code struct bigbuf_stats} as returned by {@code BIGBUF_IOC_STATS}: module-wide counters over
 * all processes, unlike the per-allocator {@link io.bigbuf.api.AllocatorStatistics}.
 */
public record ModuleStatistics(long bytesHeld, long buffers, long allocations, long failures, long frees,
        long pagesGrabbed, long pagesReturned, long peakBytesHeld, long devMaps, long devMappedBytes,
        long devMapsTotal) {
}

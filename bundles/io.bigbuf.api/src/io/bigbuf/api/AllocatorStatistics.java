package io.bigbuf.api;

import java.util.OptionalLong;

/**
 * Usage counters of a {@link ContiguousAllocator}, taken atomically.
 *
 * @param liveBuffers             buffers currently open
 * @param bytesHeld               physical bytes reserved by open buffers (page-rounded)
 * @param largestContiguousFree   the largest page-aligned contiguous range that is free now, if
 *                                the backend can know it
 * @param allocations             successful allocations since the backend started
 * @param failures                allocations (and device mappings of open buffers) that failed for
 *                                lack of contiguous memory or device address space
 * @param rejected                requests to allocate a buffer or map one for a device that were
 *                                rejected as invalid ({@link InvalidAllocationRequestException},
 *                                {@link DeviceMappingException}), whoever found out; a request
 *                                {@link AllocationRequest} refused at construction never reached
 *                                the allocator and is not counted
 */
public record AllocatorStatistics(int liveBuffers, long bytesHeld, OptionalLong largestContiguousFree,
        long allocations, long failures, long rejected) {
}

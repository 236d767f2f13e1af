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
 * @param failures                allocations that failed for lack of contiguous memory
 * @param rejected                allocations rejected as invalid
 */
public record AllocatorStatistics(int liveBuffers, long bytesHeld, OptionalLong largestContiguousFree,
        long allocations, long failures, long rejected) {
}

package io.bigbuf.api;

/**
 * Describes the backend behind a {@link ContiguousAllocator}.
 *
 * @param name             {@link AllocatorServiceProperties#BACKEND_MOCK} or
 *                         {@link AllocatorServiceProperties#BACKEND_KMOD} (same value as the
 *                         {@value AllocatorServiceProperties#BACKEND} service property)
 * @param description      human-readable detail, e.g. device path or simulated memory layout
 * @param realBusAddresses whether {@link DmaBuffer#physicalAddress()} may be programmed into a
 *                         device; false for simulated addresses
 * @param pageSize         allocation granularity in bytes
 * @param maxBlockSize     largest block the backend's page allocator hands out in one piece (the
 *                         max-order buddy block); larger buffers need a free run of such blocks
 * @param totalBytes       memory the backend manages, or -1 if unknown
 */
public record BackendInfo(String name, String description, boolean realBusAddresses, long pageSize,
        long maxBlockSize, long totalBytes) {
}

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
 * @param maxAlignment     largest {@link AllocationRequest#alignment()} the backend accepts (a
 *                         larger one is rejected with {@link InvalidAllocationRequestException}),
 *                         or -1 if the backend does not say; since 1.1
 * @param deviceMapping    whether buffers can be mapped for PCI functions
 *                         ({@link AllocationRequest#forDevice}, {@link DmaBuffer#mapFor});
 *                         {@link ContiguousAllocator#translation} then tells per function whether
 *                         its addresses are translated; since 1.2
 */
public record BackendInfo(String name, String description, boolean realBusAddresses, long pageSize,
        long maxBlockSize, long totalBytes, long maxAlignment, boolean deviceMapping) {

    /**
     * The API 1.1 form, for backends that cannot map for devices.
     *
     * @param name             as {@link #name()}
     * @param description      as {@link #description()}
     * @param realBusAddresses as {@link #realBusAddresses()}
     * @param pageSize         as {@link #pageSize()}
     * @param maxBlockSize     as {@link #maxBlockSize()}
     * @param totalBytes       as {@link #totalBytes()}
     * @param maxAlignment     as {@link #maxAlignment()}
     */
    public BackendInfo(String name, String description, boolean realBusAddresses, long pageSize, long maxBlockSize,
            long totalBytes, long maxAlignment) {
        this(name, description, realBusAddresses, pageSize, maxBlockSize, totalBytes, maxAlignment, false);
    }

    /**
     * The API 1.0 form, for backends that do not state their maximum alignment
     * ({@link #maxAlignment()} is -1).
     *
     * @param name             as {@link #name()}
     * @param description      as {@link #description()}
     * @param realBusAddresses as {@link #realBusAddresses()}
     * @param pageSize         as {@link #pageSize()}
     * @param maxBlockSize     as {@link #maxBlockSize()}
     * @param totalBytes       as {@link #totalBytes()}
     */
    public BackendInfo(String name, String description, boolean realBusAddresses, long pageSize, long maxBlockSize,
            long totalBytes) {
        this(name, description, realBusAddresses, pageSize, maxBlockSize, totalBytes, -1);
    }
}

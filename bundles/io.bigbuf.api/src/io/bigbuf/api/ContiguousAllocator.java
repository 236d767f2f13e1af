package io.bigbuf.api;

import java.util.List;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Allocates physically contiguous, zero-filled memory buffers that a PCI device can reach by DMA.
 *
 * <p>Implementations are OSGi services registered by a backend bundle (the kernel module backend,
 * the mock backend). All methods are thread-safe. When the backend goes away (bundle stopped,
 * component deactivated) every buffer it handed out is closed and further calls throw
 * {@link BackendUnavailableException}.
 *
 * <p>Failed calls never change the allocator's state: a request that is rejected or cannot be
 * satisfied leaves all live buffers and the free memory exactly as they were.
 *
 * <p>The allocator holds its buffers only while someone else does: a buffer that nobody
 * references any more (neither the {@link DmaBuffer} nor any segment of it) and that was not
 * closed is released by a {@link java.lang.ref.Cleaner} with a warning, on every backend (see
 * {@link DmaBuffer}). {@link #buffers()} and {@link #buffer(long)} do not keep a buffer alive.
 */
@ProviderType
public interface ContiguousAllocator {

    /**
     * Allocates one physically contiguous buffer, zero-filled.
     *
     * @param request size, alignment, highest usable physical address and label
     * @return an open buffer; the caller owns it, must keep a reference to it as long as it uses
     *         it, and must close it
     * @throws InvalidAllocationRequestException the request can never succeed on this backend
     *         (e.g. larger than all its memory, alignment below the page size)
     * @throws OutOfContiguousMemoryException no free contiguous range satisfies the request now
     *         (for a device: also no room in its address space)
     * @throws DeviceMappingException the request names a device the buffer cannot be mapped for
     * @throws BackendUnavailableException the backend has been shut down
     */
    DmaBuffer allocate(AllocationRequest request);

    /**
     * Allocates a page-aligned buffer of {@code size} bytes anywhere in physical memory.
     *
     * @param size bytes, &gt; 0
     * @return an open buffer, owned by the caller as with {@link #allocate(AllocationRequest)}
     * @see #allocate(AllocationRequest)
     */
    default DmaBuffer allocate(long size) {
        return allocate(AllocationRequest.ofSize(size));
    }

    /**
     * Snapshot of the buffers that are currently open, in allocation order.
     *
     * @return an unmodifiable list, possibly empty
     */
    List<DmaBuffer> buffers();

    /**
     * The open buffer with this id, if any.
     *
     * @param id {@link DmaBuffer#id()}
     * @return the buffer, or empty if no open buffer has that id
     */
    default Optional<DmaBuffer> buffer(long id) {
        return buffers().stream().filter(b -> b.id() == id).findFirst();
    }

    /**
     * What this backend is and what its addresses mean.
     *
     * @return the description, the same for the life of the service
     */
    BackendInfo backendInfo();

    /**
     * How PCI function {@code device} sees memory through this backend: whether its device
     * addresses are physical ones or translated by an IOMMU. Since 1.2.
     *
     * @param device the PCI function
     * @return how that function's DMA addresses relate to physical memory
     * @throws DeviceMappingException no such function, or the backend cannot map for devices
     *         ({@link BackendInfo#deviceMapping()})
     */
    DmaTranslation translation(PciAddress device);

    /**
     * Current usage counters.
     *
     * @return a snapshot
     */
    AllocatorStatistics statistics();
}

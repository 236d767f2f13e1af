package io.bigbuf.api;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One contiguous buffer handed out by a {@link ContiguousAllocator}: physically contiguous, or
 * (on request) contiguous for its devices behind their IOMMU ({@link #contiguity()}).
 *
 * <p>The memory is reachable from Java through {@link #segment()} and from a PCI function through
 * {@link #deviceAddress(PciAddress)}, once the buffer is mapped for it (at allocation with
 * {@link AllocationRequest#forDevice}, or later with {@link #mapFor}); {@link #physicalAddress()}
 * is what a device without IOMMU sees. {@link #close()} releases all of it (every device
 * mapping first); it is idempotent and may be called
 * from any thread, also concurrently with the backend shutting down. After close, {@link #segment()}
 * and any segment obtained earlier throw {@link IllegalStateException} on access: a stale buffer
 * never crashes the JVM.
 *
 * <p><b>Lifetime.</b> Until then the buffer stays valid however the program holds it: a segment
 * (or a slice of it) alone keeps the buffer. The allocator itself does <em>not</em> keep a buffer:
 * one that the program has dropped entirely, the buffer and every segment of it, without closing
 * is released by a {@link java.lang.ref.Cleaner} after garbage collection, with a warning, on
 * every backend alike (the mock as well as the kernel module). Until that happens it is still
 * listed by {@link ContiguousAllocator#buffers()}. Whoever allocates a buffer and wants it to
 * live must reference it (the {@code bigbuf:alloc} shell command keeps every buffer it allocated
 * until {@code bigbuf:free}); always close buffers.
 *
 * <p><b>Closed under its owner.</b> A buffer may be closed by someone other than the code that
 * allocated it: an administrator ({@link #revoke()}, the {@code bigbuf:free} shell command), or
 * the backend going away. An owner that must not be left without a buffer registers a
 * {@link BufferCloseListener} ({@link #addCloseListener}), which learns the {@link CloseReason}.
 *
 * <p><b>Owner.</b> Inside an OSGi framework every buffer knows the bundle that allocated it
 * ({@link #owner()}), so that tools such as {@code bigbuf:list} and the web console can say whose
 * memory it is.
 */
@ProviderType
public interface DmaBuffer extends AutoCloseable {

    /**
     * Identifier, unique among the buffers of one allocator for its whole lifetime.
     *
     * @return the id, &gt; 0
     */
    long id();

    /**
     * Usable size in bytes, exactly as requested.
     *
     * @return bytes, &gt; 0
     */
    long size();

    /**
     * Physical (bus) address of the first byte. The whole range {@code [physicalAddress,
     * physicalAddress + size)} is contiguous. Only usable for device DMA if
     * {@link BackendInfo#realBusAddresses()} is true and nothing translates the device's DMA; a
     * driver should program {@link #deviceAddress(PciAddress)} instead, which is right in every
     * case.
     *
     * @return the physical address of the first byte
     * @throws IllegalStateException the buffer is {@link Contiguity#DEVICE device-contiguous} and
     *         has no single physical address
     */
    long physicalAddress();

    /**
     * In what sense the buffer is contiguous. Since 1.2.
     *
     * @return {@link Contiguity#PHYSICAL} or {@link Contiguity#DEVICE}
     */
    Contiguity contiguity();

    /**
     * The NUMA node of the buffer's memory, if the backend knows it and it is a single node. Since 1.2.
     *
     * @return the node, or empty
     */
    OptionalInt numaNode();

    /**
     * The address PCI function {@code device} uses for the buffer's first byte; the buffer is
     * contiguous at {@code [deviceAddress, deviceAddress + size)} for it. Since 1.2.
     *
     * @param device the PCI function
     * @return the address that function must program
     * @throws IllegalArgumentException the buffer is not mapped for that function (allocate it
     *         {@link AllocationRequest#forDevice for the device}, or {@link #mapFor} it)
     */
    long deviceAddress(PciAddress device);

    /**
     * The buffer's mapping for {@code device}, if it has one. Since 1.2.
     *
     * @param device the PCI function
     * @return its mapping, or empty
     */
    Optional<DeviceMapping> deviceMapping(PciAddress device);

    /**
     * Every device mapping of the buffer, in PCI address order. Since 1.2.
     *
     * @return an unmodifiable list, empty if the buffer is mapped for no device
     */
    List<DeviceMapping> deviceMappings();

    /**
     * Maps the buffer for a further PCI function, or returns its existing mapping for it. Fails
     * without changing anything.
     *
     * @param device           the function
     * @param maxDeviceAddress the function's address limit ({@code (1L << 28) - 1} for 28 address
     *                         lines), {@link AllocationRequest#NO_ADDRESS_LIMIT} for its default
     * @return the mapping, with the address the function must use
     * @throws InvalidAllocationRequestException {@code maxDeviceAddress} is not positive (since 1.3;
     *         an {@link IllegalArgumentException} before)
     * @throws DeviceMappingException the function cannot have it (see the reason)
     * @throws OutOfContiguousMemoryException no room below the limit in the function's address space
     * @throws IllegalStateException the buffer is closed
     * @throws BackendUnavailableException the backend is gone
     * @since 1.2
     */
    DeviceMapping mapFor(PciAddress device, long maxDeviceAddress);

    /**
     * As {@link #mapFor}, but the function may only read the buffer: behind a translating IOMMU
     * its writes fault. Since 1.2.
     *
     * @param device           the function
     * @param maxDeviceAddress as for {@link #mapFor}
     * @return the read-only mapping
     * @throws DeviceMappingException as {@link #mapFor}
     */
    DeviceMapping mapReadOnlyFor(PciAddress device, long maxDeviceAddress);

    /**
     * Ends the buffer's mapping for {@code device}: from now on the function must not use its
     * address (behind a translating IOMMU its DMA there faults). Closing the buffer ends every
     * mapping. Since 1.2.
     *
     * @param device the PCI function
     * @return whether there was a mapping
     */
    boolean unmapFrom(PciAddress device);

    /**
     * Free-form label given in the {@link AllocationRequest}; empty if none.
     *
     * @return the label, never null
     */
    String label();

    /**
     * The bundle that allocated this buffer: the bundle of the code that called
     * {@link ContiguousAllocator#allocate}, found when it was called. Helpers of the API bundle
     * (such as {@link CurrentAllocator}) and the backend's own bundle do not count, nor does code
     * outside any bundle (the JDK, a framework launcher); the first other bundle on the calling
     * thread's stack is the owner. A library bundle that allocates on behalf of others is thus the
     * owner of what it allocates. Since 1.4.
     *
     * @return the owner, or empty when the buffer was allocated outside an OSGi framework (plain
     *         Java, e.g. a unit test) or by code that belongs to no bundle
     */
    Optional<BufferOwner> owner();

    /**
     * The buffer's memory. Valid until {@link #close()}.
     *
     * @return a segment of exactly {@link #size()} bytes
     * @throws IllegalStateException the buffer is closed
     */
    MemorySegment segment();

    /**
     * Whether {@link #close()} has been called or the backend has released the buffer.
     *
     * @return true once closed
     */
    boolean isClosed();

    /** Releases the memory. Idempotent; never throws. Close listeners learn {@link CloseReason#CLOSED}. */
    @Override
    void close();

    /**
     * Closes the buffer on behalf of someone other than its owner, e.g. an administrator freeing it
     * from the shell: as {@link #close()}, but close listeners learn {@link CloseReason#REVOKED}, so
     * that the owner knows to get another buffer. Idempotent (a buffer closed already stays closed
     * for its first reason); never throws. Since 1.3.
     */
    void revoke();

    /**
     * Adds a listener to be told once, when this buffer is closed for whatever reason (see
     * {@link BufferCloseListener#bufferClosed}). If the buffer is closed already, the listener is
     * called at once, in this thread, with the reason it was closed; a close is thus never missed.
     * Adding a listener that is registered already has no effect. A listener belongs to the buffer:
     * a buffer the program dropped without closing (see <b>Lifetime</b>) is released without
     * calling its listeners, since nobody holds it any more. Since 1.3.
     *
     * @param listener the listener
     */
    void addCloseListener(BufferCloseListener listener);

    /**
     * Removes a listener added with {@link #addCloseListener}. Since 1.3.
     *
     * @param listener the listener
     * @return whether it was registered and not yet called
     */
    boolean removeCloseListener(BufferCloseListener listener);
}

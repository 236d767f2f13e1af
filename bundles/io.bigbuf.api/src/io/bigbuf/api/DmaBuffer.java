package io.bigbuf.api;

import java.lang.foreign.MemorySegment;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One physically contiguous buffer handed out by a {@link ContiguousAllocator}.
 *
 * <p>The memory is reachable from Java through {@link #segment()} and from a device through
 * {@link #physicalAddress()}. {@link #close()} releases both; it is idempotent and may be called
 * from any thread, also concurrently with the backend shutting down. After close, {@link #segment()}
 * and any segment obtained earlier throw {@link IllegalStateException} on access: a stale buffer
 * never crashes the JVM.
 *
 * <p>Until then the buffer stays valid however the program holds it: a segment (or a slice of it)
 * alone keeps the buffer. Always close buffers; a backend may release one that the program has
 * dropped entirely, the buffer and every segment of it, without closing (with a warning).
 */
@ProviderType
public interface DmaBuffer extends AutoCloseable {

    /** Identifier, unique among the buffers of one allocator for its whole lifetime. */
    long id();

    /** Usable size in bytes, exactly as requested. */
    long size();

    /**
     * Physical (bus) address of the first byte. The whole range {@code [physicalAddress,
     * physicalAddress + size)} is contiguous. Only usable for device DMA if
     * {@link BackendInfo#realBusAddresses()} is true.
     */
    long physicalAddress();

    /** Free-form label given in the {@link AllocationRequest}; empty if none. */
    String label();

    /**
     * The buffer's memory. Valid until {@link #close()}.
     *
     * @throws IllegalStateException the buffer is closed
     */
    MemorySegment segment();

    /** Whether {@link #close()} has been called or the backend has released the buffer. */
    boolean isClosed();

    /** Releases the memory. Idempotent; never throws. */
    @Override
    void close();
}

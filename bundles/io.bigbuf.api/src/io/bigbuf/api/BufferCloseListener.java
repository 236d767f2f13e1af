package io.bigbuf.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told once when a {@link DmaBuffer} it was {@link DmaBuffer#addCloseListener added} to is closed,
 * whoever closed it: its owner, someone who {@link DmaBuffer#revoke() revoked} it, or the backend
 * going away. Since 1.3.
 */
@ConsumerType
@FunctionalInterface
public interface BufferCloseListener {

    /**
     * The buffer is closed and its memory released: its segments throw
     * {@link IllegalStateException}, and devices must no longer use its addresses. Called in the
     * thread that closed the buffer, holding no lock of the backend; it may allocate a new buffer
     * from the same or another allocator. An exception thrown here is logged and otherwise ignored.
     *
     * @param buffer the buffer, closed
     * @param reason why it was closed
     */
    void bufferClosed(DmaBuffer buffer, CloseReason reason);
}

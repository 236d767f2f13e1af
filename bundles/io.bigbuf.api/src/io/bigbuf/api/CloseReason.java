package io.bigbuf.api;

/**
 * Why a {@link DmaBuffer} was closed, as its {@link BufferCloseListener}s learn it. Since 1.3.
 *
 * <p>New reasons may be added in a minor version: a listener that does not know a reason should
 * treat it like {@link #REVOKED} (the buffer was taken away; get another one if still needed).
 */
public enum CloseReason {

    /** {@link DmaBuffer#close()} was called: normally by the code that allocated the buffer. */
    CLOSED,

    /**
     * {@link DmaBuffer#revoke()} was called: someone other than the buffer's owner took it away,
     * e.g. an administrator with {@code bigbuf:free}. The backend is still there; an owner that
     * still needs a buffer allocates a new one.
     */
    REVOKED,

    /**
     * The backend went away (its bundle stopped, its component was reconfigured or disabled, the
     * kernel module's device disappeared) and released every buffer it had handed out. Allocate a
     * new buffer from the allocator service that replaces it, if any.
     */
    BACKEND_GONE
}

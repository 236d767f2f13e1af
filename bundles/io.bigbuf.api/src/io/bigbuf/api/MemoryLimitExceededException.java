package io.bigbuf.api;

/**
 * The buffer would take the user the process runs as over the memory it may lock: the kernel
 * backend charges every buffer, for its whole life, to the allocating user against
 * {@code RLIMIT_MEMLOCK} (together with {@code mlock()} and io_uring's locked memory). Nothing was
 * allocated. Freeing buffers of that user helps, and so does raising the limit: {@code ulimit -l},
 * systemd's {@code LimitMEMLOCK=} for a service, or {@code memlock} in
 * {@code /etc/security/limits.conf}; {@code CAP_IPC_LOCK} lifts it.
 *
 * <p>A kind of {@link OutOfContiguousMemoryException} ("not now"), so code that handles that one
 * handles this one too.
 *
 * @since 1.5
 */
public class MemoryLimitExceededException extends OutOfContiguousMemoryException {

    private static final long serialVersionUID = 1L;

    /**
     * An exception for one refused request.
     *
     * @param requestedBytes bytes asked for
     * @param message        what happened and what to do, for the user
     */
    public MemoryLimitExceededException(long requestedBytes, String message) {
        super(requestedBytes, -1, message);
    }
}

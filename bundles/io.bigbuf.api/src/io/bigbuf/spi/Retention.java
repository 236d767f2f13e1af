package io.bigbuf.spi;

/**
 * How an {@link AllocatorSupport} holds the buffers it handed out.
 *
 * <p>The API's contract ({@link io.bigbuf.api.ContiguousAllocator}, {@link io.bigbuf.api.DmaBuffer})
 * is the same for every backend: a buffer nobody references is released by a Cleaner with a
 * warning. A backend registered as a service therefore uses {@link #WHILE_REACHABLE}; both the
 * mock and the kernel backend do since SPI 1.1.1.
 */
public enum Retention {

    /**
     * A buffer stays listed and allocated until it is closed or the allocator shuts down, even if
     * the program drops it.
     *
     * @deprecated since 1.1.1: does not meet the API's contract (a forgotten buffer is released by
     *             the Cleaner on every backend); only for allocators used privately, e.g. in
     *             tests. Kept for compatibility within 1.x.
     */
    @Deprecated(since = "1.1.1")
    UNTIL_CLOSED,

    /**
     * The allocator holds its buffers weakly: a buffer the program dropped, together with every
     * segment of it, without closing is released by a {@link java.lang.ref.Cleaner} with a warning.
     * What every backend uses (the API's contract).
     */
    WHILE_REACHABLE
}

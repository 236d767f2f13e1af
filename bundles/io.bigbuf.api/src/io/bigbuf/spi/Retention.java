package io.bigbuf.spi;

/** How an {@link AllocatorSupport} holds the buffers it handed out. */
public enum Retention {

    /**
     * A buffer stays listed and allocated until it is closed or the backend shuts down, even if the
     * program drops it: {@code bigbuf:free} can still close it. Right for memory that costs nothing
     * outside the JVM's own bookkeeping (the mock).
     */
    UNTIL_CLOSED,

    /**
     * The allocator holds its buffers weakly: a buffer the program dropped, together with every
     * segment of it, without closing is released by a {@link java.lang.ref.Cleaner} with a warning.
     * Right for memory held outside the JVM (the kernel module's pages).
     */
    WHILE_REACHABLE
}

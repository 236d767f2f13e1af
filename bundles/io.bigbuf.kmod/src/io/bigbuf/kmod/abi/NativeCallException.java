package io.bigbuf.kmod.abi;

/**
 * A libc call on the bigbuf device failed. The allocator layer ({@code io.bigbuf.kmod.ErrnoTranslation})
 * turns it into the API's typed exceptions, keeping the errno name and the failed call in the
 * message.
 */
public final class NativeCallException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Which call failed; the same errno means different things for different calls. */
    public enum Operation {
        OPEN, IOCTL_ALLOC, IOCTL_ALLOC_EXT, IOCTL_FREE, IOCTL_INFO, IOCTL_STATS, IOCTL_MAP, IOCTL_UNMAP, IOCTL_MEMMAP, MMAP, MUNMAP,
        CLOSE
    }

    private final Operation operation;
    private final int errno;
    private final String call;

    /**
     * @param operation which call
     * @param call      the call with its arguments, e.g. {@code "ioctl(BIGBUF_IOC_ALLOC) on /dev/bigbuf"}
     * @param errno     the errno it left
     */
    public NativeCallException(Operation operation, String call, int errno) {
        super(call + " failed: " + Errno.name(errno));
        this.operation = operation;
        this.call = call;
        this.errno = errno;
    }

    public Operation operation() {
        return operation;
    }

    public int errno() {
        return errno;
    }

    /** Symbolic errno, e.g. {@code ENOMEM}. */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** The call with its arguments. */
    public String call() {
        return call;
    }
}

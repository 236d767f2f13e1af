package io.bigbuf.kmod;

import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.kmod.abi.Errno;
import io.bigbuf.kmod.abi.NativeCallException;

/**
 * Turns a failed libc call on the device into the API exception a caller can act on. Every
 * message ends with {@code (ERRNO from call)} so the kernel's answer is never lost.
 *
 * <p>The meaning of an errno depends on the call (see {@code uapi/linux/bigbuf.h}): {@code ENOENT} from
 * {@code open} means the module is not loaded, {@code ENOMEM} from {@code BIGBUF_IOC_ALLOC} means no
 * contiguous range is free now.
 */
public final class ErrnoTranslation {

    private ErrnoTranslation() {
    }

    /**
     * @param e    the failed call
     * @param size bytes that were being allocated, for the message; 0 if not an allocation
     */
    public static BigbufException toApiException(NativeCallException e, long size) {
        String cause = " (" + e.errnoName() + " from " + e.call() + ")";
        String what = size > 0 ? ByteSize.format(size) : "the request";
        return switch (e.operation()) {
            case OPEN -> switch (e.errno()) {
                case Errno.ENOENT, Errno.ENODEV, Errno.ENXIO -> new BackendUnavailableException(
                        "the bigbuf kernel module is not loaded (its device is gone)" + cause, e);
                case Errno.EACCES, Errno.EPERM -> new BackendUnavailableException(
                        "no permission to use the bigbuf device; install kmod/udev/99-bigbuf.rules and join its group,"
                                + " or run as root" + cause, e);
                case Errno.EMFILE, Errno.ENFILE -> new OutOfContiguousMemoryException(size, -1,
                        "too many open files to open the bigbuf device" + cause);
                default -> new BackendUnavailableException("cannot open the bigbuf device" + cause, e);
            };
            case IOCTL_ALLOC -> switch (e.errno()) {
                case Errno.ENOMEM -> new OutOfContiguousMemoryException(size, -1, "the kernel has no physically"
                        + " contiguous " + what + " free that satisfies the alignment and address limit; free"
                        + " buffers or ask for less" + cause);
                case Errno.EINTR -> new OutOfContiguousMemoryException(size, -1,
                        "the allocation of " + what + " was interrupted by signals repeatedly" + cause);
                case Errno.ENOSPC -> new OutOfContiguousMemoryException(size, -1,
                        "the kernel's per-file buffer limit is reached" + cause);
                case Errno.EINVAL -> new InvalidAllocationRequestException(
                        "the bigbuf module rejected the request for " + what + cause);
                case Errno.EOPNOTSUPP -> new InvalidAllocationRequestException(
                        "the bigbuf module does not provide the requested allocation strategy" + cause);
                default -> unexpected(e, cause);
            };
            case MMAP -> switch (e.errno()) {
                case Errno.ENOMEM, Errno.EAGAIN -> new OutOfContiguousMemoryException(size, -1,
                        "the process cannot map " + what + " more (address space or mapping limit)" + cause);
                default -> unexpected(e, cause);
            };
            case IOCTL_INFO, IOCTL_STATS, IOCTL_FREE, MUNMAP, CLOSE -> unexpected(e, cause);
        };
    }

    private static BigbufException unexpected(NativeCallException e, String cause) {
        String hint = e.errno() == Errno.ENOTTY || e.errno() == Errno.EFAULT
                ? "; the module and this bundle disagree on the ABI" : "";
        return new BackendUnavailableException("the bigbuf device failed unexpectedly" + hint + cause, e);
    }
}

package io.bigbuf.kmod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.kmod.abi.NativeCallException.Operation;
import io.bigbuf.kmod.abi.Errno;
import io.bigbuf.kmod.abi.NativeCallException;
import org.junit.jupiter.api.Test;

/** Which API exception a failed call on the device becomes, and that its message keeps the errno. */
class ErrnoTranslationTest {

    private static final long SIZE = 64L << 20;

    @Test
    void moduleNotLoadedIsBackendUnavailable() {
        for (int errno : new int[] {Errno.ENOENT, Errno.ENODEV, Errno.ENXIO}) {
            BigbufException e = translate(Operation.OPEN, "open(/dev/bigbuf)", errno);
            assertInstanceOf(BackendUnavailableException.class, e);
            assertEquals("the bigbuf kernel module is not loaded (its device is gone) (" + Errno.name(errno)
                    + " from open(/dev/bigbuf))", e.getMessage());
        }
    }

    @Test
    void missingPermissionSaysHowToGetIt() {
        BigbufException e = translate(Operation.OPEN, "open(/dev/bigbuf)", Errno.EACCES);
        assertInstanceOf(BackendUnavailableException.class, e);
        assertTrue(e.getMessage().contains("99-bigbuf.rules") && e.getMessage().endsWith("(EACCES from open(/dev/bigbuf))"),
                e.getMessage());
    }

    @Test
    void kernelOutOfMemoryIsOutOfContiguousMemoryWithTheRequestedSize() {
        BigbufException e = translate(Operation.IOCTL_ALLOC, "ioctl(BIGBUF_IOC_ALLOC) on /dev/bigbuf", Errno.ENOMEM);
        OutOfContiguousMemoryException oom = assertInstanceOf(OutOfContiguousMemoryException.class, e);
        assertEquals(SIZE, oom.requestedBytes());
        assertTrue(oom.largestAvailable().isEmpty());
        assertTrue(e.getMessage().contains("contiguous 64 MiB")
                && e.getMessage().endsWith("(ENOMEM from ioctl(BIGBUF_IOC_ALLOC) on /dev/bigbuf)"), e.getMessage());
    }

    @Test
    void rejectedRequestsAreInvalid() {
        assertInstanceOf(InvalidAllocationRequestException.class, translate(Operation.IOCTL_ALLOC, "a", Errno.EINVAL));
        assertInstanceOf(InvalidAllocationRequestException.class, translate(Operation.IOCTL_ALLOC, "a", Errno.EOPNOTSUPP));
        assertInstanceOf(OutOfContiguousMemoryException.class, translate(Operation.IOCTL_ALLOC, "a", Errno.EINTR));
        assertInstanceOf(OutOfContiguousMemoryException.class, translate(Operation.IOCTL_ALLOC, "a", Errno.ENOSPC));
        assertInstanceOf(OutOfContiguousMemoryException.class, translate(Operation.MMAP, "m", Errno.ENOMEM));
    }

    @Test
    void abiMismatchSymptomsAndUnknownErrnosAreNamedNotLost() {
        BigbufException notTty = translate(Operation.IOCTL_INFO, "ioctl(BIGBUF_IOC_INFO) on /dev/null", Errno.ENOTTY);
        assertInstanceOf(BackendUnavailableException.class, notTty);
        assertEquals("the bigbuf device failed unexpectedly; the module and this bundle disagree on the ABI"
                + " (ENOTTY from ioctl(BIGBUF_IOC_INFO) on /dev/null)", notTty.getMessage());
        BigbufException unknown = translate(Operation.IOCTL_ALLOC, "a", 4711);
        assertTrue(unknown.getMessage().endsWith("(errno 4711 from a)"), unknown.getMessage());
        assertInstanceOf(NativeCallException.class, unknown.getCause());
    }

    private static BigbufException translate(Operation operation, String call, int errno) {
        return ErrnoTranslation.toApiException(new NativeCallException(operation, call, errno), SIZE);
    }
}

package io.bigbuf.kmod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.MemoryLimitExceededException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.api.PciAddress;
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
    void overTheMemlockLimitSaysHowToRaiseIt() {
        for (Operation op : new Operation[] {Operation.IOCTL_ALLOC, Operation.IOCTL_ALLOC_EXT}) {
            BigbufException e = translate(op, "ioctl(BIGBUF_IOC_ALLOC) on /dev/bigbuf", Errno.EDQUOT);
            MemoryLimitExceededException limit = assertInstanceOf(MemoryLimitExceededException.class, e);
            assertInstanceOf(OutOfContiguousMemoryException.class, e);
            assertEquals(SIZE, limit.requestedBytes());
            assertTrue(e.getMessage().startsWith("allocating 64 MiB would exceed")
                    && e.getMessage().contains("RLIMIT_MEMLOCK") && e.getMessage().contains("ulimit -l")
                    && e.getMessage().contains("LimitMEMLOCK=")
                    && e.getMessage().endsWith("(EDQUOT from ioctl(BIGBUF_IOC_ALLOC) on /dev/bigbuf)"), e.getMessage());
        }
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

    @Test
    void deviceAnswersOfMapBecomeDeviceMappingExceptionsNamingTheDevice() {
        PciAddress edu = PciAddress.parse("0000:00:04.0");
        Object[][] cases = {
            {Errno.ENODEV, DeviceMappingException.Reason.NO_SUCH_DEVICE, "there is no PCI function 0000:00:04.0"},
            {Errno.EBUSY, DeviceMappingException.Reason.DEVICE_BUSY, "0000:00:04.0 is in use"},
            {Errno.ERANGE, DeviceMappingException.Reason.UNREACHABLE, "0000:00:04.0 cannot reach the buffer"},
            {Errno.EXDEV, DeviceMappingException.Reason.NOT_TRANSLATED, "a device-contiguous buffer needs"},
            {Errno.EPERM, DeviceMappingException.Reason.NOT_PERMITTED, "needs CAP_SYS_RAWIO"},
            {Errno.EOPNOTSUPP, DeviceMappingException.Reason.UNSUPPORTED, "not cache-coherent"},
        };
        for (Operation op : new Operation[] {Operation.IOCTL_MAP, Operation.IOCTL_ALLOC_EXT}) {
            for (Object[] c : cases) {
                BigbufException e = ErrnoTranslation.toApiException(
                        new NativeCallException(op, "ioctl(X)", (int) c[0]), SIZE, edu);
                DeviceMappingException m = assertInstanceOf(DeviceMappingException.class, e, op + " " + c[0]);
                assertEquals(c[1], m.reason());
                assertEquals(edu, m.device());
                assertTrue(m.getMessage().contains((String) c[2]) && m.getMessage().endsWith("from ioctl(X))"),
                        m.getMessage());
            }
            assertInstanceOf(OutOfContiguousMemoryException.class, ErrnoTranslation.toApiException(
                    new NativeCallException(op, "ioctl(X)", Errno.ENOMEM), SIZE, edu));
            assertInstanceOf(InvalidAllocationRequestException.class, ErrnoTranslation.toApiException(
                    new NativeCallException(op, "ioctl(X)", Errno.EINVAL), SIZE, edu));
        }
        // Without a device ALLOC_EXT's ENOMEM is about memory, as ALLOC's.
        assertTrue(ErrnoTranslation.toApiException(new NativeCallException(Operation.IOCTL_ALLOC_EXT, "ioctl(X)",
                Errno.ENOMEM), SIZE).getMessage().startsWith("the kernel has no physically contiguous"));
    }

    private static BigbufException translate(Operation operation, String call, int errno) {
        return ErrnoTranslation.toApiException(new NativeCallException(operation, call, errno), SIZE);
    }
}

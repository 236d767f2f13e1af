package io.bigbuf.kmod;

import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.BigbufException;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DeviceMappingException.Reason;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.MemoryLimitExceededException;
import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.api.PciAddress;
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
        return toApiException(e, size, null);
    }

    /**
     * @param e      the failed call
     * @param size   bytes that were being allocated or mapped, for the message; 0 if neither
     * @param device the PCI function a buffer was being mapped for, or null
     */
    public static BigbufException toApiException(NativeCallException e, long size, PciAddress device) {
        String cause = " (" + e.errnoName() + " from " + e.call() + ")";
        String what = size > 0 ? ByteSize.format(size) : "the request";
        if (device != null && (e.operation() == NativeCallException.Operation.IOCTL_MAP
                || e.operation() == NativeCallException.Operation.IOCTL_ALLOC_EXT)) {
            BigbufException mapping = deviceMappingException(e, size, device, cause);
            if (mapping != null) {
                return mapping;
            }
        }
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
            case IOCTL_ALLOC, IOCTL_ALLOC_EXT -> switch (e.errno()) {
                case Errno.ENOMEM -> new OutOfContiguousMemoryException(size, -1, "the kernel has no physically"
                        + " contiguous " + what + " free that satisfies the alignment and address limit, or all"
                        + " buffers together would exceed the module's max_held_pct of RAM; free buffers or ask for"
                        + " less" + cause);
                case Errno.EINTR -> new OutOfContiguousMemoryException(size, -1,
                        "the allocation of " + what + " was interrupted by signals repeatedly" + cause);
                case Errno.ENOSPC -> new OutOfContiguousMemoryException(size, -1,
                        "the kernel's per-file buffer limit is reached" + cause);
                case Errno.EINVAL -> new InvalidAllocationRequestException(
                        "the bigbuf module rejected the request for " + what + cause);
                case Errno.EOPNOTSUPP -> new InvalidAllocationRequestException(
                        "the bigbuf module does not provide the requested allocation strategy" + cause);
                case Errno.EDQUOT -> new MemoryLimitExceededException(size, "allocating " + what
                        + " would exceed the memory this user may lock (RLIMIT_MEMLOCK, which bigbuf buffers count against); free"
                        + " buffers, or raise the limit: ulimit -l, systemd LimitMEMLOCK= for a service, or memlock"
                        + " in /etc/security/limits.conf" + cause);
                default -> unexpected(e, cause);
            };
            case MMAP -> switch (e.errno()) {
                case Errno.ENOMEM, Errno.EAGAIN -> new OutOfContiguousMemoryException(size, -1,
                        "the process cannot map " + what + " more (address space or mapping limit)" + cause);
                default -> unexpected(e, cause);
            };
            case IOCTL_MEMMAP -> switch (e.errno()) {
                case Errno.EPERM -> new MemoryMapNotPermittedException("the kernel's memory map needs root"
                        + " (CAP_SYS_ADMIN, as it shows where kernel memory lies): run the JVM as root or give it"
                        + " CAP_SYS_ADMIN" + cause, e);
                default -> unexpected(e, cause);
            };
            case IOCTL_INFO, IOCTL_STATS, IOCTL_FREE, IOCTL_MAP, IOCTL_UNMAP, MUNMAP, CLOSE -> unexpected(e, cause);
        };
    }

    /** The answers of MAP (and ALLOC_EXT with a device) that concern the device; null for others. */
    private static BigbufException deviceMappingException(NativeCallException e, long size, PciAddress device,
            String cause) {
        return switch (e.errno()) {
            case Errno.ENODEV -> new DeviceMappingException(device, Reason.NO_SUCH_DEVICE,
                    "there is no PCI function " + device + " (lspci -D lists them)" + cause);
            case Errno.EBUSY -> new DeviceMappingException(device, Reason.DEVICE_BUSY, device + " is in use: a kernel"
                    + " driver is bound to it, its driver_override names another driver, or VFIO owns its IOMMU"
                    + " group; unbind it first (echo " + device + " > /sys/bus/pci/devices/" + device
                    + "/driver/unbind)" + cause);
            case Errno.ERANGE -> new DeviceMappingException(device, Reason.UNREACHABLE, device + " cannot reach the"
                    + " buffer: without a translating IOMMU it lies above the device's address limit (or would need"
                    + " bounce buffering, which bigbuf refuses); allocate it for the device instead" + cause);
            case Errno.EXDEV -> new DeviceMappingException(device, Reason.NOT_TRANSLATED, "a device-contiguous buffer"
                    + " needs a device behind a translating IOMMU, and " + device + " is not (boot with"
                    + " intel_iommu=on, or use a physically contiguous buffer)" + cause);
            case Errno.EPERM -> new DeviceMappingException(device, Reason.NOT_PERMITTED, "mapping memory for " + device
                    + " needs CAP_SYS_RAWIO (run as root, or give the JVM the capability, e.g. systemd"
                    + " AmbientCapabilities=CAP_SYS_RAWIO)" + cause);
            case Errno.EOPNOTSUPP -> new DeviceMappingException(device, Reason.UNSUPPORTED, device
                    + "'s DMA is not cache-coherent; bigbuf maps only for coherent devices" + cause);
            case Errno.ENOSPC -> new DeviceMappingException(device, Reason.UNSUPPORTED,
                    "the buffer is mapped for as many devices as the module allows" + cause);
            case Errno.ENOMEM -> new OutOfContiguousMemoryException(size, -1, "no room for "
                    + (size > 0 ? ByteSize.format(size) : "the buffer") + " below the address limit in " + device
                    + "'s address space, or no memory for the mapping; free buffers mapped for it or ask for less"
                    + cause);
            case Errno.EINVAL -> new InvalidAllocationRequestException(device + " cannot use the requested address"
                    + " limit (a DMA mask of at least 12 bits that the platform supports)" + cause);
            default -> null;
        };
    }

    private static BigbufException unexpected(NativeCallException e, String cause) {
        String hint = e.errno() == Errno.ENOTTY || e.errno() == Errno.EFAULT
                ? "; the module and this bundle disagree on the ABI" : "";
        return new BackendUnavailableException("the bigbuf device failed unexpectedly" + hint + cause, e);
    }
}

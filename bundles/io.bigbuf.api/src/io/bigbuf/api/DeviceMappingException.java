package io.bigbuf.api;

import java.util.Objects;

/**
 * A buffer cannot be mapped for a PCI function, for the {@link Reason} given. Nothing was
 * allocated or mapped by the call that threw it.
 *
 * @since 1.2
 */
public class DeviceMappingException extends BigbufException {

    private static final long serialVersionUID = 1L;

    /** Why a mapping is impossible, each with what would change it. */
    public enum Reason {
        /** There is no such PCI function (check {@code lspci -D}). */
        NO_SUCH_DEVICE,
        /**
         * A kernel driver owns the function, or its IOMMU group belongs to someone else (VFIO):
         * unbind it first.
         */
        DEVICE_BUSY,
        /**
         * Without a translating IOMMU the function cannot reach the buffer: it lies above the
         * function's address limit (or would need bounce buffering). Allocate the buffer for the
         * device, which places it within reach.
         */
        UNREACHABLE,
        /** A device-contiguous buffer needs a function behind a translating IOMMU. */
        NOT_TRANSLATED,
        /** The process may not map memory for devices (Linux: needs {@code CAP_SYS_RAWIO}). */
        NOT_PERMITTED,
        /** The backend (or the kernel module version) cannot map for devices, or not this one. */
        UNSUPPORTED
    }

    /** The function. */
    private final PciAddress device;
    /** Why. */
    private final Reason reason;

    /**
     * An exception for one function.
     *
     * @param device  the function
     * @param reason  why it cannot have the mapping
     * @param message what happened and what to do, for the user
     */
    public DeviceMappingException(PciAddress device, Reason reason, String message) {
        super(message);
        this.device = Objects.requireNonNull(device, "device");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /**
     * The function the mapping was for.
     *
     * @return the function
     */
    public PciAddress device() {
        return device;
    }

    /**
     * Why the mapping is impossible.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}

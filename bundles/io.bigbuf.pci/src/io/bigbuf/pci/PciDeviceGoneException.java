package io.bigbuf.pci;

/** The function disappeared (hot unplug, {@code remove} in sysfs) before or while it was used. */
public class PciDeviceGoneException extends PciException {

    private static final long serialVersionUID = 1L;

    /**
     * The function is gone.
     *
     * @param message which function
     * @param cause   the failure that showed it, or null
     */
    public PciDeviceGoneException(String message, Throwable cause) {
        super(message, cause);
    }
}

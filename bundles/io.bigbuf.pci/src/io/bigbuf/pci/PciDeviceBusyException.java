package io.bigbuf.pci;

/** {@link PciDevice#open()}: another user (this process or another one) has the function open. */
public class PciDeviceBusyException extends PciException {

    private static final long serialVersionUID = 1L;

    /**
     * The function is taken.
     *
     * @param message which function, and by whom if known
     */
    public PciDeviceBusyException(String message) {
        super(message);
    }
}

package io.bigbuf.pci;

import io.bigbuf.api.BigbufException;

/**
 * A PCI device layer operation failed: no permission, an I/O error on the function's files, a
 * mapping refused. The message says which function, what was asked and what to change.
 */
public class PciException extends BigbufException {

    private static final long serialVersionUID = 1L;

    /**
     * A failure with a message for the user.
     *
     * @param message which function, what was asked, what to change
     */
    public PciException(String message) {
        super(message);
    }

    /**
     * A failure with a message for the user and its cause.
     *
     * @param message which function, what was asked, what to change
     * @param cause   the underlying failure
     */
    public PciException(String message, Throwable cause) {
        super(message, cause);
    }
}

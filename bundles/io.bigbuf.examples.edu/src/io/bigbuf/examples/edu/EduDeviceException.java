package io.bigbuf.examples.edu;

/**
 * The edu device misbehaved or cannot be used: it cannot be opened or mapped, it does not identify
 * as edu, it is busy, or a DMA command did not complete in time.
 */
public class EduDeviceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EduDeviceException(String message) {
        super(message);
    }

    public EduDeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}

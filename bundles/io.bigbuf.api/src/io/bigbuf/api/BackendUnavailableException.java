package io.bigbuf.api;

/**
 * The backend behind a {@link ContiguousAllocator} is gone: its bundle was stopped, its component
 * deactivated, or its device disappeared. Look the service up again (a dynamic reference does
 * this for you).
 */
public class BackendUnavailableException extends BigbufException {

    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.bigbuf.api;

/**
 * The backend behind a {@link ContiguousAllocator} is gone: its bundle was stopped, its component
 * deactivated, or its device disappeared. Look the service up again (a dynamic reference does
 * this for you).
 */
public class BackendUnavailableException extends BigbufException {

    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message for the user.
     *
     * @param message what is gone and what to do
     */
    public BackendUnavailableException(String message) {
        super(message);
    }

    /**
     * An exception with a message for the user and its cause.
     *
     * @param message what is gone and what to do
     * @param cause   the failure that showed it
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

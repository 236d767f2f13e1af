package io.bigbuf.api;

/**
 * Base of all bigbuf failures. Unchecked, like the other {@code java.lang.foreign} failures, so
 * that allocation fits in try-with-resources without boilerplate; every subtype is documented on
 * the methods that throw it. Messages are meant for the person at the console: they say what was
 * asked, what was available and what to change.
 */
public abstract class BigbufException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * A failure with a message for the user.
     *
     * @param message what was asked, what was available, what to change
     */
    protected BigbufException(String message) {
        super(message);
    }

    /**
     * A failure with a message for the user and its cause.
     *
     * @param message what was asked, what was available, what to change
     * @param cause   the underlying failure
     */
    protected BigbufException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.bigbuf.api;

/**
 * The request can never succeed as stated (non-positive size, alignment not a power of two or
 * below the page size, larger than the backend's memory, unknown buffer id, ...). Retrying the
 * same request is pointless; change it.
 */
public class InvalidAllocationRequestException extends BigbufException {

    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message for the user.
     *
     * @param message what is wrong with the request and what would be accepted
     */
    public InvalidAllocationRequestException(String message) {
        super(message);
    }
}

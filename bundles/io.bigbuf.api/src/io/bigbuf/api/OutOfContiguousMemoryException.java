package io.bigbuf.api;

import java.util.OptionalLong;

/**
 * No free physically contiguous range satisfies the request right now (memory is used or
 * fragmented, or the address limit leaves too little room). Freeing buffers, asking for less, or
 * relaxing alignment / address limit may help.
 */
public class OutOfContiguousMemoryException extends BigbufException {

    private static final long serialVersionUID = 1L;

    /** Bytes asked for. */
    private final long requestedBytes;
    /** -1 if unknown. */
    private final long largestAvailable;

    /**
     * An exception for one failed request.
     *
     * @param requestedBytes   bytes asked for
     * @param largestAvailable largest contiguous free range the backend could see, -1 if unknown
     * @param message          what happened, for the user
     */
    public OutOfContiguousMemoryException(long requestedBytes, long largestAvailable, String message) {
        super(message);
        this.requestedBytes = requestedBytes;
        this.largestAvailable = largestAvailable;
    }

    /**
     * The size of the failed request.
     *
     * @return bytes
     */
    public long requestedBytes() {
        return requestedBytes;
    }

    /**
     * Largest contiguous free range when the request failed, if the backend knows it.
     *
     * @return bytes, or empty
     */
    public OptionalLong largestAvailable() {
        return largestAvailable < 0 ? OptionalLong.empty() : OptionalLong.of(largestAvailable);
    }
}

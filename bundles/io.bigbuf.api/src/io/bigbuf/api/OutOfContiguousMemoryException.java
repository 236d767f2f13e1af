package io.bigbuf.api;

import java.util.OptionalLong;

/**
 * No free physically contiguous range satisfies the request right now (memory is used or
 * fragmented, or the address limit leaves too little room). Freeing buffers, asking for less, or
 * relaxing alignment / address limit may help.
 */
public class OutOfContiguousMemoryException extends BigbufException {

    private static final long serialVersionUID = 1L;

    private final long requestedBytes;
    private final long largestAvailable;

    /**
     * @param requestedBytes   bytes asked for
     * @param largestAvailable largest contiguous free range the backend could see, -1 if unknown
     * @param message          what happened, for the user
     */
    public OutOfContiguousMemoryException(long requestedBytes, long largestAvailable, String message) {
        super(message);
        this.requestedBytes = requestedBytes;
        this.largestAvailable = largestAvailable;
    }

    public long requestedBytes() {
        return requestedBytes;
    }

    /** Largest contiguous free range when the request failed, if the backend knows it. */
    public OptionalLong largestAvailable() {
        return largestAvailable < 0 ? OptionalLong.empty() : OptionalLong.of(largestAvailable);
    }
}

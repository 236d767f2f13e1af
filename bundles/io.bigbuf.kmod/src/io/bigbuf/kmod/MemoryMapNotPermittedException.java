package io.bigbuf.kmod;

import io.bigbuf.api.BigbufException;

/**
 * The kernel refused its memory map ({@code BIGBUF_IOC_MEMMAP}) because the process lacks
 * {@code CAP_SYS_ADMIN}: the map shows where kernel memory lies, so the module gives it to root
 * only. Allocating buffers does not need that capability; only the map does. Consumers that know
 * only the API catch it as {@link BigbufException} and show its message.
 */
public final class MemoryMapNotPermittedException extends BigbufException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what was refused and how to get the capability
     * @param cause   the failed call
     */
    public MemoryMapNotPermittedException(String message, Throwable cause) {
        super(message, cause);
    }
}

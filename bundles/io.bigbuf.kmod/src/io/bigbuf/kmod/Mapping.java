package io.bigbuf.kmod;

import io.bigbuf.kmod.abi.KmodDevice;
import io.bigbuf.kmod.abi.NativeCallException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One buffer's mapping of the module's pages in this process, unmapped at most once: by the
 * buffer's arena closing (an explicit close or shutdown), or as the buffer's release action when
 * the Cleaner found the buffer and every segment of it unreachable. It refers to neither the
 * buffer nor its arena, as a release action must not (see {@link io.bigbuf.spi.BufferRecord}).
 */
final class Mapping {

    private static final Logger LOG = System.getLogger(Mapping.class.getName());

    private final long address;
    private final long length;
    private final AtomicBoolean unmapped = new AtomicBoolean();

    /**
     * @param address start of the mapping
     * @param length  page-rounded size the kernel holds and the mapping covers
     */
    Mapping(long address, long length) {
        this.address = address;
        this.length = length;
    }

    long length() {
        return length;
    }

    /**
     * Unmaps, which returns the pages to the kernel, unless that already happened. Only called
     * when no Java code can touch the memory any more: the arena is closed, or nothing references
     * the buffer or any segment of it.
     */
    void unmapOnce() {
        if (unmapped.compareAndSet(false, true)) {
            try {
                KmodDevice.unmap(address, length);
            } catch (NativeCallException e) {
                LOG.log(Level.ERROR, "cannot unmap 0x{0}: {1}", Long.toHexString(address), e.getMessage());
            }
        }
    }

    /** A native call still uses the mapping: never unmap it (it goes when the process exits). */
    void keepMapped() {
        unmapped.set(true);
    }
}

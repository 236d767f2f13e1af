package io.bigbuf.kmod;

import io.bigbuf.api.ByteSize;
import io.bigbuf.api.DmaBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/**
 * A buffer of the kernel backend: a shared mapping of the module's pages, wrapped in a
 * {@link MemorySegment} of its own shared arena. Closing the arena unmaps exactly once and makes
 * every segment view throw {@link IllegalStateException}; the unmap is what returns the pages to
 * the kernel (the allocator drops the device file's reference right after mapping).
 *
 * <p>Holds no state the release needs: that lives in {@link BufferRelease}, so that the
 * {@link Cleaner} can free a buffer the program forgot without this object being reachable.
 */
final class KmodBuffer implements DmaBuffer {

    private final BufferRelease release;
    private final Cleaner.Cleanable cleanable;
    private final long physicalAddress;
    private final MemorySegment segment;

    KmodBuffer(BufferRelease release, Cleaner cleaner, long physicalAddress, MemorySegment segment) {
        this.release = release;
        this.physicalAddress = physicalAddress;
        this.segment = segment;
        this.cleanable = cleaner.register(this, release);
    }

    Cleaner.Cleanable cleanable() {
        return cleanable;
    }

    @Override
    public long id() {
        return release.id();
    }

    @Override
    public long size() {
        return release.size();
    }

    @Override
    public long physicalAddress() {
        return physicalAddress;
    }

    @Override
    public String label() {
        return release.label();
    }

    @Override
    public MemorySegment segment() {
        if (release.isReleased()) {
            throw new IllegalStateException("buffer #" + id() + " (" + ByteSize.format(size()) + ") is closed");
        }
        return segment;
    }

    @Override
    public boolean isClosed() {
        return release.isReleased();
    }

    @Override
    public void close() {
        release.markClosedByOwner();
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "DmaBuffer[#" + id() + ", " + ByteSize.format(size()) + " at 0x" + Long.toHexString(physicalAddress)
                + (label().isEmpty() ? "" : ", " + label()) + (isClosed() ? ", closed" : "") + "]";
    }
}

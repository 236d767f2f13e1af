package io.bigbuf.kmod;

import io.bigbuf.api.ByteSize;
import io.bigbuf.api.DmaBuffer;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/**
 * A buffer of the kernel backend: a shared mapping of the module's pages, wrapped in a
 * {@link MemorySegment} of its own shared arena. Closing the arena unmaps exactly once and makes
 * every segment view throw {@link IllegalStateException}; the unmap is what returns the pages to
 * the kernel (the allocator drops the device file's reference right after mapping).
 *
 * <p><b>A segment keeps its buffer.</b> The arena's close action refers to this object, and every
 * segment refers to the arena's scope, which holds its close actions: a program that keeps only
 * {@code buffer.segment()} (or a slice of it) keeps the buffer alive and mapped. Only when neither
 * the buffer nor any segment of it is reachable does the {@link Cleaner} release it (with a
 * warning). The release state lives in {@link BufferRelease}, which reaches neither this object
 * nor the arena, as a Cleaner action must.
 */
final class KmodBuffer implements DmaBuffer {

    private static final Logger LOG = System.getLogger(KmodBuffer.class.getName());

    /** How long a close waits for a thread that is inside a native call with the segment. */
    private static final int ARENA_CLOSE_ATTEMPTS = 200;
    private static final long ARENA_CLOSE_BACKOFF_MILLIS = 5;

    private final BufferRelease release;
    private final Arena arena;
    private final Cleaner.Cleanable cleanable;
    private final long physicalAddress;
    private final MemorySegment segment;

    /**
     * @param release what frees the buffer; its address and size are the mapping's
     * @param arena   a new shared arena, owned by this buffer from now on
     * @param address start of the mapping of {@code release.bytesHeld()} bytes
     */
    KmodBuffer(BufferRelease release, Cleaner cleaner, Arena arena, long physicalAddress, long address) {
        this.release = release;
        this.arena = arena;
        this.physicalAddress = physicalAddress;
        // The close action captures this buffer: see the class comment. The segment covers what
        // was asked for; the mapping covers whole pages.
        this.segment = MemorySegment.ofAddress(address)
                .reinterpret(release.bytesHeld(), arena, mapping -> arenaClosed())
                .asSlice(0, release.size());
        this.cleanable = cleaner.register(this, release);
    }

    Cleaner.Cleanable cleanable() {
        return cleanable;
    }

    private void arenaClosed() {
        release.unmapOnce();
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

    /** Closes the arena (every segment throws from now on, and the mapping goes), then releases. */
    @Override
    public void close() {
        release.markClosedByOwner();
        if (!closeArena()) {
            release.keepMapped();
        }
        cleanable.clean();
    }

    /** False if a native call kept the segment in use for the whole wait. */
    private boolean closeArena() {
        for (int attempt = 1;; attempt++) {
            try {
                arena.close();
                return true;
            } catch (IllegalStateException inUse) {
                // A native call has the segment right now (or the arena is already closed).
                if (!arena.scope().isAlive()) {
                    return true;
                }
                if (attempt >= ARENA_CLOSE_ATTEMPTS) {
                    LOG.log(Level.ERROR, "buffer #{0} is still in use by a native call; it stays mapped until"
                            + " the process exits", id());
                    return false;
                }
                try {
                    Thread.sleep(ARENA_CLOSE_BACKOFF_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    LOG.log(Level.ERROR, "interrupted while releasing buffer #{0}; it stays mapped", id());
                    return false;
                }
            }
        }
    }

    @Override
    public String toString() {
        return "DmaBuffer[#" + id() + ", " + ByteSize.format(size()) + " at 0x" + Long.toHexString(physicalAddress)
                + (label().isEmpty() ? "" : ", " + label()) + (isClosed() ? ", closed" : "") + "]";
    }
}

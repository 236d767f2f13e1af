package io.bigbuf.kmod;

import java.lang.foreign.Arena;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Everything needed to give one buffer back, without a reference to the {@link KmodBuffer}: the
 * {@link java.lang.ref.Cleaner} action of that buffer. Runs at most once, whether from
 * {@link KmodBuffer#close()}, from the allocator shutting down, or from the Cleaner after the
 * program dropped the buffer without closing it.
 */
final class BufferRelease implements Runnable {

    private final KmodAllocator owner;
    private final long id;
    private final long size;
    private final long bytesHeld;
    private final String label;
    private final Arena arena;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile boolean closedByOwner;

    /**
     * @param bytesHeld page-rounded size the kernel holds (and the mapping covers)
     * @param arena     the buffer's arena; closing it unmaps the buffer
     */
    BufferRelease(KmodAllocator owner, long id, long size, long bytesHeld, String label, Arena arena) {
        this.owner = owner;
        this.id = id;
        this.size = size;
        this.bytesHeld = bytesHeld;
        this.label = label;
        this.arena = arena;
    }

    long id() {
        return id;
    }

    long size() {
        return size;
    }

    long bytesHeld() {
        return bytesHeld;
    }

    String label() {
        return label;
    }

    Arena arena() {
        return arena;
    }

    boolean isReleased() {
        return released.get();
    }

    /** Marks the coming release as deliberate (close or shutdown), not a leak found by the Cleaner. */
    void markClosedByOwner() {
        closedByOwner = true;
    }

    boolean wasClosedByOwner() {
        return closedByOwner;
    }

    /** Claims the release; true exactly once. */
    boolean claim() {
        return released.compareAndSet(false, true);
    }

    @Override
    public void run() {
        owner.release(this);
    }
}

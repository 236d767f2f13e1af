package io.bigbuf.kmod;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Everything needed to give one buffer back, without a reference to the {@link KmodBuffer} or to
 * its arena: the {@link java.lang.ref.Cleaner} action of that buffer. A Cleaner action must not
 * reach the object it cleans, and the buffer's arena does reach it (see {@link KmodBuffer}).
 *
 * <p>Runs at most once, whether from {@link KmodBuffer#close()}, from the allocator shutting
 * down, or from the Cleaner after the program dropped the buffer and every segment of it without
 * closing. The mapping is unmapped at most once too: by the arena's close action on an explicit
 * close, or here when nothing can reach the memory any more.
 */
final class BufferRelease implements Runnable {

    private final KmodAllocator owner;
    private final long id;
    private final long size;
    private final long address;
    private final long bytesHeld;
    private final String label;
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicBoolean unmapped = new AtomicBoolean();
    private volatile boolean closedByOwner;

    /**
     * @param address   start of the buffer's mapping in this process
     * @param bytesHeld page-rounded size the kernel holds (and the mapping covers)
     */
    BufferRelease(KmodAllocator owner, long id, long size, long address, long bytesHeld, String label) {
        this.owner = owner;
        this.id = id;
        this.size = size;
        this.address = address;
        this.bytesHeld = bytesHeld;
        this.label = label;
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

    /**
     * Unmaps the buffer, which returns its pages to the kernel, unless that already happened.
     * Only called when no Java code can touch the memory any more: the arena is closed, or
     * nothing references the buffer or any segment of it.
     */
    void unmapOnce() {
        if (unmapped.compareAndSet(false, true)) {
            KmodAllocator.unmapLogged(address, bytesHeld, id);
        }
    }

    /** The mapping must stay (a native call still uses it): never unmap it. */
    void keepMapped() {
        unmapped.set(true);
    }

    @Override
    public void run() {
        owner.release(this);
    }
}

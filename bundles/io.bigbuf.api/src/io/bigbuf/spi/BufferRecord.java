package io.bigbuf.spi;

import io.bigbuf.api.BufferOwner;
import io.bigbuf.api.ByteSize;
import io.bigbuf.api.Contiguity;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The allocator's record of one buffer: what it is, and how to give it back. Created by
 * {@link AllocatorSupport#newRecord}, owned by exactly one {@link BufferSupport}.
 *
 * <p>A record never refers to its buffer (nor to anything that refers to the buffer): it is what a
 * {@link Cleaner} runs when the program dropped the buffer without closing it, and a Cleaner
 * action must not reach the object it cleans. For the same reason the release actions given to it
 * must not capture the buffer, nor anything that refers to it (such as an arena whose close action
 * refers to the buffer).
 *
 * <p>The buffer is released exactly once, whichever comes first: its owner closes it, the backend
 * shuts down, or the Cleaner finds it unreachable. Releasing runs the extra release actions (last
 * added first), then the backend's own, then removes the buffer from the allocator's registry.
 */
public final class BufferRecord {

    private static final Logger LOG = System.getLogger(BufferRecord.class.getName());

    private final AllocatorSupport<?> allocator;
    private final long id;
    private final long size;
    private final long bytesHeld;
    private final long physicalAddress;
    private final String label;
    private final Contiguity contiguity;
    private final int numaNode;
    private final Runnable backendRelease;
    private final AtomicBoolean released = new AtomicBoolean();
    /** Guarded by itself; null once the record is released. */
    private Deque<Runnable> extraReleases = new ArrayDeque<>();
    private volatile boolean closedByOwner;
    private volatile Cleaner.Cleanable cleanable;
    private volatile boolean attached;
    /** Set once by the allocator before it hands the buffer out. */
    private volatile Optional<BufferOwner> owner = Optional.empty();

    BufferRecord(AllocatorSupport<?> allocator, long id, long size, long bytesHeld, long physicalAddress, String label,
            Contiguity contiguity, int numaNode, Runnable backendRelease) {
        this.allocator = allocator;
        this.id = id;
        this.size = size;
        this.bytesHeld = bytesHeld;
        this.physicalAddress = physicalAddress;
        this.label = label;
        this.contiguity = contiguity;
        this.numaNode = numaNode;
        this.backendRelease = backendRelease;
    }

    /**
     * Unique among the buffers of the allocator that created this record.
     *
     * @return the buffer's id
     */
    public long id() {
        return id;
    }

    /**
     * Usable bytes, exactly as requested.
     *
     * @return bytes, &gt; 0
     */
    public long size() {
        return size;
    }

    /**
     * Bytes the backend holds for the buffer (page-rounded): what {@code bytesHeld} statistics add up.
     *
     * @return bytes, at least {@link #size()}
     */
    public long bytesHeld() {
        return bytesHeld;
    }

    /**
     * The physical address of the first byte; meaningless for {@link Contiguity#DEVICE}.
     *
     * @return the address, -1 for a device-contiguous buffer
     */
    public long physicalAddress() {
        return physicalAddress;
    }

    /**
     * In what sense the buffer is contiguous.
     *
     * @return {@link Contiguity#PHYSICAL} or {@link Contiguity#DEVICE}
     * @since 1.1
     */
    public Contiguity contiguity() {
        return contiguity;
    }

    /**
     * NUMA node of all the buffer's memory, -1 if unknown or several. Since 1.1.
     *
     * @return the node, or -1
     */
    public int numaNode() {
        return numaNode;
    }

    /**
     * The label of the request.
     *
     * @return the label, never null
     */
    public String label() {
        return label;
    }

    /**
     * Whether the buffer has been given back (its release has started).
     *
     * @return true once released
     */
    public boolean isReleased() {
        return released.get();
    }

    /**
     * Adds state that must be torn down before the buffer's memory is given back, e.g. a device
     * mapping of the buffer that must go before its pages are freed. Actions run on release, the
     * last added first, each at most once; one that throws is logged and the others still run.
     *
     * @param action must not refer to the buffer (see the class comment)
     * @throws IllegalStateException the buffer is already released: nothing was added
     */
    public void addReleaseAction(Runnable action) {
        synchronized (this) {
            if (extraReleases == null) {
                throw new IllegalStateException("buffer #" + id + " is closed");
            }
            extraReleases.push(action);
        }
    }

    AllocatorSupport<?> allocator() {
        return allocator;
    }

    /** The bundle that allocated the buffer, see {@link io.bigbuf.api.DmaBuffer#owner()}. */
    Optional<BufferOwner> owner() {
        return owner;
    }

    void owner(Optional<BufferOwner> bundle) {
        owner = bundle;
    }

    /** Binds the record to its buffer; with {@link Retention#WHILE_REACHABLE} the Cleaner watches the buffer. */
    void attach(BufferSupport buffer) {
        synchronized (this) {
            if (attached) {
                throw new IllegalStateException("buffer record #" + id + " already belongs to a buffer");
            }
            attached = true;
        }
        Cleaner cleaner = allocator.cleaner();
        if (cleaner != null) {
            // The action is this record, which does not reach the buffer: see the class comment.
            cleanable = cleaner.register(buffer, this::releaseOnce);
        }
    }

    /** The coming release is deliberate (close or shutdown), not a leak found by the Cleaner. */
    void markClosedByOwner() {
        closedByOwner = true;
    }

    /** Releases the buffer unless that happened already. */
    void release() {
        Cleaner.Cleanable c = cleanable;
        if (c != null) {
            c.clean(); // runs releaseOnce and unregisters the buffer from the Cleaner
        } else {
            releaseOnce();
        }
    }

    private void releaseOnce() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        if (!closedByOwner) {
            LOG.log(Level.WARNING, "buffer #{0} ({1}{2}) was garbage-collected without close(); releasing it now."
                    + " Close DmaBuffers explicitly (try-with-resources)", id, ByteSize.format(size),
                    label.isEmpty() ? "" : ", " + label);
        }
        Deque<Runnable> extra;
        synchronized (this) {
            extra = extraReleases;
            extraReleases = null;
        }
        try {
            extra.forEach(this::runLogged);
            runLogged(backendRelease);
        } finally {
            allocator.unregister(this);
        }
    }

    /** close() never throws: a failing release action is an error to log, not the caller's problem. */
    private void runLogged(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "releasing buffer #" + id + " failed: " + e, e);
        }
    }
}

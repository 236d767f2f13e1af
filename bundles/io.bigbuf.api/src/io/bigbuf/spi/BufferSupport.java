package io.bigbuf.spi;

import io.bigbuf.api.ByteSize;
import io.bigbuf.api.DmaBuffer;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link DmaBuffer} of a backend built on {@link AllocatorSupport}: the accessors, the closed
 * check and the close-once sequence. A backend supplies the memory ({@link #memory()}) and how to
 * cut Java off from it ({@link #invalidate()}, typically closing the buffer's shared arena).
 *
 * <p>{@link #close()} first invalidates (every segment obtained so far throws
 * {@link IllegalStateException} from then on), then releases the record: so neither Java code nor,
 * once the pages are reused, a device ever sees memory that belongs to someone else.
 */
@ConsumerType
public abstract class BufferSupport implements DmaBuffer {

    private static final Logger LOG = System.getLogger(BufferSupport.class.getName());

    private final BufferRecord record;
    private final AtomicBoolean closing = new AtomicBoolean();

    /**
     * @param record from {@link AllocatorSupport#newRecord}, used by this buffer only
     * @throws IllegalStateException the record already belongs to another buffer
     */
    protected BufferSupport(BufferRecord record) {
        this.record = record;
        record.attach(this);
    }

    /** The memory, without the closed check; {@link #segment()} adds it. */
    protected abstract MemorySegment memory();

    /**
     * Makes every segment of this buffer throw {@link IllegalStateException} (close its arena).
     * Called once, by {@link #close()}, before the record's release actions run.
     */
    protected abstract void invalidate();

    /** The allocator's record of this buffer. */
    protected final BufferRecord record() {
        return record;
    }

    @Override
    public final long id() {
        return record.id();
    }

    @Override
    public final long size() {
        return record.size();
    }

    @Override
    public final long physicalAddress() {
        return record.physicalAddress();
    }

    @Override
    public final String label() {
        return record.label();
    }

    @Override
    public final MemorySegment segment() {
        if (isClosed()) {
            throw new IllegalStateException("buffer #" + id() + " (" + ByteSize.format(size()) + ") is closed");
        }
        return memory();
    }

    @Override
    public final boolean isClosed() {
        return closing.get() || record.isReleased();
    }

    @Override
    public final void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        record.markClosedByOwner();
        try {
            invalidate();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "closing buffer #" + id() + " failed: " + e, e);
        } finally {
            record.release();
        }
    }

    @Override
    public final String toString() {
        return "DmaBuffer[#" + id() + ", " + ByteSize.format(size()) + " at 0x" + Long.toHexString(physicalAddress())
                + (label().isEmpty() ? "" : ", " + label()) + (isClosed() ? ", closed" : "") + "]";
    }
}

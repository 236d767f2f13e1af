package io.bigbuf.mock;

import io.bigbuf.api.ByteSize;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.mock.model.PhysicalRange;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A buffer of the mock backend: real zeroed off-heap memory in its own shared {@link Arena} plus a
 * simulated physical range. Closing the arena is what makes every earlier {@link MemorySegment}
 * view throw {@link IllegalStateException} instead of touching freed memory.
 */
final class MockBuffer implements DmaBuffer {

    private final MockAllocator owner;
    private final long id;
    private final long size;
    private final PhysicalRange range;
    private final String label;
    private final Arena arena;
    private final MemorySegment segment;
    private final AtomicBoolean closed = new AtomicBoolean();

    MockBuffer(MockAllocator owner, long id, long size, PhysicalRange range, String label, Arena arena,
            MemorySegment segment) {
        this.owner = owner;
        this.id = id;
        this.size = size;
        this.range = range;
        this.label = label;
        this.arena = arena;
        this.segment = segment;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long physicalAddress() {
        return range.address();
    }

    @Override
    public String label() {
        return label;
    }

    /** The simulated pages behind this buffer (page-rounded). */
    PhysicalRange physicalRange() {
        return range;
    }

    @Override
    public MemorySegment segment() {
        if (closed.get()) {
            throw new IllegalStateException("buffer #" + id + " (" + ByteSize.format(size) + ") is closed");
        }
        return segment;
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            // Invalidate Java access first, then hand the pages back: a device (if this were real)
            // must never see pages reused while Java code can still write them.
            try {
                arena.close();
            } finally {
                owner.release(this);
            }
        }
    }

    @Override
    public String toString() {
        return "DmaBuffer[#" + id + ", " + ByteSize.format(size) + " at 0x" + Long.toHexString(range.address())
                + (label.isEmpty() ? "" : ", " + label) + (isClosed() ? ", closed" : "") + "]";
    }
}

package io.bigbuf.pci.spi;

import io.bigbuf.pci.Bar;
import io.bigbuf.pci.BarInfo;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * A {@link Bar} over a mapped segment: the mapping of a BAR's sysfs {@code resource} file, of a
 * VFIO region, or simulated device memory. Register accesses go through volatile var handles of
 * the aligned layouts, so each is a single load or store of exactly its width that the JIT
 * neither merges, splits, caches nor reorders; the segment checks bounds, alignment and that its
 * arena is still open.
 */
public final class SegmentBar implements Bar {

    // Coordinates (MemorySegment, long offset).
    private static final VarHandle BYTE = ValueLayout.JAVA_BYTE.varHandle();
    private static final VarHandle SHORT = ValueLayout.JAVA_SHORT.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final BarInfo info;
    private final MemorySegment segment;

    /**
     * Wraps a mapping.
     *
     * @param info    which BAR it is
     * @param segment the mapping, at most {@code info.size()} bytes (a layer may map less of a huge BAR)
     * @throws IllegalArgumentException a segment larger than the BAR
     */
    public SegmentBar(BarInfo info, MemorySegment segment) {
        this.info = Objects.requireNonNull(info, "info");
        this.segment = Objects.requireNonNull(segment, "segment");
        if (segment.byteSize() > info.size()) {
            throw new IllegalArgumentException("BAR " + info.index() + " is " + info.size() + " bytes, the mapping "
                    + segment.byteSize());
        }
    }

    @Override
    public BarInfo info() {
        return info;
    }

    @Override
    public long size() {
        return segment.byteSize();
    }

    @Override
    public int read8(long offset) {
        return Byte.toUnsignedInt((byte) BYTE.getVolatile(segment, offset));
    }

    @Override
    public int read16(long offset) {
        return Short.toUnsignedInt((short) SHORT.getVolatile(segment, offset));
    }

    @Override
    public int read32(long offset) {
        return (int) INT.getVolatile(segment, offset);
    }

    @Override
    public long read64(long offset) {
        return (long) LONG.getVolatile(segment, offset);
    }

    @Override
    public void write8(long offset, int value) {
        BYTE.setVolatile(segment, offset, (byte) value);
    }

    @Override
    public void write16(long offset, int value) {
        SHORT.setVolatile(segment, offset, (short) value);
    }

    @Override
    public void write32(long offset, int value) {
        INT.setVolatile(segment, offset, value);
    }

    @Override
    public void write64(long offset, long value) {
        LONG.setVolatile(segment, offset, value);
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public String toString() {
        return "BAR " + info.index() + " (" + segment.byteSize() + " bytes mapped)";
    }
}

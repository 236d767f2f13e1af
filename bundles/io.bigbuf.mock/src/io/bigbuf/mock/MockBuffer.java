package io.bigbuf.mock;

import io.bigbuf.spi.BufferRecord;
import io.bigbuf.spi.BufferSupport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A buffer of the mock backend: real zeroed off-heap memory in its own shared {@link Arena} plus a
 * simulated physical range (in its record). Closing the arena is what makes every earlier
 * {@link MemorySegment} view throw {@link IllegalStateException} instead of touching freed memory.
 */
final class MockBuffer extends BufferSupport {

    private final Arena arena;
    private final MemorySegment segment;

    MockBuffer(BufferRecord record, Arena arena, MemorySegment segment) {
        super(record);
        this.arena = arena;
        this.segment = segment;
    }

    @Override
    protected MemorySegment memory() {
        return segment;
    }

    @Override
    protected void invalidate() {
        arena.close();
    }
}

package io.bigbuf.kmod;

import io.bigbuf.spi.ArenaBuffer;
import io.bigbuf.spi.BufferRecord;
import io.bigbuf.spi.BufferSupport;
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
 * warning); its release action is the {@link Mapping}, which reaches neither this object nor the
 * arena.
 */
final class KmodBuffer extends BufferSupport {

    private final Mapping mapping;
    private final Arena arena;
    private final MemorySegment segment;
    private final long address;

    /**
     * @param record  whose release action unmaps {@code mapping}
     * @param arena   a new shared arena, owned by this buffer from now on
     * @param address start of {@code mapping}
     */
    KmodBuffer(BufferRecord record, Mapping mapping, Arena arena, long address) {
        super(record);
        this.mapping = mapping;
        this.arena = arena;
        this.address = address;
        // The close action captures this buffer: see the class comment. The segment covers what
        // was asked for; the mapping covers whole pages.
        this.segment = MemorySegment.ofAddress(address)
                .reinterpret(mapping.length(), arena, unused -> arenaClosed())
                .asSlice(0, record.size());
    }

    /** Where the buffer is mapped in this process: how device mapping calls name it to the kernel. */
    long address() {
        return address;
    }

    private void arenaClosed() {
        mapping.unmapOnce();
    }

    @Override
    protected MemorySegment memory() {
        return segment;
    }

    /** Closes the arena: every segment throws from now on, and the mapping goes. */
    @Override
    protected void invalidate() {
        if (!ArenaBuffer.closeArena(arena, id())) {
            mapping.keepMapped();
        }
    }
}

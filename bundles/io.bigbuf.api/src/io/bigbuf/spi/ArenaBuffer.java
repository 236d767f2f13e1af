package io.bigbuf.spi;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A buffer whose memory is a segment of its own {@link Arena#ofShared() shared arena}: closing the
 * arena is what makes every segment of it throw {@link IllegalStateException}. For backends whose
 * memory the arena itself owns (the mock's off-heap memory); a backend that maps memory itself
 * extends {@link BufferSupport} and closes its arena with {@link #closeArena}.
 */
public final class ArenaBuffer extends BufferSupport {

    private static final Logger LOG = System.getLogger(ArenaBuffer.class.getName());

    /** How long a close waits for a thread that is inside a native call with the segment. */
    private static final int ARENA_CLOSE_ATTEMPTS = 200;
    private static final long ARENA_CLOSE_BACKOFF_MILLIS = 5;

    private final Arena arena;
    private final MemorySegment segment;

    /**
     * @param arena   a shared arena, owned by this buffer from now on
     * @param segment the buffer's memory, of {@code arena}
     */
    public ArenaBuffer(BufferRecord record, Arena arena, MemorySegment segment) {
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
        closeArena(arena, id());
    }

    /**
     * Closes a shared arena. A native (FFM downcall) that was passed one of its segments keeps
     * the arena busy until it returns; this waits up to a second for that, then gives up.
     *
     * @param id the buffer, for the log
     * @return false if the arena stayed in use: its memory must then stay valid (mapped)
     */
    public static boolean closeArena(Arena arena, long id) {
        for (int attempt = 1;; attempt++) {
            try {
                arena.close();
                return true;
            } catch (IllegalStateException inUse) {
                // A native call has a segment right now (or the arena is already closed).
                if (!arena.scope().isAlive()) {
                    return true;
                }
                if (attempt >= ARENA_CLOSE_ATTEMPTS) {
                    LOG.log(Level.ERROR, "buffer #{0} is still in use by a native call; its memory stays until"
                            + " the process exits", id);
                    return false;
                }
                try {
                    Thread.sleep(ARENA_CLOSE_BACKOFF_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    LOG.log(Level.ERROR, "interrupted while releasing buffer #{0}; its memory stays", id);
                    return false;
                }
            }
        }
    }
}

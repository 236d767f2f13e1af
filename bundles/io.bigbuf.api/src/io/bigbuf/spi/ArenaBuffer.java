package io.bigbuf.spi;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A buffer whose memory is a segment of its own {@link Arena#ofShared() shared arena}. For backends
 * whose memory the arena itself owns (the mock's off-heap memory); a backend that maps memory itself
 * extends {@link BufferSupport} and closes its arena with {@link #closeArena}.
 *
 * <p>The program sees the memory through a view of a second shared arena of this buffer, whose
 * close action refers to the buffer: closing the view is what makes every segment obtained from
 * the buffer throw {@link IllegalStateException}, and a program that keeps only a segment (or a
 * slice of it) keeps the buffer reachable. The arena that owns the memory is closed by a release
 * action of the record (since 1.1.1), so a buffer that the {@link java.lang.ref.Cleaner} releases
 * because neither it nor any of its segments is reachable gives its memory back too.
 */
public final class ArenaBuffer extends BufferSupport {

    private static final Logger LOG = System.getLogger(ArenaBuffer.class.getName());

    /** How long a close waits for a thread that is inside a native call with the segment. */
    private static final int ARENA_CLOSE_ATTEMPTS = 200;
    private static final long ARENA_CLOSE_BACKOFF_MILLIS = 5;

    /** What the program's segments belong to; its close action refers to this buffer. */
    private final Arena view;
    private final MemorySegment segment;
    /** Set when the view stayed in use by a native call: the memory must then stay valid. */
    private final AtomicBoolean keepMemory = new AtomicBoolean();

    /**
     * A buffer whose memory is a segment of a shared arena.
     *
     * @param record  the buffer's record; closing {@code arena} is added to its release actions
     * @param arena   a shared arena, owned by this buffer from now on
     * @param segment the buffer's memory, of {@code arena}
     */
    public ArenaBuffer(BufferRecord record, Arena arena, MemorySegment segment) {
        super(record);
        long id = record.id();
        AtomicBoolean keep = keepMemory;
        // Refers to neither this buffer nor the view (see BufferRecord): only the owning arena.
        record.addReleaseAction(() -> {
            if (!keep.get()) {
                closeArena(arena, id);
            }
        });
        this.view = Arena.ofShared();
        // The close action captures this buffer: every segment refers to the view's scope, which
        // holds its close actions, so a reachable segment keeps the buffer reachable.
        this.segment = MemorySegment.ofAddress(segment.address())
                .reinterpret(segment.byteSize(), view, unused -> viewClosed());
    }

    private void viewClosed() {
        // Nothing to do: the memory goes with the owning arena, in the release action.
    }

    @Override
    protected MemorySegment memory() {
        return segment;
    }

    @Override
    protected void invalidate() {
        if (!closeArena(view, id())) {
            keepMemory.set(true);
        }
    }

    /**
     * Closes a shared arena. A native (FFM downcall) that was passed one of its segments keeps
     * the arena busy until it returns; this waits up to a second for that, then gives up.
     *
     * @param arena the arena to close
     * @param id    the buffer, for the log
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

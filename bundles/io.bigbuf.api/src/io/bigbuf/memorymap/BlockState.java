package io.bigbuf.memorymap;

/** What occupies one block of physical memory, as far as building a contiguous buffer goes. */
public enum BlockState {
    /** Every page is free. */
    FREE('.', true),
    /** In use, but every used page can be migrated away (the kernel's {@code alloc_contig_range}). */
    MOVABLE_IN_USE('m', true),
    /** Holds at least one page that cannot be moved (kernel memory, pinned pages). */
    UNMOVABLE('U', false),
    /** Holds (part of) a bigbuf buffer. */
    BUFFER('B', false),
    /** No memory at this address (a gap in the physical address map, reserved by firmware). */
    HOLE(' ', false);

    private final char symbol;
    private final boolean buildable;

    BlockState(char symbol, boolean buildable) {
        this.symbol = symbol;
        this.buildable = buildable;
    }

    /**
     * The character {@code bigbuf:memmap} draws for this state.
     *
     * @return one printable character ({@link #HOLE}: a space)
     */
    public char symbol() {
        return symbol;
    }

    /**
     * Whether a new contiguous buffer may cover a block in this state ({@link #FREE}, and
     * {@link #MOVABLE_IN_USE} after migrating its pages).
     *
     * @return true for the states a buffer could be built over
     */
    public boolean buildable() {
        return buildable;
    }
}

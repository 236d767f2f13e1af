package io.bigbuf.memorymap;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable snapshot of physical memory from {@code base} on, in blocks of {@code blockSize}
 * bytes, one {@link BlockState} each. Runs are computed in whole blocks, so they are lower bounds
 * of what the backend could build (a block with one pinned page may still hold a small buffer).
 */
public final class MemoryMap {

    /**
     * A run of consecutive buildable blocks.
     *
     * @param firstBlock index of its first block
     * @param blocks     number of blocks, positive
     * @param address    physical address of its first byte
     * @param bytes      its size in bytes
     */
    public record Run(int firstBlock, int blocks, long address, long bytes) {
        /**
         * Physical address of its last byte.
         *
         * @return {@code address + bytes - 1}
         */
        public long lastAddress() {
            return address + bytes - 1;
        }
    }

    private final long base;
    private final long blockSize;
    private final List<BlockState> states;

    /**
     * A map of {@code states.size()} blocks.
     *
     * @param base      physical address of the first block, a multiple of {@code blockSize}
     * @param blockSize bytes per block, a positive power of two
     * @param states    one state per block, at least one, no null
     * @throws IllegalArgumentException an inconsistent layout
     */
    public MemoryMap(long base, long blockSize, List<BlockState> states) {
        if (blockSize <= 0 || Long.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a positive power of two, got " + blockSize);
        }
        if (base < 0 || base % blockSize != 0) {
            throw new IllegalArgumentException("base must be a non-negative multiple of the block size, got 0x"
                    + Long.toHexString(base));
        }
        this.states = List.copyOf(Objects.requireNonNull(states, "states"));
        if (this.states.isEmpty()) {
            throw new IllegalArgumentException("a memory map needs at least one block");
        }
        if (this.states.size() > (Long.MAX_VALUE - base) / blockSize) {
            throw new IllegalArgumentException("the map exceeds the 63-bit physical address range");
        }
        this.base = base;
        this.blockSize = blockSize;
    }

    /**
     * Physical address of the first block.
     *
     * @return the base address
     */
    public long base() {
        return base;
    }

    /**
     * Bytes per block.
     *
     * @return a power of two
     */
    public long blockSize() {
        return blockSize;
    }

    /**
     * Number of blocks.
     *
     * @return at least 1
     */
    public int blockCount() {
        return states.size();
    }

    /**
     * All block states, lowest address first.
     *
     * @return an unmodifiable list
     */
    public List<BlockState> states() {
        return states;
    }

    /**
     * The state of one block.
     *
     * @param block index, 0 to {@link #blockCount()} - 1
     * @return its state
     * @throws IndexOutOfBoundsException no such block
     */
    public BlockState state(int block) {
        return states.get(block);
    }

    /**
     * Physical address of a block's first byte.
     *
     * @param block index, 0 to {@link #blockCount()} - 1
     * @return {@code base + block * blockSize}
     * @throws IndexOutOfBoundsException no such block
     */
    public long addressOf(int block) {
        Objects.checkIndex(block, states.size());
        return base + block * blockSize;
    }

    /**
     * How many blocks are in a state.
     *
     * @param state the state
     * @return the number of blocks
     */
    public int count(BlockState state) {
        return (int) states.stream().filter(s -> s == state).count();
    }

    /**
     * The runs of consecutive {@linkplain BlockState#buildable() buildable} blocks, lowest first.
     *
     * @return an unmodifiable list, possibly empty
     */
    public List<Run> buildableRuns() {
        List<Run> runs = new ArrayList<>();
        int i = 0;
        while (i < states.size()) {
            if (!states.get(i).buildable()) {
                i++;
                continue;
            }
            int start = i;
            while (i < states.size() && states.get(i).buildable()) {
                i++;
            }
            runs.add(run(start, i - start));
        }
        return List.copyOf(runs);
    }

    /**
     * The longest run of buildable blocks (the highest one of equal length).
     *
     * @return the run, or empty if no block is buildable
     */
    public Optional<Run> largestRun() {
        Run best = null;
        for (Run r : buildableRuns()) {
            if (best == null || r.blocks() >= best.blocks()) {
                best = r;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * Where a buffer of {@code size} bytes could still be built: the highest block-aligned range of
     * buildable blocks that holds it (backends place buffers as high as they fit).
     *
     * @param size bytes, positive
     * @return the blocks it would cover, or empty if no run is long enough
     * @throws IllegalArgumentException {@code size} is not positive
     */
    public Optional<Run> placement(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + size);
        }
        long needed = Math.ceilDiv(size, blockSize);
        List<Run> runs = buildableRuns();
        for (int i = runs.size() - 1; i >= 0; i--) {
            Run r = runs.get(i);
            if (r.blocks() >= needed) {
                return Optional.of(run(r.firstBlock() + r.blocks() - (int) needed, (int) needed));
            }
        }
        return Optional.empty();
    }

    private Run run(int first, int blocks) {
        return new Run(first, blocks, base + first * blockSize, blocks * blockSize);
    }

    @Override
    public String toString() {
        return "MemoryMap[" + states.size() + " blocks of " + blockSize + " bytes from 0x" + Long.toHexString(base) + "]";
    }
}

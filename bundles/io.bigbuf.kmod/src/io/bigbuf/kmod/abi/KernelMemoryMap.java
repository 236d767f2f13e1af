package io.bigbuf.kmod.abi;

/**
 * One {@code BIGBUF_IOC_MEMMAP} answer: the states of the blocks from {@code startPfn} on.
 *
 * @param startPfn   first page frame described, rounded down to a block by the kernel
 * @param endPfn     one past the highest page frame of any zone: where the map of all memory ends
 * @param blockPages pages per block
 * @param states     one {@code BIGBUF_BLOCK_*} byte per block written, possibly none (at or past
 *                   {@code endPfn})
 */
public record KernelMemoryMap(long startPfn, long endPfn, long blockPages, byte[] states) {
}

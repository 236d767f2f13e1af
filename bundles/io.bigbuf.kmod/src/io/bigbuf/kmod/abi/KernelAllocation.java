package io.bigbuf.kmod.abi;

/**
 * The output fields of {@code BIGBUF_IOC_ALLOC}.
 *
 * @param id         buffer id on the open file that allocated it
 * @param physAddr   physical (bus) address of the first byte
 * @param mmapOffset offset to pass to {@code mmap}
 * @param actualSize bytes held, the requested size rounded up to whole pages
 * @param strategy   index into {@link BigbufAbi#STRATEGIES}
 * @param kind       {@code BIGBUF_KIND_*}
 * @param node       NUMA node of the pages, -1 if several or unknown
 * @param mode       {@code BIGBUF_DMA_*} of the device mapping made with it, 0 without one
 * @param devAddr    device address of that mapping
 */
public record KernelAllocation(long id, long physAddr, long mmapOffset, long actualSize, int strategy, int kind,
        int node, int mode, long devAddr) {
}

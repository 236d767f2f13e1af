package io.bigbuf.kmod.abi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.List;

/**
 * Java mirror of {@code kmod/include/uapi/linux/bigbuf.h}, ABI version {@value #ABI_VERSION}: constants,
 * struct layouts and ioctl numbers.
 *
 * <p>Field names are exactly the C member names, so that the ABI test can compare this class
 * member by member with what a C program compiled from the header prints ({@code sizeof},
 * {@code offsetof}, ioctl numbers). {@code __u64} maps to {@code JAVA_LONG}, {@code __u32} to
 * {@code JAVA_INT}; C arrays are {@link MemoryLayout#sequenceLayout sequence layouts}. The header
 * uses explicit padding and natural alignment, so no layout here needs a padding element.
 */
public final class BigbufAbi {

    /** {@code BIGBUF_ABI_VERSION}: the module must report exactly this in {@code bigbuf_info}. */
    public static final int ABI_VERSION = 1;

    /** {@code BIGBUF_IOC_MAGIC}. */
    public static final int IOC_MAGIC = 0xB9;

    /** {@code BIGBUF_MMAP_SHIFT}; informational, the mmap offset is taken from the kernel. */
    public static final int MMAP_SHIFT = 40;

    /** {@code BIGBUF_STRATEGY_*} values, index = value. */
    public static final List<String> STRATEGIES = List.of("auto", "buddy", "contig", "grab");

    /** {@code BIGBUF_STRATEGY_AUTO}. */
    public static final int STRATEGY_AUTO = 0;

    /** {@code BIGBUF_STRATEGY_COUNT}. */
    public static final int STRATEGY_COUNT = STRATEGIES.size();

    /** {@code BIGBUF_ALLOC_DEVICE}: ALLOC_EXT maps the new buffer for {@code dev}. */
    public static final int ALLOC_DEVICE = 1 << 8;

    /** {@code BIGBUF_ALLOC_SCATTER}: device-contiguous buffer. */
    public static final int ALLOC_SCATTER = 1 << 9;

    /** {@code BIGBUF_ALLOC_NODE_STRICT}: pages of {@code node} only. */
    public static final int ALLOC_NODE_STRICT = 1 << 10;

    /** {@code BIGBUF_NODE_ANY}. */
    public static final int NODE_ANY = -1;

    /** {@code BIGBUF_KIND_PHYS_CONTIG}. */
    public static final int KIND_PHYS_CONTIG = 1;

    /** {@code BIGBUF_KIND_DEV_CONTIG}. */
    public static final int KIND_DEV_CONTIG = 2;

    /** {@code BIGBUF_DMA_DIRECT}. */
    public static final int DMA_DIRECT = 1;

    /** {@code BIGBUF_DMA_IDENTITY}. */
    public static final int DMA_IDENTITY = 2;

    /** {@code BIGBUF_DMA_TRANSLATED}. */
    public static final int DMA_TRANSLATED = 3;

    /** {@code BIGBUF_MAP_DEVICE_READ_ONLY}. */
    public static final int MAP_DEVICE_READ_ONLY = 1;

    /** {@code BIGBUF_FEATURE_DEVICE_MAP}: MAP, UNMAP and ALLOC_EXT exist. */
    public static final long FEATURE_DEVICE_MAP = 1L << 0;

    /** {@code BIGBUF_FEATURE_NUMA}: node placement. */
    public static final long FEATURE_NUMA = 1L << 1;

    /** {@code BIGBUF_FEATURE_MEMMAP}: {@code BIGBUF_IOC_MEMMAP} exists. */
    public static final long FEATURE_MEMMAP = 1L << 2;

    /** {@code BIGBUF_BLOCK_HOLE}: no online memory in the block. */
    public static final int BLOCK_HOLE = 0;

    /** {@code BIGBUF_BLOCK_FREE}: every page of the block is free. */
    public static final int BLOCK_FREE = 1;

    /** {@code BIGBUF_BLOCK_MOVABLE}: pages in use, all of them movable. */
    public static final int BLOCK_MOVABLE = 2;

    /** {@code BIGBUF_BLOCK_UNMOVABLE}: at least one page in use that cannot be migrated. */
    public static final int BLOCK_UNMOVABLE = 3;

    /** {@code BIGBUF_BLOCK_BUFFER}: at least one page of a bigbuf buffer. */
    public static final int BLOCK_BUFFER = 4;

    /** {@code BIGBUF_MEMMAP_MAX_BLOCKS}: most blocks one {@code BIGBUF_IOC_MEMMAP} call describes. */
    public static final int MEMMAP_MAX_BLOCKS = 1 << 19;

    /** {@code struct bigbuf_alloc}. */
    public static final StructLayout ALLOC = MemoryLayout.structLayout(
            JAVA_LONG.withName("size"),
            JAVA_LONG.withName("align"),
            JAVA_LONG.withName("max_addr"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("strategy"),
            JAVA_LONG.withName("id"),
            JAVA_LONG.withName("phys_addr"),
            JAVA_LONG.withName("mmap_offset"),
            JAVA_LONG.withName("actual_size"),
            MemoryLayout.sequenceLayout(2, JAVA_LONG).withName("reserved"))
            .withName("bigbuf_alloc");

    /** {@code struct bigbuf_free}. */
    public static final StructLayout FREE = MemoryLayout.structLayout(
            JAVA_LONG.withName("id"),
            JAVA_LONG.withName("reserved"))
            .withName("bigbuf_free");

    /** {@code struct bigbuf_query}. */
    public static final StructLayout QUERY = MemoryLayout.structLayout(
            JAVA_LONG.withName("id"),
            JAVA_LONG.withName("phys_addr"),
            JAVA_LONG.withName("mmap_offset"),
            JAVA_LONG.withName("size"),
            JAVA_INT.withName("strategy"),
            JAVA_INT.withName("kind"),
            JAVA_INT.withName("node"),
            JAVA_INT.withName("dev_maps"),
            JAVA_LONG.withName("reserved"))
            .withName("bigbuf_query");

    /** {@code struct bigbuf_info}. */
    public static final StructLayout INFO = MemoryLayout.structLayout(
            JAVA_INT.withName("abi_version"),
            JAVA_INT.withName("page_size"),
            JAVA_INT.withName("max_order"),
            JAVA_INT.withName("strategies"),
            JAVA_LONG.withName("max_alloc_size"),
            JAVA_LONG.withName("grab_cap_bytes"),
            JAVA_LONG.withName("total_ram"),
            JAVA_LONG.withName("free_ram"),
            JAVA_LONG.withName("max_align"),
            JAVA_LONG.withName("features"),
            JAVA_INT.withName("nr_nodes"),
            JAVA_INT.withName("pad"),
            JAVA_LONG.withName("reserved"))
            .withName("bigbuf_info");

    /** {@code struct bigbuf_stats}. */
    public static final StructLayout STATS = MemoryLayout.structLayout(
            JAVA_LONG.withName("bytes_held"),
            JAVA_LONG.withName("buffers"),
            JAVA_LONG.withName("allocations"),
            JAVA_LONG.withName("failures"),
            JAVA_LONG.withName("frees"),
            JAVA_LONG.withName("pages_grabbed"),
            JAVA_LONG.withName("pages_returned"),
            JAVA_LONG.withName("peak_bytes_held"),
            MemoryLayout.sequenceLayout(STRATEGY_COUNT, JAVA_LONG).withName("by_strategy"),
            JAVA_LONG.withName("dev_maps"),
            JAVA_LONG.withName("dev_mapped_bytes"),
            JAVA_LONG.withName("dev_maps_total"),
            JAVA_LONG.withName("reserved"))
            .withName("bigbuf_stats");

    /** {@code struct bigbuf_pci_dev}. */
    public static final StructLayout PCI_DEV = MemoryLayout.structLayout(
            JAVA_INT.withName("domain"),
            JAVA_BYTE.withName("bus"),
            JAVA_BYTE.withName("slot"),
            JAVA_BYTE.withName("func"),
            JAVA_BYTE.withName("pad"))
            .withName("bigbuf_pci_dev");

    /** {@code struct bigbuf_map}. */
    public static final StructLayout MAP = MemoryLayout.structLayout(
            JAVA_LONG.withName("id"),
            JAVA_LONG.withName("addr"),
            PCI_DEV.withName("dev"),
            JAVA_LONG.withName("dma_mask"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("mode"),
            JAVA_LONG.withName("dev_addr"),
            MemoryLayout.sequenceLayout(2, JAVA_LONG).withName("reserved"))
            .withName("bigbuf_map");

    /** {@code struct bigbuf_unmap}. */
    public static final StructLayout UNMAP = MemoryLayout.structLayout(
            JAVA_LONG.withName("id"),
            JAVA_LONG.withName("addr"),
            PCI_DEV.withName("dev"),
            MemoryLayout.sequenceLayout(2, JAVA_LONG).withName("reserved"))
            .withName("bigbuf_unmap");

    /** {@code struct bigbuf_alloc_ext}. */
    public static final StructLayout ALLOC_EXT = MemoryLayout.structLayout(
            JAVA_LONG.withName("size"),
            JAVA_LONG.withName("align"),
            JAVA_LONG.withName("max_addr"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("strategy"),
            JAVA_LONG.withName("id"),
            JAVA_LONG.withName("phys_addr"),
            JAVA_LONG.withName("mmap_offset"),
            JAVA_LONG.withName("actual_size"),
            JAVA_INT.withName("node"),
            JAVA_INT.withName("map_flags"),
            PCI_DEV.withName("dev"),
            JAVA_INT.withName("kind"),
            JAVA_INT.withName("mode"),
            JAVA_LONG.withName("dev_addr"),
            MemoryLayout.sequenceLayout(4, JAVA_LONG).withName("reserved"))
            .withName("bigbuf_alloc_ext");

    /** {@code struct bigbuf_memmap}; {@code states} is a user pointer. */
    public static final StructLayout MEMMAP = MemoryLayout.structLayout(
            JAVA_LONG.withName("start_pfn"),
            JAVA_LONG.withName("end_pfn"),
            JAVA_LONG.withName("states"),
            JAVA_INT.withName("nr_blocks"),
            JAVA_INT.withName("block_pages"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("pad"),
            MemoryLayout.sequenceLayout(2, JAVA_LONG).withName("reserved"))
            .withName("bigbuf_memmap");

    /** Every struct of the header, for the ABI test. */
    public static final List<StructLayout> STRUCTS = List.of(ALLOC, FREE, QUERY, INFO, STATS, PCI_DEV, MAP, UNMAP,
            ALLOC_EXT, MEMMAP);

    // asm-generic/ioctl.h (x86 uses the generic encoding): nr 8 bits, type 8, size 14, dir 2.
    private static final int IOC_NRSHIFT = 0;
    private static final int IOC_TYPESHIFT = 8;
    private static final int IOC_SIZESHIFT = 16;
    private static final int IOC_DIRSHIFT = 30;
    private static final int IOC_SIZEMASK = (1 << 14) - 1;
    private static final long IOC_WRITE = 1;
    private static final long IOC_READ = 2;

    /** {@code BIGBUF_IOC_ALLOC = _IOWR(magic, 1, struct bigbuf_alloc)}. */
    public static final long IOC_ALLOC = ioc(IOC_READ | IOC_WRITE, 0x01, ALLOC);

    /** {@code BIGBUF_IOC_FREE = _IOW(magic, 2, struct bigbuf_free)}. */
    public static final long IOC_FREE = ioc(IOC_WRITE, 0x02, FREE);

    /** {@code BIGBUF_IOC_INFO = _IOR(magic, 3, struct bigbuf_info)}. */
    public static final long IOC_INFO = ioc(IOC_READ, 0x03, INFO);

    /** {@code BIGBUF_IOC_STATS = _IOR(magic, 4, struct bigbuf_stats)}. */
    public static final long IOC_STATS = ioc(IOC_READ, 0x04, STATS);

    /** {@code BIGBUF_IOC_QUERY = _IOWR(magic, 5, struct bigbuf_query)}. */
    public static final long IOC_QUERY = ioc(IOC_READ | IOC_WRITE, 0x05, QUERY);

    /** {@code BIGBUF_IOC_MAP = _IOWR(magic, 6, struct bigbuf_map)}. */
    public static final long IOC_MAP = ioc(IOC_READ | IOC_WRITE, 0x06, MAP);

    /** {@code BIGBUF_IOC_UNMAP = _IOW(magic, 7, struct bigbuf_unmap)}. */
    public static final long IOC_UNMAP = ioc(IOC_WRITE, 0x07, UNMAP);

    /** {@code BIGBUF_IOC_ALLOC_EXT = _IOWR(magic, 8, struct bigbuf_alloc_ext)}. */
    public static final long IOC_ALLOC_EXT = ioc(IOC_READ | IOC_WRITE, 0x08, ALLOC_EXT);

    /** {@code BIGBUF_IOC_MEMMAP = _IOWR(magic, 9, struct bigbuf_memmap)}. */
    public static final long IOC_MEMMAP = ioc(IOC_READ | IOC_WRITE, 0x09, MEMMAP);

    private BigbufAbi() {
    }

    private static long ioc(long dir, int nr, StructLayout argument) {
        long size = argument.byteSize();
        if (size > IOC_SIZEMASK) {
            throw new IllegalStateException(argument.name().orElseThrow() + " too large for an ioctl number");
        }
        return dir << IOC_DIRSHIFT | size << IOC_SIZESHIFT | (long) IOC_MAGIC << IOC_TYPESHIFT | (long) nr << IOC_NRSHIFT;
    }

    /** Byte offset of a named field of a struct layout. */
    public static long offset(StructLayout struct, String field) {
        return struct.byteOffset(PathElement.groupElement(field));
    }

    /** Reads a {@code __u64} field. */
    static long u64(MemorySegment struct, StructLayout layout, String field) {
        return struct.get(JAVA_LONG, offset(layout, field));
    }

    /** Reads a {@code __u32} field as an unsigned value. */
    static long u32(MemorySegment struct, StructLayout layout, String field) {
        return Integer.toUnsignedLong(struct.get(JAVA_INT, offset(layout, field)));
    }

    /** Writes a {@code __u64} field. */
    static void setU64(MemorySegment struct, StructLayout layout, String field, long value) {
        struct.set(JAVA_LONG, offset(layout, field), value);
    }

    /** Reads a {@code __s32} field. */
    static int s32(MemorySegment struct, StructLayout layout, String field) {
        return struct.get(JAVA_INT, offset(layout, field));
    }

    /** Writes a {@code struct bigbuf_pci_dev} field. */
    static void setPciDev(MemorySegment struct, StructLayout layout, String field, int domain, int bus, int slot,
            int func) {
        long at = offset(layout, field);
        struct.set(JAVA_INT, at + offset(PCI_DEV, "domain"), domain);
        struct.set(JAVA_BYTE, at + offset(PCI_DEV, "bus"), (byte) bus);
        struct.set(JAVA_BYTE, at + offset(PCI_DEV, "slot"), (byte) slot);
        struct.set(JAVA_BYTE, at + offset(PCI_DEV, "func"), (byte) func);
    }

    /** Writes a {@code __u32} field. */
    static void setU32(MemorySegment struct, StructLayout layout, String field, int value) {
        struct.set(JAVA_INT, offset(layout, field), value);
    }
}

package io.bigbuf.kmod.abi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import com.sun.jna.LastErrorException;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.PciAddress;
import io.bigbuf.kmod.abi.NativeCallException.Operation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.file.Path;

/**
 * One open file description of the bigbuf device and the ioctls on it. Every failure is a
 * {@link NativeCallException} naming the call, the device and the errno.
 *
 * <p>Not thread-safe; the allocator ({@code io.bigbuf.kmod.KmodAllocator}) opens one per
 * allocation and closes it right after, so that an idle allocator never keeps the module pinned.
 */
public final class KmodDevice implements AutoCloseable {

    private final Path path;
    private int fd;

    private KmodDevice(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Opens the device read-write, close-on-exec (a forked child must not inherit buffers). */
    public static KmodDevice open(Path path) {
        try {
            return new KmodDevice(path, LibC.open(path.toString(), LibC.O_RDWR | LibC.O_CLOEXEC));
        } catch (LastErrorException e) {
            throw new NativeCallException(Operation.OPEN, "open(" + path + ")", e.getErrorCode());
        }
    }

    public Path path() {
        return path;
    }

    /** {@code BIGBUF_IOC_INFO}. */
    public DeviceInfo info() {
        try (Arena arena = Arena.ofConfined()) {
            StructLayout l = BigbufAbi.INFO;
            MemorySegment s = ioctl(arena, Operation.IOCTL_INFO, "BIGBUF_IOC_INFO", BigbufAbi.IOC_INFO, l);
            return new DeviceInfo((int) BigbufAbi.u32(s, l, "abi_version"), BigbufAbi.u32(s, l, "page_size"),
                    (int) BigbufAbi.u32(s, l, "max_order"), (int) BigbufAbi.u32(s, l, "strategies"),
                    BigbufAbi.u64(s, l, "max_alloc_size"), BigbufAbi.u64(s, l, "grab_cap_bytes"),
                    BigbufAbi.u64(s, l, "total_ram"), BigbufAbi.u64(s, l, "free_ram"),
                    BigbufAbi.u64(s, l, "max_align"), BigbufAbi.u64(s, l, "features"),
                    (int) BigbufAbi.u32(s, l, "nr_nodes"));
        }
    }

    /** {@code BIGBUF_IOC_STATS}: module-wide counters. */
    public ModuleStatistics statistics() {
        try (Arena arena = Arena.ofConfined()) {
            StructLayout l = BigbufAbi.STATS;
            MemorySegment s = ioctl(arena, Operation.IOCTL_STATS, "BIGBUF_IOC_STATS", BigbufAbi.IOC_STATS, l);
            return new ModuleStatistics(BigbufAbi.u64(s, l, "bytes_held"), BigbufAbi.u64(s, l, "buffers"),
                    BigbufAbi.u64(s, l, "allocations"), BigbufAbi.u64(s, l, "failures"),
                    BigbufAbi.u64(s, l, "frees"), BigbufAbi.u64(s, l, "pages_grabbed"),
                    BigbufAbi.u64(s, l, "pages_returned"), BigbufAbi.u64(s, l, "peak_bytes_held"),
                    BigbufAbi.u64(s, l, "dev_maps"), BigbufAbi.u64(s, l, "dev_mapped_bytes"),
                    BigbufAbi.u64(s, l, "dev_maps_total"));
        }
    }

    /**
     * {@code BIGBUF_IOC_ALLOC}.
     *
     * @param maxAddr highest physical address of the last byte, 0 for no limit
     * @param flags   strategy in the low byte
     */
    public KernelAllocation allocate(long size, long align, long maxAddr, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            StructLayout l = BigbufAbi.ALLOC;
            MemorySegment s = arena.allocate(l); // zeroed: reserved fields are 0 as the kernel demands
            BigbufAbi.setU64(s, l, "size", size);
            BigbufAbi.setU64(s, l, "align", align);
            BigbufAbi.setU64(s, l, "max_addr", maxAddr);
            BigbufAbi.setU32(s, l, "flags", flags);
            ioctl(Operation.IOCTL_ALLOC, "BIGBUF_IOC_ALLOC", BigbufAbi.IOC_ALLOC, s);
            return new KernelAllocation(BigbufAbi.u64(s, l, "id"), BigbufAbi.u64(s, l, "phys_addr"),
                    BigbufAbi.u64(s, l, "mmap_offset"), BigbufAbi.u64(s, l, "actual_size"),
                    (int) BigbufAbi.u32(s, l, "strategy"), BigbufAbi.KIND_PHYS_CONTIG, BigbufAbi.NODE_ANY, 0, 0);
        }
    }

    /**
     * {@code BIGBUF_IOC_ALLOC_EXT}: ALLOC on a NUMA node, and with a device mapped for it in the
     * same call.
     *
     * @param maxAddr  highest address of the last byte (the device's with a device), 0 for no limit
     * @param flags    strategy in the low byte, {@code BIGBUF_ALLOC_*} bits
     * @param node     NUMA node, {@link BigbufAbi#NODE_ANY} for no preference
     * @param device   the PCI function to map it for, or null
     * @param mapFlags {@code BIGBUF_MAP_*} for the device mapping
     */
    public KernelAllocation allocateExt(long size, long align, long maxAddr, int flags, int node, PciAddress device,
            int mapFlags) {
        try (Arena arena = Arena.ofConfined()) {
            StructLayout l = BigbufAbi.ALLOC_EXT;
            MemorySegment s = arena.allocate(l);
            BigbufAbi.setU64(s, l, "size", size);
            BigbufAbi.setU64(s, l, "align", align);
            BigbufAbi.setU64(s, l, "max_addr", maxAddr);
            BigbufAbi.setU32(s, l, "flags", flags | (device != null ? BigbufAbi.ALLOC_DEVICE : 0));
            BigbufAbi.setU32(s, l, "node", node);
            if (device != null) {
                BigbufAbi.setPciDev(s, l, "dev", device.domain(), device.bus(), device.device(), device.function());
                BigbufAbi.setU32(s, l, "map_flags", mapFlags);
            }
            ioctl(Operation.IOCTL_ALLOC_EXT, "BIGBUF_IOC_ALLOC_EXT" + (device != null ? " for " + device : ""),
                    BigbufAbi.IOC_ALLOC_EXT, s);
            return new KernelAllocation(BigbufAbi.u64(s, l, "id"), BigbufAbi.u64(s, l, "phys_addr"),
                    BigbufAbi.u64(s, l, "mmap_offset"), BigbufAbi.u64(s, l, "actual_size"),
                    (int) BigbufAbi.u32(s, l, "strategy"), (int) BigbufAbi.u32(s, l, "kind"),
                    BigbufAbi.s32(s, l, "node"), (int) BigbufAbi.u32(s, l, "mode"), BigbufAbi.u64(s, l, "dev_addr"));
        }
    }

    /**
     * {@code BIGBUF_IOC_MAP} of the buffer mapped at {@code address} in this process.
     *
     * @param dmaMask the device's address limit, 2^n - 1; 0 for its current mask
     * @param flags   {@code BIGBUF_MAP_*}
     */
    public KernelDeviceMapping mapForDevice(long address, PciAddress device, long dmaMask, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            StructLayout l = BigbufAbi.MAP;
            MemorySegment s = arena.allocate(l);
            BigbufAbi.setU64(s, l, "addr", address);
            BigbufAbi.setPciDev(s, l, "dev", device.domain(), device.bus(), device.device(), device.function());
            BigbufAbi.setU64(s, l, "dma_mask", dmaMask);
            BigbufAbi.setU32(s, l, "flags", flags);
            ioctl(Operation.IOCTL_MAP, "BIGBUF_IOC_MAP for " + device, BigbufAbi.IOC_MAP, s);
            return new KernelDeviceMapping((int) BigbufAbi.u32(s, l, "mode"), BigbufAbi.u64(s, l, "dev_addr"));
        }
    }

    /** {@code BIGBUF_IOC_UNMAP} of the buffer mapped at {@code address} in this process. */
    public void unmapForDevice(long address, PciAddress device) {
        try (Arena arena = Arena.ofConfined()) {
            StructLayout l = BigbufAbi.UNMAP;
            MemorySegment s = arena.allocate(l);
            BigbufAbi.setU64(s, l, "addr", address);
            BigbufAbi.setPciDev(s, l, "dev", device.domain(), device.bus(), device.device(), device.function());
            ioctl(Operation.IOCTL_UNMAP, "BIGBUF_IOC_UNMAP for " + device, BigbufAbi.IOC_UNMAP, s);
        }
    }

    /**
     * {@code BIGBUF_IOC_MEMMAP}: the states of up to {@code maxBlocks} blocks from {@code startPfn}.
     *
     * @param maxBlocks 1 to {@link BigbufAbi#MEMMAP_MAX_BLOCKS}
     */
    public KernelMemoryMap memoryMap(long startPfn, int maxBlocks) {
        if (maxBlocks < 1 || maxBlocks > BigbufAbi.MEMMAP_MAX_BLOCKS) {
            throw new IllegalArgumentException("maxBlocks must be 1 to " + BigbufAbi.MEMMAP_MAX_BLOCKS + ", got "
                    + maxBlocks);
        }
        try (Arena arena = Arena.ofConfined()) {
            StructLayout l = BigbufAbi.MEMMAP;
            MemorySegment states = arena.allocate(maxBlocks);
            MemorySegment s = arena.allocate(l);
            BigbufAbi.setU64(s, l, "start_pfn", startPfn);
            BigbufAbi.setU64(s, l, "states", states.address());
            BigbufAbi.setU32(s, l, "nr_blocks", maxBlocks);
            ioctl(Operation.IOCTL_MEMMAP, "BIGBUF_IOC_MEMMAP", BigbufAbi.IOC_MEMMAP, s);
            long written = BigbufAbi.u32(s, l, "nr_blocks");
            if (written > maxBlocks) {
                // The kernel never writes more than it was given room for: a larger count is an ABI mix-up.
                throw new BackendUnavailableException("ioctl(BIGBUF_IOC_MEMMAP) on " + path + " reported " + written
                        + " blocks written into room for " + maxBlocks
                        + "; the module and this bundle disagree on the ABI");
            }
            return new KernelMemoryMap(BigbufAbi.u64(s, l, "start_pfn"), BigbufAbi.u64(s, l, "end_pfn"),
                    BigbufAbi.u32(s, l, "block_pages"), states.asSlice(0, written).toArray(JAVA_BYTE));
        }
    }

    /** {@code BIGBUF_IOC_FREE}: drops this file's reference; a mapping keeps the pages alive. */
    public void free(long id) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(BigbufAbi.FREE);
            BigbufAbi.setU64(s, BigbufAbi.FREE, "id", id);
            ioctl(Operation.IOCTL_FREE, "BIGBUF_IOC_FREE id " + id, BigbufAbi.IOC_FREE, s);
        }
    }

    /**
     * Maps {@code length} bytes of a buffer shared and read-write.
     *
     * @return the address of the mapping; release it with {@link #unmap}
     */
    public long map(long mmapOffset, long length) {
        ensureOpen();
        try {
            return LibC.mmap(0, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, mmapOffset);
        } catch (LastErrorException e) {
            throw new NativeCallException(Operation.MMAP, "mmap(" + length + " bytes at offset 0x" + Long.toHexString(mmapOffset)
                    + ") of " + path, e.getErrorCode());
        }
    }

    /** Unmaps what {@link #map} returned. Needs no open device. */
    public static void unmap(long address, long length) {
        try {
            LibC.munmap(address, length);
        } catch (LastErrorException e) {
            throw new NativeCallException(Operation.MUNMAP, "munmap(0x" + Long.toHexString(address) + ", " + length + ")",
                    e.getErrorCode());
        }
    }

    /** Closes the file; buffers not mapped are freed by the kernel now. Idempotent. */
    @Override
    public void close() {
        if (fd < 0) {
            return;
        }
        int closing = fd;
        fd = -1;
        try {
            LibC.close(closing);
        } catch (LastErrorException e) {
            // Linux releases the descriptor even when close() reports an error: never retry.
            throw new NativeCallException(Operation.CLOSE, "close(" + path + ")", e.getErrorCode());
        }
    }

    private MemorySegment ioctl(Arena arena, Operation operation, String name, long request,
            StructLayout layout) {
        MemorySegment argument = arena.allocate(layout);
        ioctl(operation, name, request, argument);
        return argument;
    }

    private void ioctl(Operation operation, String name, long request, MemorySegment argument) {
        ensureOpen();
        try {
            LibC.ioctl(fd, request, argument.address());
        } catch (LastErrorException e) {
            throw new NativeCallException(operation, "ioctl(" + name + ") on " + path, e.getErrorCode());
        }
    }

    private void ensureOpen() {
        if (fd < 0) {
            throw new IllegalStateException(path + " is closed");
        }
    }
}

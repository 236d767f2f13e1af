package io.bigbuf.mock.model;

import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DeviceMappingException.Reason;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The simulated machine's PCI functions and how their DMA is translated, following what the
 * bigbuf kernel module does on Linux:
 *
 * <ul>
 * <li>{@link Mode#OFF}: no IOMMU, device address = physical address; a device reaches only
 *     memory below its address limit.</li>
 * <li>{@link Mode#IDENTITY}: an IOMMU in passthrough, the same addresses.</li>
 * <li>{@link Mode#TRANSLATING}: every function has its own I/O virtual address space; a mapping
 *     gets a range of it below the function's limit, allocated top-down and aligned to its size
 *     rounded up to a power of two, as Linux's IOVA allocator does, so IOVAs differ from the
 *     physical addresses of the same memory.</li>
 * </ul>
 *
 * Functions are either free for userspace drivers or busy (bound to a kernel driver, which the
 * module refuses). Without an explicit limit a function reaches {@link #DEFAULT_DMA_LIMIT}, the
 * 32-bit mask of a PCI function without a driver.
 *
 * <p>Not thread-safe; the owning allocator serialises access.
 */
public final class IommuModel {

    /** How DMA addresses are translated, the same for every function of the machine. */
    public enum Mode {
        OFF, IDENTITY, TRANSLATING;

        /** @throws IllegalArgumentException not off, identity or translating */
        public static Mode parse(String text) {
            try {
                return valueOf(text.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("iommu.mode: '" + text + "' is not off, identity or translating", e);
            }
        }

        public DmaTranslation translation() {
            return switch (this) {
                case OFF -> DmaTranslation.DIRECT;
                case IDENTITY -> DmaTranslation.IDENTITY;
                case TRANSLATING -> DmaTranslation.TRANSLATED;
            };
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a PCI function without a driver reaches by default: its 32-bit DMA mask. */
    public static final long DEFAULT_DMA_LIMIT = 0xFFFF_FFFFL;

    private final Mode mode;
    private final Set<PciAddress> free;
    private final Set<PciAddress> busy;
    private final long pageSize;
    /** Per function, its allocated IOVA ranges: start to end (inclusive). */
    private final Map<PciAddress, TreeMap<Long, Long>> iovas = new HashMap<>();

    /**
     * @param free     functions a userspace driver may map buffers for
     * @param busy     functions that exist but have a kernel driver
     * @param pageSize the IOMMU's granule
     */
    public IommuModel(Mode mode, Set<PciAddress> free, Set<PciAddress> busy, long pageSize) {
        this.mode = mode;
        this.free = Set.copyOf(free);
        this.busy = Set.copyOf(busy);
        this.pageSize = pageSize;
        for (PciAddress both : this.free) {
            if (this.busy.contains(both)) {
                throw new IllegalArgumentException(both + " is listed both as free and as busy");
            }
        }
    }

    public Mode mode() {
        return mode;
    }

    /**
     * How {@code device} sees memory.
     *
     * @throws DeviceMappingException there is no such function
     */
    public DmaTranslation translation(PciAddress device) {
        if (!free.contains(device) && !busy.contains(device)) {
            throw new DeviceMappingException(device, Reason.NO_SUCH_DEVICE, "the mock machine has no PCI function "
                    + device + " (it has " + describeFunctions() + "; configure pci.devices of PID io.bigbuf.mock)");
        }
        return mode.translation();
    }

    /**
     * Checks that a userspace driver may map buffers for {@code device}.
     *
     * @throws DeviceMappingException there is no such function, or a kernel driver has it
     */
    public DmaTranslation checkMappable(PciAddress device) {
        DmaTranslation translation = translation(device);
        if (busy.contains(device)) {
            throw new DeviceMappingException(device, Reason.DEVICE_BUSY, device + " is bound to a kernel driver"
                    + " (simulated: pci.busy); unbind it first");
        }
        return translation;
    }

    /** The limit of a request, {@link #DEFAULT_DMA_LIMIT} for none. */
    public static long limitOf(long maxAddress, long noLimit) {
        return maxAddress == noLimit ? DEFAULT_DMA_LIMIT : maxAddress;
    }

    /**
     * Allocates an IOVA range of {@code bytes} below {@code limit} for {@code device}: the highest
     * free one, aligned to the size rounded up to a power of two (or to {@code alignment} if that
     * is larger).
     *
     * @return the IOVA, or -1 if the device's address space has no room below the limit
     */
    public long allocateIova(PciAddress device, long bytes, long limit, long alignment) {
        long size = (bytes + pageSize - 1) / pageSize * pageSize;
        long align = Math.max(alignment, Long.highestOneBit(size) == size ? size : Long.highestOneBit(size) << 1);
        TreeMap<Long, Long> used = iovas.computeIfAbsent(device, d -> new TreeMap<>());
        if (limit < size) {
            return -1;
        }
        long candidate = (limit - size + 1) / align * align;
        while (candidate >= pageSize) {
            Map.Entry<Long, Long> below = used.floorEntry(candidate + size - 1);
            if (below == null || below.getValue() < candidate) {
                used.put(candidate, candidate + size - 1);
                return candidate;
            }
            if (below.getKey() < size) {
                return -1;
            }
            candidate = (below.getKey() - size) / align * align;
        }
        return -1;
    }

    /** Frees an IOVA range {@link #allocateIova} returned. */
    public void freeIova(PciAddress device, long iova) {
        TreeMap<Long, Long> used = iovas.get(device);
        if (used == null || used.remove(iova) == null) {
            throw new IllegalStateException("IOVA 0x" + Long.toHexString(iova) + " of " + device + " is not allocated");
        }
    }

    /** IOVA bytes allocated for {@code device}. */
    public long iovaBytes(PciAddress device) {
        TreeMap<Long, Long> used = iovas.get(device);
        return used == null ? 0 : used.entrySet().stream().mapToLong(e -> e.getValue() - e.getKey() + 1).sum();
    }

    private String describeFunctions() {
        return new TreeSet<>(free) + (busy.isEmpty() ? "" : ", busy " + new TreeSet<>(busy));
    }

    @Override
    public String toString() {
        return "IOMMU " + mode + ", PCI functions " + describeFunctions();
    }
}

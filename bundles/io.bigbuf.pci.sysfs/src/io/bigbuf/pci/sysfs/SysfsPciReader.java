package io.bigbuf.pci.sysfs;

import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import io.bigbuf.pci.BarInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * Reads PCI functions from sysfs: {@code bus/pci/devices/<address>/} with its {@code vendor},
 * {@code device}, {@code subsystem_vendor}, {@code subsystem_device}, {@code class} (each
 * {@code 0x...}), {@code numa_node}, {@code resource} (one {@code start end flags} line per BAR),
 * and the {@code driver} and {@code iommu_group} links, the group's {@code type} deciding the DMA
 * translation.
 */
final class SysfsPciReader {

    // include/linux/ioport.h: the flags column of the resource file.
    private static final long IORESOURCE_IO = 0x100;
    private static final long IORESOURCE_MEM = 0x200;
    private static final long IORESOURCE_PREFETCH = 0x2000;
    private static final long IORESOURCE_MEM_64 = 0x100000;
    private static final int STANDARD_BARS = 6;

    private final Path devices;

    /** @param sysfsRoot where sysfs is mounted, {@code /sys} */
    SysfsPciReader(Path sysfsRoot) {
        this.devices = sysfsRoot.resolve("bus/pci/devices");
    }

    /** The function's directory (it need not exist). */
    Path directory(PciAddress address) {
        return devices.resolve(address.toString());
    }

    /** A function whose files could not be read: it is left out of the scan, the others are not. */
    record Unreadable(PciAddress address, IOException problem) {
    }

    /** What one scan found. */
    record Scan(List<PciFunctionDescription> functions, List<Unreadable> unreadable) {
    }

    /**
     * Every function listed now, by address; none when there is no PCI bus. A function whose files
     * do not read as sysfs writes them is reported apart and does not hide the others.
     *
     * @throws IOException the device directory itself cannot be listed
     */
    Scan scan() throws IOException {
        if (!Files.isDirectory(devices)) {
            return new Scan(List.of(), List.of());
        }
        List<PciFunctionDescription> found = new ArrayList<>();
        List<Unreadable> unreadable = new ArrayList<>();
        try (Stream<Path> entries = Files.list(devices)) {
            for (Path entry : (Iterable<Path>) entries.sorted()::iterator) {
                PciAddress address;
                try {
                    address = PciAddress.parse(entry.getFileName().toString());
                } catch (IllegalArgumentException notAFunction) {
                    continue;
                }
                try {
                    read(address).ifPresent(found::add);
                } catch (IOException e) {
                    unreadable.add(new Unreadable(address, e));
                }
            }
        }
        return new Scan(found, unreadable);
    }

    /** The function now, empty when it is gone (it may vanish while it is read). */
    Optional<PciFunctionDescription> read(PciAddress address) throws IOException {
        Path dir = directory(address);
        try {
            return Optional.of(new PciFunctionDescription(address, hex(dir, "vendor"), hex(dir, "device"),
                    hex(dir, "subsystem_vendor"), hex(dir, "subsystem_device"), hex(dir, "class"),
                    linkName(dir.resolve("driver")), numaNode(dir), iommuGroup(dir), translation(dir),
                    bars(dir.resolve("resource"))));
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        }
    }

    private static int hex(Path dir, String name) throws IOException {
        String text = Files.readString(dir.resolve(name)).strip();
        if (!text.startsWith("0x")) {
            throw new IOException(dir.resolve(name) + ": expected 0x..., got '" + text + "'");
        }
        try {
            return Integer.parseUnsignedInt(text.substring(2), 16);
        } catch (NumberFormatException e) {
            throw new IOException(dir.resolve(name) + ": expected 0x..., got '" + text + "'", e);
        }
    }

    private static int numaNode(Path dir) throws IOException {
        Path file = dir.resolve("numa_node");
        if (!Files.exists(file)) {
            return -1;      // kernels without NUMA support have no such file
        }
        try {
            return Integer.parseInt(Files.readString(file).strip());
        } catch (NumberFormatException e) {
            throw new IOException(file + ": not a node number", e);
        }
    }

    private static OptionalInt iommuGroup(Path dir) throws IOException {
        Optional<String> group = linkName(dir.resolve("iommu_group"));
        if (group.isEmpty()) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(group.get()));
        } catch (NumberFormatException e) {
            throw new IOException(dir.resolve("iommu_group") + ": not a group number", e);
        }
    }

    /**
     * Without an IOMMU group the function uses bus (physical) addresses. With one, the group's
     * domain type says: {@code identity} (passthrough) keeps them, every other type ({@code DMA},
     * {@code DMA-FQ} of the DMA API, {@code unmanaged} of VFIO, {@code blocked}) translates.
     */
    private static DmaTranslation translation(Path dir) throws IOException {
        Path type = dir.resolve("iommu_group/type");
        if (!Files.exists(dir.resolve("iommu_group"))) {
            return DmaTranslation.DIRECT;
        }
        if (!Files.exists(type)) {
            return DmaTranslation.TRANSLATED;       // kernels before 5.11 do not say
        }
        return Files.readString(type).strip().equals("identity") ? DmaTranslation.IDENTITY
                : DmaTranslation.TRANSLATED;
    }

    private static Optional<String> linkName(Path link) throws IOException {
        if (!Files.isSymbolicLink(link)) {
            return Optional.empty();
        }
        Path target = Files.readSymbolicLink(link).getFileName();
        return target == null ? Optional.empty() : Optional.of(target.toString());
    }

    /** The assigned standard BARs of a {@code resource} file; an upper half of a 64-bit BAR is none. */
    static List<BarInfo> bars(Path resource) throws IOException {
        List<String> lines = Files.readAllLines(resource);
        List<BarInfo> bars = new ArrayList<>();
        for (int i = 0; i < Math.min(STANDARD_BARS, lines.size()); i++) {
            String[] f = lines.get(i).strip().split("\\s+");
            if (f.length != 3) {
                throw new IOException(resource + " line " + (i + 1) + ": expected 'start end flags', got '"
                        + lines.get(i) + "'");
            }
            long start;
            long end;
            long flags;
            try {
                start = Long.decode(f[0]);
                end = Long.decode(f[1]);
                flags = Long.decode(f[2]);
            } catch (NumberFormatException e) {
                throw new IOException(resource + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
            boolean memory = (flags & IORESOURCE_MEM) != 0;
            if (end <= start || (!memory && (flags & IORESOURCE_IO) == 0)) {
                continue;   // unassigned
            }
            bars.add(new BarInfo(i, start, end - start + 1, memory, (flags & IORESOURCE_MEM_64) != 0,
                    (flags & IORESOURCE_PREFETCH) != 0));
        }
        return bars;
    }
}

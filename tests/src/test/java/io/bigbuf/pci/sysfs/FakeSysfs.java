package io.bigbuf.pci.sysfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A sysfs tree in a temporary directory, laid out as Linux does it for PCI functions: what the
 * sysfs layer reads, with regular files for {@code config} and {@code resource<N>} (so that
 * opening, locking and mapping work as on the real files, without hardware).
 */
public final class FakeSysfs {

    /** BAR 0 of the functions {@link #addFunction} creates: a 4 KiB memory BAR. */
    public static final long BAR0_START = 0xfea00000L;
    public static final int BAR0_SIZE = 4096;
    /** BAR 2: an I/O port BAR. */
    public static final long BAR2_PORT = 0xc000;
    public static final int CONFIG_SIZE = 256;

    private final Path root;

    public FakeSysfs(Path root) {
        this.root = root;
        try {
            Files.createDirectories(devices());
            Files.createDirectories(root.resolve("bus/pci/drivers"));
            Files.createDirectories(root.resolve("kernel/iommu_groups"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path root() {
        return root;
    }

    public Path devices() {
        return root.resolve("bus/pci/devices");
    }

    public Path function(String address) {
        return devices().resolve(address);
    }

    /**
     * A function with vendor:device, class 00ff00, subsystem 1af4:1100, numa_node -1, a 4 KiB
     * memory BAR 0 and an I/O BAR 2, a config space with the ids and command register 0.
     */
    public Path addFunction(String address, int vendor, int device) {
        Path dir = function(address);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("vendor"), String.format("0x%04x%n", vendor));
            Files.writeString(dir.resolve("device"), String.format("0x%04x%n", device));
            Files.writeString(dir.resolve("subsystem_vendor"), "0x1af4\n");
            Files.writeString(dir.resolve("subsystem_device"), "0x1100\n");
            Files.writeString(dir.resolve("class"), "0x00ff00\n");
            Files.writeString(dir.resolve("numa_node"), "-1\n");
            List<String> resource = new ArrayList<>();
            resource.add(String.format("0x%016x 0x%016x 0x%016x", BAR0_START, BAR0_START + BAR0_SIZE - 1, 0x40200L));
            resource.add(zeroLine());
            resource.add(String.format("0x%016x 0x%016x 0x%016x", BAR2_PORT, BAR2_PORT + 0x1f, 0x40101L));
            for (int i = 3; i < 13; i++) {
                resource.add(zeroLine());
            }
            Files.write(dir.resolve("resource"), resource);
            ByteBuffer config = ByteBuffer.allocate(CONFIG_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            config.putShort(0, (short) vendor).putShort(2, (short) device);
            Files.write(dir.resolve("config"), config.array());
            Files.write(dir.resolve("resource0"), new byte[BAR0_SIZE]);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Binds the function to a driver ({@code driver} link into {@code bus/pci/drivers/NAME}). */
    public void bind(String address, String driver) {
        try {
            Path drv = Files.createDirectories(root.resolve("bus/pci/drivers").resolve(driver));
            Files.deleteIfExists(function(address).resolve("driver"));
            Files.createSymbolicLink(function(address).resolve("driver"), drv);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void unbind(String address) {
        try {
            Files.deleteIfExists(function(address).resolve("driver"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Puts the function into IOMMU group {@code group} whose default domain has {@code type}. */
    public void iommuGroup(String address, int group, String type) {
        try {
            Path dir = Files.createDirectories(root.resolve("kernel/iommu_groups").resolve(String.valueOf(group)));
            Files.writeString(dir.resolve("type"), type + "\n");
            Files.createSymbolicLink(function(address).resolve("iommu_group"), dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Hot unplug: the function's directory goes (sysfs removes it at once). */
    public void remove(String address) {
        try (var files = Files.walk(function(address))) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The command register (offset 4) as the fake config space holds it. */
    public int command(String address) {
        try {
            byte[] config = Files.readAllBytes(function(address).resolve("config"));
            return ByteBuffer.wrap(config).order(ByteOrder.LITTLE_ENDIAN).getShort(4) & 0xffff;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String zeroLine() {
        return "0x0000000000000000 0x0000000000000000 0x0000000000000000";
    }
}

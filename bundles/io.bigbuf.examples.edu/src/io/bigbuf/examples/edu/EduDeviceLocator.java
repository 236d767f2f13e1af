package io.bigbuf.examples.edu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds edu devices among the PCI functions the kernel lists in sysfs. */
public final class EduDeviceLocator {

    private final Path pciDevices;

    /** @param sysfs mount point of sysfs, normally {@code /sys} (a fake tree in tests) */
    public EduDeviceLocator(Path sysfs) {
        this.pciDevices = sysfs.resolve("bus/pci/devices");
    }

    /** Directory listing the PCI functions, e.g. {@code /sys/bus/pci/devices}. */
    public Path pciDevices() {
        return pciDevices;
    }

    /** Directories of all edu devices, sorted by PCI address; empty if none or no PCI bus. */
    public List<Path> findAll() {
        if (!Files.isDirectory(pciDevices)) {
            return List.of();
        }
        try (Stream<Path> functions = Files.list(pciDevices)) {
            return functions.filter(EduDeviceLocator::isEdu).sorted().toList();
        } catch (IOException e) {
            throw new EduDeviceException("cannot list " + pciDevices + ": " + e.getMessage(), e);
        }
    }

    /**
     * The device at a PCI address ({@code 0000:00:04.0}), or the first one if {@code address} is
     * empty.
     */
    public Optional<Path> find(String address) {
        if (address.isEmpty()) {
            return findAll().stream().findFirst();
        }
        Path candidate = pciDevices.resolve(address);
        return isEdu(candidate) ? Optional.of(candidate) : Optional.empty();
    }

    /** Whether the sysfs PCI function directory names vendor 1234, device 11e8. */
    static boolean isEdu(Path pciFunction) {
        return hexId(pciFunction.resolve("vendor")) == EduRegisters.VENDOR_ID
                && hexId(pciFunction.resolve("device")) == EduRegisters.DEVICE_ID;
    }

    /** The {@code 0x1234} number in a sysfs id file, or -1 if absent or malformed. */
    private static int hexId(Path file) {
        try {
            String text = Files.readString(file).trim();
            return text.startsWith("0x") ? Integer.parseInt(text.substring(2), 16) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}

package io.bigbuf.kmod;

import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What Linux says in sysfs about a PCI function's DMA: whether it exists, and the type of its IOMMU
 * group's default domain ({@code /sys/bus/pci/devices/<addr>/iommu_group/type}), which decides
 * whether its device addresses are translated.
 */
final class PciSysfs {

    private final Path devices;

    /** @param sysfs where sysfs is mounted, {@code /sys} */
    PciSysfs(Path sysfs) {
        this.devices = sysfs.resolve("bus/pci/devices");
    }

    /**
     * @throws DeviceMappingException no such function, or a group type this backend does not know
     */
    DmaTranslation translation(PciAddress device) {
        Path function = devices.resolve(device.toString());
        if (!Files.isDirectory(function)) {
            throw new DeviceMappingException(device, DeviceMappingException.Reason.NO_SUCH_DEVICE,
                    "there is no PCI function " + device + " (" + devices + "; lspci -D lists them)");
        }
        Path type = function.resolve("iommu_group/type");
        if (!Files.exists(type)) {
            return DmaTranslation.DIRECT;
        }
        String value;
        try {
            value = Files.readString(type).strip();
        } catch (IOException e) {
            throw new DeviceMappingException(device, DeviceMappingException.Reason.UNSUPPORTED,
                    "cannot read " + type + ": " + e.getMessage());
        }
        return switch (value) {
            case "identity" -> DmaTranslation.IDENTITY;
            case "DMA", "DMA-FQ" -> DmaTranslation.TRANSLATED;
            default -> throw new DeviceMappingException(device, DeviceMappingException.Reason.DEVICE_BUSY,
                    device + "'s IOMMU group has a domain of type '" + value + "' that the kernel's DMA API does not"
                            + " manage (" + type + ")");
        };
    }
}

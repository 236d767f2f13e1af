package io.bigbuf.pci.sysfs;

import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import io.bigbuf.pci.BarInfo;
import io.bigbuf.pci.PciDeviceProperties;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What sysfs says about one PCI function at one moment: the values of its {@code PciDevice}
 * service. Two scans that read equal descriptions leave the service alone.
 */
record PciFunctionDescription(PciAddress address, int vendorId, int deviceId, int subsystemVendorId,
        int subsystemDeviceId, int classCode, Optional<String> driver, int numaNode, OptionalInt iommuGroup,
        DmaTranslation dmaTranslation, List<BarInfo> bars) {

    PciFunctionDescription {
        bars = List.copyOf(bars);
    }

    /** The service properties of {@link PciDeviceProperties}. */
    Hashtable<String, Object> serviceProperties() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(PciDeviceProperties.ADDRESS, address.toString());
        p.put(PciDeviceProperties.VENDOR, PciDeviceProperties.id16(vendorId));
        p.put(PciDeviceProperties.DEVICE, PciDeviceProperties.id16(deviceId));
        p.put(PciDeviceProperties.SUBSYSTEM_VENDOR, PciDeviceProperties.id16(subsystemVendorId));
        p.put(PciDeviceProperties.SUBSYSTEM_DEVICE, PciDeviceProperties.id16(subsystemDeviceId));
        p.put(PciDeviceProperties.CLASS, String.format("%06x", classCode));
        driver.ifPresent(d -> p.put(PciDeviceProperties.DRIVER, d));
        p.put(PciDeviceProperties.NUMA_NODE, numaNode);
        iommuGroup.ifPresent(g -> p.put(PciDeviceProperties.IOMMU_GROUP, g));
        p.put(PciDeviceProperties.DMA_TRANSLATION, dmaTranslation.name());
        p.put(PciDeviceProperties.LAYER, PciDeviceProperties.LAYER_SYSFS);
        return p;
    }
}

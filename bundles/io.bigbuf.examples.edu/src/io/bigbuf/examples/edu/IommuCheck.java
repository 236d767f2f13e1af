package io.bigbuf.examples.edu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Tells whether an IOMMU translates a PCI device's DMA addresses.
 *
 * <p>bigbuf hands out physical addresses. Behind a translating IOMMU (group type {@code DMA} or
 * {@code DMA-FQ}, or {@code blocked}) the device sees I/O virtual addresses instead, so programming
 * a physical address would hit whatever that IOVA maps to (normally nothing: the IOMMU faults).
 * Userspace DMA through an IOMMU needs VFIO, which maps the buffer into the device's IOVA space;
 * this example does not do that. A group of type {@code identity} (passthrough, {@code iommu=pt})
 * is fine: IOVA equals physical address.
 */
public final class IommuCheck {

    private static final String IDENTITY = "identity";

    private IommuCheck() {
    }

    /**
     * Why the device's DMA addresses are translated, or empty when bus address equals physical
     * address (no IOMMU group, or an identity-mapped one).
     */
    public static Optional<String> translation(Path pciFunction) {
        Path group = pciFunction.resolve("iommu_group");
        if (!Files.exists(group)) {
            return Optional.empty();
        }
        String groupName;
        String type;
        try {
            groupName = group.toRealPath().getFileName().toString();
            type = Files.readString(group.resolve("type")).trim();
        } catch (IOException e) {
            type = "unknown";
            groupName = "?";
        }
        if (IDENTITY.equals(type)) {
            return Optional.empty();
        }
        return Optional.of("device " + pciFunction.getFileName() + " is behind an active IOMMU (group " + groupName
                + ", type " + type + "): its bus addresses are IOMMU-translated, not the physical addresses bigbuf"
                + " hands out; userspace DMA through an IOMMU needs VFIO, which this example does not use"
                + " (unsupported). Boot with iommu=pt or intel_iommu=off to run it.");
    }
}

package io.bigbuf.pci;

import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One PCI function, registered as a service by a layer while the function exists. The getters
 * describe it as it was when the layer last looked (the service properties,
 * {@link PciDeviceProperties}, carry the same values); {@link #open()} takes it for exclusive use.
 */
@ProviderType
public interface PciDevice {

    /**
     * The function's address.
     *
     * @return e.g. {@code 0000:00:04.0}
     */
    PciAddress address();

    /**
     * The vendor id.
     *
     * @return 0..0xffff
     */
    int vendorId();

    /**
     * The device id.
     *
     * @return 0..0xffff
     */
    int deviceId();

    /**
     * The subsystem vendor id.
     *
     * @return 0..0xffff
     */
    int subsystemVendorId();

    /**
     * The subsystem device id.
     *
     * @return 0..0xffff
     */
    int subsystemDeviceId();

    /**
     * The class code (base class, subclass, programming interface).
     *
     * @return 0..0xffffff
     */
    int classCode();

    /**
     * The kernel driver bound to the function.
     *
     * @return its name, empty when no driver is bound
     */
    Optional<String> driver();

    /**
     * The function's NUMA node, where its DMA buffers are best placed.
     *
     * @return the node, -1 when the platform does not say
     */
    int numaNode();

    /**
     * The function's IOMMU group.
     *
     * @return the group number, empty without an IOMMU
     */
    OptionalInt iommuGroup();

    /**
     * How the function's DMA addresses relate to physical memory.
     *
     * @return {@link DmaTranslation#DIRECT} without an IOMMU, else what its IOMMU domain does
     */
    DmaTranslation dmaTranslation();

    /**
     * The function's memory and I/O regions.
     *
     * @return the assigned BARs by index, unassigned ones left out
     */
    List<BarInfo> bars();

    /**
     * The layer that serves the function.
     *
     * @return e.g. {@link PciDeviceProperties#LAYER_SYSFS}
     */
    String layer();

    /**
     * Takes the function for exclusive use: no other {@code open()} succeeds, in this or another
     * process using this layer, until the returned function is closed. Memory decoding is
     * switched on; bus mastering stays as it was until {@link PciFunction#setBusMaster(boolean)}.
     *
     * @return the open function; close it to give it back and restore its command register
     * @throws PciDeviceBusyException another user has it open
     * @throws PciDeviceGoneException the function is no longer there
     * @throws PciException no permission or another failure, with what to do in the message
     */
    PciFunction open();
}

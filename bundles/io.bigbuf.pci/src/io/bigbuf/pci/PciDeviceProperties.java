package io.bigbuf.pci;

/**
 * Service properties of {@link PciDevice} services, for DS target filters such as
 * {@code (&(pci.vendor=1234)(pci.device=11e8))}. Ids are strings of four (class: six) lowercase
 * hexadecimal digits without {@code 0x}, as {@code lspci -n} prints them, so that a filter reads
 * like the device's documentation.
 */
public final class PciDeviceProperties {

    /** The function's address, {@code 0000:00:04.0} (String). */
    public static final String ADDRESS = "pci.address";

    /** Vendor id, e.g. {@code 1234} (String). */
    public static final String VENDOR = "pci.vendor";

    /** Device id, e.g. {@code 11e8} (String). */
    public static final String DEVICE = "pci.device";

    /** Subsystem vendor id (String). */
    public static final String SUBSYSTEM_VENDOR = "pci.subsystem.vendor";

    /** Subsystem device id (String). */
    public static final String SUBSYSTEM_DEVICE = "pci.subsystem.device";

    /** Class code: base class, subclass, programming interface, e.g. {@code 00ff00} (String). */
    public static final String CLASS = "pci.class";

    /** The kernel driver bound to the function; absent when none is (String). */
    public static final String DRIVER = "pci.driver";

    /** The function's NUMA node, -1 when the platform does not say (Integer). */
    public static final String NUMA_NODE = "pci.numa.node";

    /** The function's IOMMU group; absent without an IOMMU (Integer). */
    public static final String IOMMU_GROUP = "pci.iommu.group";

    /** How the function's DMA addresses relate to physical memory: a {@code DmaTranslation} name (String). */
    public static final String DMA_TRANSLATION = "pci.dma.translation";

    /** The layer that registered the service, e.g. {@link #LAYER_SYSFS} (String). */
    public static final String LAYER = "pci.layer";

    /** The layer over Linux's sysfs ({@code /sys/bus/pci/devices}). */
    public static final String LAYER_SYSFS = "sysfs";

    private PciDeviceProperties() {
    }

    /**
     * The LDAP filter of one vendor and device id.
     *
     * @param vendor vendor id, 0..0xffff
     * @param device device id, 0..0xffff
     * @return e.g. {@code (&(pci.vendor=1234)(pci.device=11e8))}
     * @throws IllegalArgumentException an id out of range
     */
    public static String filter(int vendor, int device) {
        return "(&(" + VENDOR + "=" + id16(vendor) + ")(" + DEVICE + "=" + id16(device) + "))";
    }

    /**
     * An id as the service properties spell it.
     *
     * @param id 0..0xffff
     * @return four lowercase hexadecimal digits
     * @throws IllegalArgumentException an id out of range
     */
    public static String id16(int id) {
        if (id < 0 || id > 0xffff) {
            throw new IllegalArgumentException("PCI id must be 0..0xffff, got " + id);
        }
        return String.format("%04x", id);
    }
}

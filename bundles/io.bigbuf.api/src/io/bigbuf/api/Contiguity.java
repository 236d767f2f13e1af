package io.bigbuf.api;

/**
 * In what sense a buffer is contiguous.
 *
 * @since 1.2
 */
public enum Contiguity {

    /**
     * Physically contiguous: one range of physical memory, usable by every device that can reach
     * it, with or without an IOMMU. The default.
     */
    PHYSICAL,

    /**
     * Contiguous for its devices only: the pages lie anywhere in memory and an IOMMU maps them to
     * one range of each device's address space. Needs a device behind a translating IOMMU
     * ({@link DmaTranslation#TRANSLATED}); in exchange buffers far larger than any free physically
     * contiguous range can be had. Such a buffer has no {@link DmaBuffer#physicalAddress()}.
     */
    DEVICE
}

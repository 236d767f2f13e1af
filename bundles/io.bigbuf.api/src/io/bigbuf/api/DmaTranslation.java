package io.bigbuf.api;

/**
 * How a PCI function's DMA addresses relate to physical memory, which decides what
 * {@link DeviceMapping#deviceAddress()} is.
 *
 * @since 1.2
 */
public enum DmaTranslation {

    /** No IOMMU for this function: it uses bus addresses, which on x86 are physical addresses. */
    DIRECT,

    /** An IOMMU in passthrough (identity domain, {@code iommu=pt}): device address = physical address. */
    IDENTITY,

    /**
     * An IOMMU translates the function's DMA: device addresses are I/O virtual addresses that only
     * this function can use, and it can reach nothing that was not mapped for it.
     */
    TRANSLATED;

    /**
     * Whether device addresses differ from physical ones (and the IOMMU confines the device).
     *
     * @return true for {@link #TRANSLATED}
     */
    public boolean translated() {
        return this == TRANSLATED;
    }
}

package io.bigbuf.api;

import java.util.Objects;

/**
 * A buffer made reachable by one PCI function, and the address that function must use.
 *
 * @param device         the function
 * @param deviceAddress  the address the function uses for the buffer's first byte; the buffer is
 *                       contiguous at {@code [deviceAddress, deviceAddress + size)} for it
 * @param size           bytes mapped (the buffer's size)
 * @param translation    how the function's addresses relate to physical ones
 * @param deviceReadOnly whether the function may only read the buffer (behind a translating
 *                       IOMMU its writes fault)
 * @since 1.2
 */
public record DeviceMapping(PciAddress device, long deviceAddress, long size, DmaTranslation translation,
        boolean deviceReadOnly) {

    /**
     * Checks the components.
     *
     * @throws NullPointerException a null {@code device} or {@code translation}
     */
    public DeviceMapping {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(translation, "translation");
    }

    /**
     * The device address of the buffer's last byte.
     *
     * @return {@code deviceAddress + size - 1}
     */
    public long lastDeviceAddress() {
        return deviceAddress + size - 1;
    }
}

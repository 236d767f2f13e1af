package io.bigbuf.examples.edu;

import io.bigbuf.pci.Bar;
import io.bigbuf.pci.PciDevice;
import io.bigbuf.pci.PciFunction;

/**
 * An edu device opened through the PCI device layer: exclusive use of the function, bus mastering
 * on (so the device may issue DMA) and BAR0 mapped, all given back by {@link #close()}, which
 * also switches bus mastering off again.
 */
public final class PciEduDevice implements EduDevice {

    private final String name;
    private final PciFunction function;
    private final Bar registers;

    private PciEduDevice(String name, PciFunction function, Bar registers) {
        this.name = name;
        this.function = function;
        this.registers = registers;
    }

    /**
     * Opens an edu function.
     *
     * @param device the function, a {@link PciDevice} service of vendor 1234, device 11e8
     * @return the open device; close it
     * @throws EduDeviceException not an edu device, or BAR0 too small
     * @throws io.bigbuf.pci.PciException the layer could not open it (busy, gone, no permission)
     */
    public static PciEduDevice open(PciDevice device) {
        if (device.vendorId() != EduRegisters.VENDOR_ID || device.deviceId() != EduRegisters.DEVICE_ID) {
            throw new EduDeviceException(device.address() + " is not an edu device ("
                    + String.format("%04x:%04x, found %04x:%04x", EduRegisters.VENDOR_ID, EduRegisters.DEVICE_ID,
                            device.vendorId(), device.deviceId()) + ")");
        }
        PciFunction function = device.open();
        try {
            Bar bar = function.bar(0);
            if (bar.size() <= EduRegisters.DMA_COMMAND + Long.BYTES) {
                throw new EduDeviceException(device.address() + ": BAR0 is only " + bar.size() + " bytes");
            }
            function.setBusMaster(true);
            return new PciEduDevice(device.address().toString(), function, bar);
        } catch (RuntimeException e) {
            function.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int read32(long offset) {
        return registers.read32(offset);
    }

    @Override
    public void write32(long offset, int value) {
        registers.write32(offset, value);
    }

    @Override
    public long read64(long offset) {
        return registers.read64(offset);
    }

    @Override
    public void write64(long offset, long value) {
        registers.write64(offset, value);
    }

    /** Gives the function back: BAR0 unmapped, bus mastering off again, command register restored. */
    @Override
    public void close() {
        function.close();
    }
}

package io.bigbuf.examples.edu;

import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import io.bigbuf.pci.BarInfo;
import io.bigbuf.pci.PciDevice;
import io.bigbuf.pci.PciFunction;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A PCI function as the device layer would register it, for the commands' device list; the tests
 * open their edu model through the commands' opener instead of {@link #open()}.
 */
record FakePciDevice(PciAddress address, int vendorId, int deviceId) implements PciDevice {

    @Override
    public int subsystemVendorId() {
        return 0x1af4;
    }

    @Override
    public int subsystemDeviceId() {
        return 0x1100;
    }

    @Override
    public int classCode() {
        return 0x00ff00;
    }

    @Override
    public Optional<String> driver() {
        return Optional.empty();
    }

    @Override
    public int numaNode() {
        return -1;
    }

    @Override
    public OptionalInt iommuGroup() {
        return OptionalInt.empty();
    }

    @Override
    public DmaTranslation dmaTranslation() {
        return DmaTranslation.DIRECT;
    }

    @Override
    public List<BarInfo> bars() {
        return List.of(new BarInfo(0, 0xfea00000L, 1 << 20, true, false, false));
    }

    @Override
    public String layer() {
        return "test";
    }

    @Override
    public PciFunction open() {
        throw new AssertionError("the tests open their edu model through the commands' opener");
    }
}

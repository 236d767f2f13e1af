package io.bigbuf.pci.sysfs;

import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import io.bigbuf.pci.BarInfo;
import io.bigbuf.pci.PciDevice;
import io.bigbuf.pci.PciDeviceProperties;
import io.bigbuf.pci.PciFunction;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * A {@link PciDevice} service of the sysfs layer: the function's latest description and the way
 * to open it. The service object stays while the function does; a rescan that reads new values
 * (a driver bound or unbound) updates them here and in the service properties.
 */
final class SysfsPciDevice implements PciDevice {

    private volatile PciFunctionDescription description;
    private final Path directory;
    private final Consumer<SysfsPciFunction> opened;

    /**
     * @param directory its {@code bus/pci/devices/<address>} directory
     * @param opened    told of every function opened from it (the layer closes them when it stops)
     */
    SysfsPciDevice(PciFunctionDescription description, Path directory, Consumer<SysfsPciFunction> opened) {
        this.description = description;
        this.directory = directory;
        this.opened = opened;
    }

    PciFunctionDescription description() {
        return description;
    }

    /** The same function read again (same address). */
    void update(PciFunctionDescription now) {
        if (!now.address().equals(description.address())) {
            throw new IllegalArgumentException(now.address() + " is not " + description.address());
        }
        description = now;
    }

    @Override
    public PciAddress address() {
        return description.address();
    }

    @Override
    public int vendorId() {
        return description.vendorId();
    }

    @Override
    public int deviceId() {
        return description.deviceId();
    }

    @Override
    public int subsystemVendorId() {
        return description.subsystemVendorId();
    }

    @Override
    public int subsystemDeviceId() {
        return description.subsystemDeviceId();
    }

    @Override
    public int classCode() {
        return description.classCode();
    }

    @Override
    public Optional<String> driver() {
        return description.driver();
    }

    @Override
    public int numaNode() {
        return description.numaNode();
    }

    @Override
    public OptionalInt iommuGroup() {
        return description.iommuGroup();
    }

    @Override
    public DmaTranslation dmaTranslation() {
        return description.dmaTranslation();
    }

    @Override
    public List<BarInfo> bars() {
        return description.bars();
    }

    @Override
    public String layer() {
        return PciDeviceProperties.LAYER_SYSFS;
    }

    @Override
    public PciFunction open() {
        SysfsPciFunction function = SysfsPciFunction.open(this, directory);
        opened.accept(function);
        return function;
    }

    @Override
    public String toString() {
        return String.format("%s [%04x:%04x] (sysfs)", address(), vendorId(), deviceId());
    }
}

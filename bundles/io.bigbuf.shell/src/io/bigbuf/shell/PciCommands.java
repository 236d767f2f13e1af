package io.bigbuf.shell;

import io.bigbuf.api.ByteSize;
import io.bigbuf.api.PciAddress;
import io.bigbuf.pci.BarInfo;
import io.bigbuf.pci.PciDevice;
import java.util.Comparator;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code pci:list} and {@code pci:info}: the PCI functions the device layers serve as
 * {@link PciDevice} services, whatever layer registered them, the way a driver bundle's filter
 * sees them.
 */
@Component(service = PciCommands.class, property = {
    "osgi.command.scope=pci",
    "osgi.command.function=list",
    "osgi.command.function=info"
})
public class PciCommands {

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<PciDevice> devices;

    @Descriptor("list the PCI functions of the device layers (address, ids, class, driver, NUMA node, IOMMU, layer)")
    public String list() {
        List<PciDevice> all = sorted();
        if (all.isEmpty()) {
            return "no PCI function (no device layer running, or no PCI bus)";
        }
        StringBuilder out = new StringBuilder(String.format("%-13s %-9s %-6s %-12s %4s %5s %-10s %s%n",
                "ADDRESS", "ID", "CLASS", "DRIVER", "NODE", "GROUP", "DMA", "LAYER"));
        for (PciDevice d : all) {
            out.append(String.format("%-13s %04x:%04x %06x %-12s %4d %5s %-10s %s%n", d.address(), d.vendorId(),
                    d.deviceId(), d.classCode(), d.driver().orElse("-"), d.numaNode(),
                    d.iommuGroup().isPresent() ? String.valueOf(d.iommuGroup().getAsInt()) : "-",
                    d.dmaTranslation().name().toLowerCase(), d.layer()));
        }
        out.append(all.size()).append(all.size() == 1 ? " function" : " functions");
        return out.toString();
    }

    @Descriptor("show one PCI function: ids, driver, NUMA node, IOMMU group and DMA translation, BARs")
    public String info(@Descriptor("PCI address, e.g. 0000:00:04.0 or 00:04.0") String address) {
        PciAddress wanted = PciAddress.parse(address);
        PciDevice d = sorted().stream().filter(x -> x.address().equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no PCI function " + wanted + " (pci:list shows them)"));
        StringBuilder out = new StringBuilder();
        line(out, "address", d.address().toString());
        line(out, "vendor:device", String.format("%04x:%04x", d.vendorId(), d.deviceId()));
        line(out, "subsystem", String.format("%04x:%04x", d.subsystemVendorId(), d.subsystemDeviceId()));
        line(out, "class", String.format("%06x", d.classCode()));
        line(out, "driver", d.driver().orElse("none"));
        line(out, "NUMA node", d.numaNode() < 0 ? "unknown (-1)" : String.valueOf(d.numaNode()));
        line(out, "IOMMU group", d.iommuGroup().isPresent() ? String.valueOf(d.iommuGroup().getAsInt()) : "none");
        line(out, "DMA", switch (d.dmaTranslation()) {
            case DIRECT -> "direct (no IOMMU: device addresses are physical)";
            case IDENTITY -> "identity (IOMMU passthrough: device addresses are physical)";
            case TRANSLATED -> "translated (device addresses are IOVAs, the IOMMU confines the device)";
        });
        line(out, "layer", d.layer());
        if (d.bars().isEmpty()) {
            line(out, "BARs", "none assigned");
        }
        for (BarInfo b : d.bars()) {
            line(out, "BAR " + b.index(), String.format("%s at 0x%x, %s%s%s", b.memory() ? "memory" : "I/O ports",
                    b.start(), ByteSize.format(b.size()), b.is64Bit() ? ", 64-bit" : "",
                    b.prefetchable() ? ", prefetchable" : ""));
        }
        return out.toString().stripTrailing();
    }

    private List<PciDevice> sorted() {
        List<PciDevice> now = devices;
        return now == null ? List.of() : now.stream().sorted(Comparator.comparing(PciDevice::address)).toList();
    }

    private static void line(StringBuilder out, String key, String value) {
        out.append(String.format("%-14s %s%n", key, value));
    }
}

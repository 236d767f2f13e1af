package io.bigbuf.pci.sysfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import io.bigbuf.pci.BarInfo;
import io.bigbuf.pci.PciDeviceProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SysfsPciReaderTest {

    @TempDir
    Path tmp;

    @Test
    void readsIdsDriverNodeGroupAndBars() throws IOException {
        FakeSysfs sysfs = new FakeSysfs(tmp);
        sysfs.addFunction("0000:00:04.0", 0x1234, 0x11e8);
        sysfs.bind("0000:00:04.0", "bigbuf");
        sysfs.iommuGroup("0000:00:04.0", 7, "DMA-FQ");
        Files.writeString(sysfs.function("0000:00:04.0").resolve("numa_node"), "1\n");

        PciFunctionDescription d = new SysfsPciReader(tmp).read(PciAddress.parse("0000:00:04.0")).orElseThrow();
        assertEquals(0x1234, d.vendorId());
        assertEquals(0x11e8, d.deviceId());
        assertEquals(0x1af4, d.subsystemVendorId());
        assertEquals(0x00ff00, d.classCode());
        assertEquals(Optional.of("bigbuf"), d.driver());
        assertEquals(1, d.numaNode());
        assertEquals(OptionalInt.of(7), d.iommuGroup());
        assertEquals(DmaTranslation.TRANSLATED, d.dmaTranslation());
        assertEquals(List.of(new BarInfo(0, FakeSysfs.BAR0_START, FakeSysfs.BAR0_SIZE, true, false, false),
                new BarInfo(2, FakeSysfs.BAR2_PORT, 0x20, false, false, false)), d.bars());
        var p = d.serviceProperties();
        assertEquals("1234", p.get(PciDeviceProperties.VENDOR));
        assertEquals("11e8", p.get(PciDeviceProperties.DEVICE));
        assertEquals("00ff00", p.get(PciDeviceProperties.CLASS));
        assertEquals("bigbuf", p.get(PciDeviceProperties.DRIVER));
        assertEquals(7, p.get(PciDeviceProperties.IOMMU_GROUP));
        assertEquals("TRANSLATED", p.get(PciDeviceProperties.DMA_TRANSLATION));
        assertEquals("sysfs", p.get(PciDeviceProperties.LAYER));
    }

    @Test
    void withoutIommuGroupDirectAndWithIdentityDomainIdentity() throws IOException {
        FakeSysfs sysfs = new FakeSysfs(tmp);
        sysfs.addFunction("0000:00:03.0", 0x8086, 0x100e);
        sysfs.addFunction("0000:00:05.0", 0x8086, 0x100e);
        sysfs.iommuGroup("0000:00:05.0", 2, "identity");
        SysfsPciReader reader = new SysfsPciReader(tmp);
        PciFunctionDescription plain = reader.read(PciAddress.parse("00:03.0")).orElseThrow();
        assertEquals(DmaTranslation.DIRECT, plain.dmaTranslation());
        assertEquals(OptionalInt.empty(), plain.iommuGroup());
        assertFalse(plain.serviceProperties().containsKey(PciDeviceProperties.IOMMU_GROUP));
        assertFalse(plain.serviceProperties().containsKey(PciDeviceProperties.DRIVER));
        assertEquals(DmaTranslation.IDENTITY, reader.read(PciAddress.parse("00:05.0")).orElseThrow().dmaTranslation());
    }

    @Test
    void scanListsFunctionsInAddressOrderAndSkipsOtherEntries() throws IOException {
        FakeSysfs sysfs = new FakeSysfs(tmp);
        sysfs.addFunction("0000:00:05.0", 0x1234, 0x11e8);
        sysfs.addFunction("0000:00:03.0", 0x8086, 0x100e);
        Files.createDirectories(sysfs.devices().resolve("not-a-function"));
        SysfsPciReader.Scan scan = new SysfsPciReader(tmp).scan();
        assertEquals(List.of("0000:00:03.0", "0000:00:05.0"),
                scan.functions().stream().map(d -> d.address().toString()).toList());
        assertTrue(scan.unreadable().isEmpty());
    }

    @Test
    void aMalformedFunctionIsReportedApartAndHidesNoOther() throws IOException {
        FakeSysfs sysfs = new FakeSysfs(tmp);
        sysfs.addFunction("0000:00:03.0", 0x8086, 0x100e);
        sysfs.addFunction("0000:00:05.0", 0x1234, 0x11e8);
        Files.writeString(sysfs.function("0000:00:03.0").resolve("class"), "bogus\n");
        SysfsPciReader.Scan scan = new SysfsPciReader(tmp).scan();
        assertEquals(List.of("0000:00:05.0"), scan.functions().stream().map(d -> d.address().toString()).toList());
        assertEquals(1, scan.unreadable().size());
        assertEquals("0000:00:03.0", scan.unreadable().get(0).address().toString());
        assertTrue(scan.unreadable().get(0).problem().getMessage().contains("class: expected 0x..."),
                scan.unreadable().get(0).problem().getMessage());
    }

    @Test
    void vanishedFunctionIsEmptyNotAnError() throws IOException {
        FakeSysfs sysfs = new FakeSysfs(tmp);
        assertEquals(Optional.empty(), new SysfsPciReader(tmp).read(PciAddress.parse("0000:00:09.0")));
        assertTrue(new SysfsPciReader(tmp.resolve("no-sysfs")).scan().functions().isEmpty());
        assertTrue(Files.isDirectory(sysfs.devices()));
    }

    @Test
    void sixtyFourBitPrefetchableBarAndMalformedFiles() throws IOException {
        Path resource = tmp.resolve("resource");
        Files.writeString(resource, "0x0000000800000000 0x00000008000fffff 0x000000000014220c\n");
        BarInfo bar = SysfsPciReader.bars(resource).get(0);
        assertEquals(0x100000, bar.size());
        assertTrue(bar.is64Bit());
        assertTrue(bar.prefetchable());
        Files.writeString(resource, "garbage\n");
        assertThrows(IOException.class, () -> SysfsPciReader.bars(resource));

        FakeSysfs sysfs = new FakeSysfs(tmp.resolve("sys"));
        sysfs.addFunction("0000:00:04.0", 0x1234, 0x11e8);
        Files.writeString(sysfs.function("0000:00:04.0").resolve("vendor"), "1234\n");
        IOException e = assertThrows(IOException.class,
                () -> new SysfsPciReader(sysfs.root()).read(PciAddress.parse("0000:00:04.0")));
        assertTrue(e.getMessage().contains("vendor: expected 0x..."), e.getMessage());
    }
}

package io.bigbuf.pci.sysfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.PciAddress;
import io.bigbuf.pci.Bar;
import io.bigbuf.pci.PciDeviceBusyException;
import io.bigbuf.pci.PciDeviceGoneException;
import io.bigbuf.pci.PciFunction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SysfsPciFunctionTest {

    static final String EDU = "0000:00:04.0";

    @TempDir
    Path tmp;

    FakeSysfs sysfs;
    final List<SysfsPciFunction> opened = new ArrayList<>();

    @BeforeEach
    void tree() {
        sysfs = new FakeSysfs(tmp);
        sysfs.addFunction(EDU, 0x1234, 0x11e8);
    }

    SysfsPciDevice device() throws IOException {
        SysfsPciReader reader = new SysfsPciReader(tmp);
        PciAddress address = PciAddress.parse(EDU);
        return new SysfsPciDevice(reader.read(address).orElseThrow(), reader.directory(address), opened::add);
    }

    @Test
    void openEnablesMemoryDecodingAndCloseRestoresTheCommandRegister() throws IOException {
        SysfsPciDevice device = device();
        try (PciFunction f = device.open()) {
            assertEquals(0x2, sysfs.command(EDU));
            assertFalse(f.busMaster());
            f.setBusMaster(true);
            assertEquals(0x6, sysfs.command(EDU));
            assertTrue(f.busMaster());
            assertEquals(0x1234, f.readConfig16(0));
            assertEquals(0x11e81234, f.readConfig32(0));
            assertEquals(0x34, f.readConfig8(0));
            assertEquals(List.of(f), opened);
        }
        assertEquals(0, sysfs.command(EDU));
    }

    @Test
    void barAccessesHitTheMappedFileAtTheirWidth() throws IOException {
        try (PciFunction f = device().open()) {
            Bar bar = f.bar(0);
            assertSame(bar, f.bar(0));
            assertEquals(FakeSysfs.BAR0_SIZE, bar.size());
            bar.write32(0x8, 0xcafe_f00d);
            bar.write64(0x80, 0x1122_3344_5566_7788L);
            bar.write16(0x10, 0xbeef);
            bar.write8(0x13, 0x5a);
            assertEquals(0xcafe_f00d, bar.read32(0x8));
            assertEquals(0x1122_3344_5566_7788L, bar.read64(0x80));
            assertEquals(0xbeef, bar.read16(0x10));
            assertEquals(0x5a, bar.read8(0x13));
            bar.segment().force();
        }
        ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(sysfs.function(EDU).resolve("resource0")))
                .order(ByteOrder.nativeOrder());
        assertEquals(0xcafe_f00d, file.getInt(0x8));
        assertEquals(0x1122_3344_5566_7788L, file.getLong(0x80));
    }

    @Test
    void badOffsetsThrowAndNeverReachTheDevice() throws IOException {
        try (PciFunction f = device().open()) {
            Bar bar = f.bar(0);
            assertThrows(IndexOutOfBoundsException.class, () -> bar.read32(FakeSysfs.BAR0_SIZE));
            assertThrows(IndexOutOfBoundsException.class, () -> bar.write64(-8, 1));
            assertThrows(IllegalArgumentException.class, () -> bar.read32(2));
            assertThrows(IllegalArgumentException.class, () -> bar.write64(4, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> f.readConfig32(FakeSysfs.CONFIG_SIZE));
            assertThrows(IllegalArgumentException.class, () -> f.readConfig16(1));
            assertThrows(IllegalArgumentException.class, () -> f.writeConfig8(0x3c, 0x100));
            IllegalArgumentException noBar = assertThrows(IllegalArgumentException.class, () -> f.bar(1));
            assertTrue(noBar.getMessage().contains("has no BAR 1"), noBar.getMessage());
            IllegalArgumentException io = assertThrows(IllegalArgumentException.class, () -> f.bar(2));
            assertTrue(io.getMessage().contains("I/O port region"), io.getMessage());
        }
    }

    @Test
    void accessesAfterCloseThrowInsteadOfCrashing() throws IOException {
        PciFunction f = device().open();
        Bar bar = f.bar(0);
        f.close();
        f.close();
        assertTrue(f.isClosed());
        assertThrows(IllegalStateException.class, () -> bar.read32(0));
        assertThrows(IllegalStateException.class, () -> f.bar(0));
        assertThrows(IllegalStateException.class, () -> f.readConfig16(0));
    }

    @Test
    void exclusiveUntilClosed() throws IOException {
        SysfsPciDevice device = device();
        PciFunction first = device.open();
        PciDeviceBusyException busy = assertThrows(PciDeviceBusyException.class, device::open);
        assertTrue(busy.getMessage().contains("already open"), busy.getMessage());
        first.close();
        device.open().close();
    }

    @Test
    void refusesAFunctionAKernelDriverDrivesButNotTheModulesStub() throws IOException {
        sysfs.bind(EDU, "e1000");
        PciDeviceBusyException busy = assertThrows(PciDeviceBusyException.class, () -> device().open());
        assertTrue(busy.getMessage().contains("kernel driver e1000; unbind it first"), busy.getMessage());
        assertEquals(0, sysfs.command(EDU), "a refused open changes nothing");
        sysfs.bind(EDU, "bigbuf");
        device().open().close();
    }

    @Test
    void goneFunctionIsReportedAsGone() throws IOException {
        SysfsPciDevice device = device();
        sysfs.remove(EDU);
        assertThrows(PciDeviceGoneException.class, device::open);
    }
}

package io.bigbuf.examples.edu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.pci.PciDevice;
import io.bigbuf.pci.PciDeviceProperties;
import io.bigbuf.mock.model.IommuModel;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;

/** edu:dmatest and edu:devices: preconditions, messages, and a full run on a model device. */
class EduCommandsTest {

    private static final String EDU = "0000:00:04.0";

    @TempDir
    Path tmp;

    private MockAllocator mock = new MockAllocator(new PhysicalMemoryModel(0, 512L << 20, 4096, 10), "test", 0);
    private final List<FakeEduDevice> opened = new ArrayList<>();
    /** The PCI functions of the test's machine, and the commands that see the edu ones among them. */
    private final List<PciDevice> functions = new ArrayList<>();
    private final List<EduCommands> created = new ArrayList<>();

    @AfterEach
    void shutdown() {
        mock.shutdown();
    }

    /** The mock's memory, presented as a backend with real bus addresses (what kmod reports). */
    private final ContiguousAllocator realLooking = new ContiguousAllocator() {
        @Override
        public DmaBuffer allocate(AllocationRequest request) {
            return mock.allocate(request);
        }

        @Override
        public List<DmaBuffer> buffers() {
            return mock.buffers();
        }

        @Override
        public BackendInfo backendInfo() {
            return new BackendInfo("kmod", "test double", true, 4096, 4 << 20, 512L << 20, 1L << 30, true);
        }

        @Override
        public AllocatorStatistics statistics() {
            return mock.statistics();
        }

        @Override
        public DmaTranslation translation(PciAddress device) {
            return mock.translation(device);
        }
    };

    private EduCommands commands() {
        return track(new EduCommands(dir -> {
            assertEquals(EDU, dir.address().toString());
            FakeEduDevice device = new FakeEduDevice(mock);
            opened.add(device);
            return device;
        }, tmp.resolve("dev-bigbuf")));
    }

    /** A PCI function appears: the commands get it when their DS target filter matches it. */
    private void pciFunction(String address, String vendor, String device) {
        functions.add(new FakePciDevice(PciAddress.parse(address), Integer.decode(vendor), Integer.decode(device)));
        created.forEach(this::bindEduFunctions);
    }

    private EduCommands track(EduCommands commands) {
        created.add(commands);
        bindEduFunctions(commands);
        return commands;
    }

    private void bindEduFunctions(EduCommands commands) {
        Filter target;
        try {
            target = FrameworkUtil.createFilter(EduCommands.EDU_FILTER);
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
        commands.eduFunctions = functions.stream()
                .filter(f -> target.matches(Map.of(PciDeviceProperties.VENDOR, PciDeviceProperties.id16(f.vendorId()),
                        PciDeviceProperties.DEVICE, PciDeviceProperties.id16(f.deviceId()))))
                .toList();
    }

    @Test
    void runsTheRoundTripAndReportsBytesVerificationAndThroughput() throws IOException {
        pciFunction("0000:00:01.0", "0x8086", "0x7000");
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(realLooking);
        String report = edu.dmatest("4095", "0x1234", "", "0", "1M");
        assertTrue(report.contains("through fake-edu (backend kmod, DMA direct)"), report);
        assertTrue(report.contains("moved     2 MiB (2097152 bytes) in 514 DMA commands of up to 4095 bytes"), report);
        assertTrue(report.matches("(?s).*time      [0-9.]+ s, .*/s, .*"), report);
        assertTrue(report.contains("verified  1 MiB (1048576 bytes) identical to the random pattern (seed 0x1234)"), report);
        assertTrue(report.endsWith("PASSED"), report);
        assertEquals(1, opened.size());
        assertTrue(opened.get(0).closed, "the device is released after the test");
        assertEquals(0, mock.buffers().size(), "the buffers are released after the test");
    }

    @Test
    void aCorruptedTransferFailsTheCommandWithTheReport() throws IOException {
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = track(new EduCommands(dir -> {
            FakeEduDevice device = new FakeEduDevice(mock);
            opened.add(device);
            return new EduDevice() {
                // Every device-to-RAM transfer is shifted by 8 bytes: data lands off by a little.
                @Override
                public String name() {
                    return device.name();
                }

                @Override
                public int read32(long offset) {
                    return device.read32(offset);
                }

                @Override
                public void write32(long offset, int value) {
                    device.write32(offset, value);
                }

                @Override
                public long read64(long offset) {
                    return device.read64(offset);
                }

                @Override
                public void write64(long offset, long value) {
                    boolean shift = offset == EduRegisters.DMA_DESTINATION && value != EduRegisters.DEVICE_BUFFER_ADDRESS;
                    device.write64(offset, shift ? value + 8 : value);
                }

                @Override
                public void close() {
                    device.close();
                }
            };
        }, tmp.resolve("dev-bigbuf")));
        edu.setAllocator(realLooking);
        DmaVerificationException e = assertThrows(DmaVerificationException.class,
                () -> edu.dmatest("4095", "5", "", "0", "64K"));
        assertFalse(e.report().verified());
        assertEquals(0, e.report().firstMismatch(), e::getMessage);
        assertTrue(e.getMessage().endsWith("FAILED"), e.getMessage());
        assertEquals(0, mock.buffers().size());
    }

    @Test
    void onTheMockItExplainsThatNoRealDmaIsPossible() throws IOException {
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(mock);
        DmaUnavailableException e = assertThrows(DmaUnavailableException.class, () -> edu.dmatest("4095", "", "", "0", "16M"));
        assertEquals(1, e.reasons().size(), e::getMessage);
        assertTrue(e.getMessage().startsWith("real device DMA is not possible: the current allocator backend 'mock'"
                + " hands out simulated physical addresses"), e.getMessage());
        assertTrue(e.getMessage().contains("load the bigbuf kernel module"), e.getMessage());
        assertEquals(List.of(), opened, "the device is not touched");
        assertEquals(0, mock.buffers().size(), "nothing allocated");
    }

    @Test
    void withoutDeviceAndAllocatorItListsBothReasons() throws IOException {
        pciFunction("0000:00:01.0", "0x8086", "0x7000");
        EduCommands edu = commands();
        DmaUnavailableException e = assertThrows(DmaUnavailableException.class, () -> edu.dmatest("4095", "", "", "0", "1M"));
        assertEquals(2, e.reasons().size(), e::getMessage);
        assertTrue(e.reasons().get(0).startsWith("no bigbuf allocator service is running"), e::getMessage);
        assertTrue(e.reasons().get(1).startsWith("no QEMU edu device (1234:11e8) among the PCI functions (pci:list shows them)"),
                e::getMessage);
        assertTrue(e.getMessage().contains(System.lineSeparator() + "  - no QEMU edu device"), e.getMessage());
    }

    /** The machine behind the allocator gets an IOMMU (the memory is 4 GiB, so most lies above 28 bits). */
    private void withIommu(IommuModel.Mode mode) {
        mock.shutdown();
        PhysicalMemoryModel model = new PhysicalMemoryModel(0, 4L << 30, 4096, 10);
        mock = new MockAllocator(model, new IommuModel(mode, Set.of(FakeEduDevice.PCI), Set.of(), 4096), "iommu", 0);
    }

    @Test
    void behindATranslatingIommuTheDeviceUsesIovasAndTheBuffersMayLieAnywhere() throws IOException {
        withIommu(IommuModel.Mode.TRANSLATING);
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(realLooking);
        String report = edu.dmatest("4095", "7", "", "0", "1M");
        assertTrue(report.contains("(backend kmod, DMA translated)"), report);
        assertTrue(report.matches("(?s).*source    1 MiB at IOVA 0x\\p{XDigit}+\\.\\.0x\\p{XDigit}+.*"), report);
        assertTrue(report.endsWith("PASSED"), report);
        assertEquals(List.of(), opened.get(0).strayAddresses, "every DMA hit a mapped buffer");
        assertTrue(edu.devices().startsWith(EDU + "  DMA translated: device addresses are IOVAs"), edu.devices());
    }

    @Test
    void devicesSaysHowTheAllocatorTranslatesEachDevice() throws IOException {
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        assertTrue(edu.devices().startsWith(EDU + "  (no allocator to ask)"), edu.devices());
        edu.setAllocator(realLooking);
        assertTrue(edu.devices().startsWith(EDU + "  DMA direct: device addresses are physical addresses (no IOMMU)"),
                edu.devices());
        withIommu(IommuModel.Mode.IDENTITY);
        assertTrue(edu.devices().startsWith(EDU + "  DMA identity"), edu.devices());
    }

    @Test
    void iommutestProvesTheIommuBlocksUnmappedAndReadOnlyWrites() throws IOException {
        withIommu(IommuModel.Mode.TRANSLATING);
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(realLooking);
        String report = edu.iommutest("", "0");
        assertTrue(report.contains("unmapped   write to IOVA 0x"), report);
        assertTrue(report.contains("read-only  write to IOVA 0x"), report);
        assertTrue(report.endsWith("PASSED"), report);
        assertEquals(0, mock.buffers().size(), "its buffers are released");
        assertTrue(opened.get(0).closed);
    }

    @Test
    void iommutestFailsWhenTheDeviceReachesWhatItMustNot() throws IOException {
        withIommu(IommuModel.Mode.TRANSLATING);
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = track(new EduCommands(dir -> {
            FakeEduDevice device = new FakeEduDevice(mock);
            device.ignoreProtection = true; // an IOMMU that maps but does not protect
            opened.add(device);
            return device;
        }, tmp.resolve("dev-bigbuf")));
        edu.setAllocator(realLooking);
        EduDeviceException e = assertThrows(EduDeviceException.class, () -> edu.iommutest("", "0"));
        assertTrue(e.getMessage().startsWith("the IOMMU did not confine the device: its write to the read-only IOVA"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("FAILED"), e.getMessage());
    }

    @Test
    void iommutestWithoutATranslatingIommuSaysThereIsNothingToCheck() throws IOException {
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(realLooking);
        EduDeviceException e = assertThrows(EduDeviceException.class, () -> edu.iommutest("", "0"));
        assertEquals(EDU + " is not behind a translating IOMMU (DMA direct): nothing confines its DMA, so there is"
                + " nothing to check; boot with an IOMMU (./bigbuf vm --iommu intel)", e.getMessage());
        assertEquals(0, mock.buffers().size());
    }

    @Test
    void aDeviceCanBeChosenByAddress() throws IOException {
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(realLooking);
        assertTrue(edu.dmatest("2K", "1", EDU, "0", "8K").endsWith("PASSED"));
        DmaUnavailableException e = assertThrows(DmaUnavailableException.class,
                () -> edu.dmatest("4095", "1", "0000:00:09.0", "0", "8K"));
        assertTrue(e.getMessage().contains("no edu device at "), e.getMessage());
    }

    @Test
    void badArgumentsAreRejectedBeforeAnythingHappens() throws IOException {
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(realLooking);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> edu.dmatest("4095", "", "", "0", "lots"))
                .getMessage().startsWith("size: 'lots' is not a size"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> edu.dmatest("4095", "", "", "0", "0"))
                .getMessage().contains("size must be positive"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> edu.dmatest("8K", "", "", "0", "1M"))
                .getMessage().startsWith("--chunk must be 1..4096 bytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> edu.dmatest("4095", "x1", "", "0", "1M"))
                .getMessage().startsWith("--seed: 'x1' is not a number"));
        assertEquals(List.of(), opened);
        assertEquals(0, mock.buffers().size());
    }

    /** Binds {@code allocator} to {@code edu} 300 ms from now, as DS does when a backend comes up. */
    private static Thread bindLater(EduCommands edu, ContiguousAllocator allocator) {
        return Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            edu.setAllocator(allocator);
        });
    }

    @Test
    void waitsForTheKernelBackendWhenAskedTo() throws Exception {
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(mock);
        Thread kernelBackendArrives = bindLater(edu, realLooking);
        assertTrue(edu.dmatest("4095", "1", "", "30", "16K").endsWith("PASSED"));
        kernelBackendArrives.join();
    }

    @Test
    void byDefaultWaitsOnlyWhileTheModulesDeviceExists() throws Exception {
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(mock);
        long started = System.nanoTime();
        assertThrows(DmaUnavailableException.class, () -> edu.dmatest("4095", "1", "", "auto", "16K"));
        assertTrue(System.nanoTime() - started < 1_000_000_000L, "no module, no waiting");

        Files.writeString(tmp.resolve("dev-bigbuf"), ""); // the module is loaded, its backend not bound yet
        Thread kernelBackendArrives = bindLater(edu, realLooking);
        assertTrue(edu.dmatest("4095", "1", "", "auto", "16K").endsWith("PASSED"));
        kernelBackendArrives.join();
    }

    @Test
    void waitingInVainStillExplainsWhy() throws IOException {
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(mock);
        long started = System.nanoTime();
        DmaUnavailableException e = assertThrows(DmaUnavailableException.class,
                () -> edu.dmatest("4095", "1", "", "1", "16K"));
        assertTrue(System.nanoTime() - started >= 1_000_000_000L, "waited the full second");
        assertTrue(e.getMessage().contains("'mock'"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> edu.dmatest("4095", "1", "", "-1", "16K"))
                .getMessage().startsWith("--wait: '-1' is not a number of seconds"));
    }

    @Test
    void followsTheAllocatorItIsBoundTo() throws IOException {
        pciFunction(EDU, "0x1234", "0x11e8");
        EduCommands edu = commands();
        edu.setAllocator(mock);
        edu.setAllocator(realLooking); // greedy rebind: the kernel backend arrives
        edu.unsetAllocator(mock);      // then the old one is unbound: must not clear the new one
        assertTrue(edu.dmatest("4095", "1", "", "0", "16K").endsWith("PASSED"));
        assertTrue(edu.devices().endsWith("allocator: kmod (real bus addresses)"), edu.devices());
        edu.unsetAllocator(realLooking);
        assertTrue(edu.devices().endsWith("allocator: none"), edu.devices());
    }
}

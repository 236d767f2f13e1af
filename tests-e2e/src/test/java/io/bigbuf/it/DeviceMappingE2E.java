package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.Contiguity;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DeviceMapping;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DeviceMappingException.Reason;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import io.bigbuf.examples.edu.EduDmaEngine;
import io.bigbuf.examples.edu.PciEduDevice;
import io.bigbuf.pci.PciDevice;
import io.bigbuf.pci.PciDeviceProperties;
import io.bigbuf.testkit.Components;
import io.bigbuf.testkit.EmbeddedFelix;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device mappings of the kernel backend on the real module, for QEMU's edu function: the
 * translation the backend reports is what sysfs says, a buffer allocated for the device is
 * mapped where the device can reach it and the device's DMA engine really moves data by that
 * address, further mappings and unmapping show in the module's counters, and bad devices are
 * refused with typed exceptions that change nothing. Runs in every guest shape of the e2e stage
 * (no IOMMU, Intel, AMD), so the same assertions cover every mode.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeviceMappingE2E {

    private static final Path PCI_DEVICES = Path.of("/sys/bus/pci/devices");
    private static final long MIB = 1 << 20;
    private static final long EDU_LIMIT = (1L << 28) - 1;

    @TempDir
    static Path storage;

    private EmbeddedFelix felix;
    private ContiguousAllocator kmod;
    private PciAddress edu;
    private DmaTranslation expected;

    @BeforeAll
    void start() throws Exception {
        edu = findFunction("0x1234", "0x11e8", false);
        Path type = PCI_DEVICES.resolve(edu.toString()).resolve("iommu_group/type");
        expected = !Files.exists(type) ? DmaTranslation.DIRECT : switch (Files.readString(type).strip()) {
            case "identity" -> DmaTranslation.IDENTITY;
            default -> DmaTranslation.TRANSLATED;
        };
        E2eGuest.log("device mapping: edu at %s, sysfs says DMA %s", edu, expected);
        E2eGuest.ensureLoaded();
        felix = EmbeddedFelix.withSharedApi(storage, Components.JNA_BUNDLE, Components.KMOD_BUNDLE,
                Components.PCI_SYSFS_BUNDLE);
        kmod = E2eGuest.awaitKmodAllocator(felix, "the kmod allocator service");
    }

    @AfterAll
    void stop() {
        if (felix != null) {
            felix.close();
        }
        assertEquals(0, devMaps(), "no device mapping outlives the framework");
        E2eGuest.assertUnloadsAfterTheFramework();
    }

    @Test
    @Order(1)
    void theBackendAndThePciLayerReportTheTranslationSysfsShows() {
        assertTrue(kmod.backendInfo().deviceMapping(), kmod.backendInfo().description());
        assertEquals(expected, kmod.translation(edu));
        PciDevice device = eduFunction();
        assertEquals(expected, device.dmaTranslation());
        assertEquals(expected.name(), felix.awaitReference(PciDevice.class, eduFilter())
                .getProperty(PciDeviceProperties.DMA_TRANSLATION));
    }

    private String eduFilter() {
        return "(&" + PciDeviceProperties.filter(0x1234, 0x11e8) + "(" + PciDeviceProperties.ADDRESS + "=" + edu + "))";
    }

    /** The edu function as the PCI device layer serves it to driver bundles. */
    private PciDevice eduFunction() {
        return felix.awaitService(PciDevice.class, eduFilter());
    }

    @Test
    @Order(2)
    void aBufferForTheDeviceIsWhereTheDeviceCanReachItAndItsEngineMovesDataThere() throws IOException {
        long before = devMaps();
        AllocationRequest request = AllocationRequest.ofSize(4 * MIB).forDevice(edu).withMaxAddress(EDU_LIMIT);
        try (DmaBuffer source = kmod.allocate(request.withLabel("e2e-source"));
                DmaBuffer target = kmod.allocate(request.withLabel("e2e-target"))) {
            DeviceMapping mapping = source.deviceMapping(edu).orElseThrow();
            assertEquals(expected, mapping.translation());
            assertTrue(mapping.lastDeviceAddress() <= EDU_LIMIT, mapping.toString());
            if (!expected.translated()) {
                assertEquals(source.physicalAddress(), mapping.deviceAddress());
            }
            assertTrue(source.numaNode().isPresent());
            assertEquals(before + 2, devMaps());
            assertTrue(deviceMappingsLine().startsWith(edu + " " + expected.name().toLowerCase() + " 2 "),
                    deviceMappingsLine());

            byte[] pattern = new byte[8 * 4095];
            new java.util.Random(7).nextBytes(pattern);
            long at = 4 * MIB - pattern.length; // the end of the buffers: every page must be in place
            source.segment().asSlice(at, pattern.length).copyFrom(java.lang.foreign.MemorySegment.ofArray(pattern));
            try (PciEduDevice device = PciEduDevice.open(eduFunction())) {
                EduDmaEngine engine = new EduDmaEngine(device);
                engine.identify();
                for (long off = 0; off < pattern.length; off += 4095) {
                    engine.ramToDevice(source.deviceAddress(edu) + at + off, 4095);
                    engine.deviceToRam(target.deviceAddress(edu) + at + off, 4095);
                }
            }
            assertArrayEquals(pattern, target.segment().asSlice(at, pattern.length).toArray(ValueLayout.JAVA_BYTE),
                    "the device moved the pattern by the addresses the backend gave");
            E2eGuest.log("device mapping: DMA %s: source at device 0x%x, target at device 0x%x", expected,
                    source.deviceAddress(edu), target.deviceAddress(edu));
        }
        assertEquals(before, devMaps(), "closing ended both mappings");
    }

    @Test
    @Order(3)
    void mapForUnmapFromAndCloseShowInTheModule() {
        long before = devMaps();
        try (DmaBuffer buffer = kmod.allocate(AllocationRequest.ofSize(MIB).withAddressBits(28))) {
            assertTrue(buffer.deviceMappings().isEmpty());
            DeviceMapping mapping = buffer.mapFor(edu, EDU_LIMIT);
            assertSame(mapping, buffer.mapFor(edu, EDU_LIMIT));
            assertEquals(before + 1, devMaps());
            assertTrue(buffer.unmapFrom(edu));
            assertEquals(before, devMaps());
            assertTrue(buffer.mapReadOnlyFor(edu, EDU_LIMIT).deviceReadOnly());
            assertEquals(before + 1, devMaps());
        }
        assertEquals(before, devMaps());
    }

    @Test
    @Order(4)
    void badDevicesAndImpossibleLayoutsAreRefusedTypedAndChangeNothing() throws IOException {
        E2eGuest.ModuleStats module = E2eGuest.ModuleStats.read();
        long maps = devMaps();
        PciAddress absent = PciAddress.parse("0000:00:1f.7");
        assertEquals(Reason.NO_SUCH_DEVICE, assertThrows(DeviceMappingException.class,
                () -> kmod.allocate(AllocationRequest.ofSize(MIB).forDevice(absent))).reason());
        PciAddress busy = findFunction(null, null, true);
        assertEquals(Reason.DEVICE_BUSY, assertThrows(DeviceMappingException.class,
                () -> kmod.allocate(AllocationRequest.ofSize(MIB).forDevice(busy))).reason());
        AllocationRequest scattered = AllocationRequest.ofSize(64 * MIB).forDevice(edu).withMaxAddress(EDU_LIMIT)
                .withContiguity(Contiguity.DEVICE);
        if (expected.translated()) {
            try (DmaBuffer big = kmod.allocate(scattered)) {
                assertEquals(Contiguity.DEVICE, big.contiguity());
                assertThrows(IllegalStateException.class, big::physicalAddress);
                assertTrue(big.deviceMapping(edu).orElseThrow().lastDeviceAddress() <= EDU_LIMIT);
            }
        } else {
            assertEquals(Reason.NOT_TRANSLATED, assertThrows(DeviceMappingException.class,
                    () -> kmod.allocate(scattered)).reason());
            // A buffer above the device's reach cannot be mapped for it without an IOMMU.
            List<DmaBuffer> held = new ArrayList<>();
            try {
                DmaBuffer high = null;
                while (high == null && held.size() < 100) {
                    DmaBuffer b = kmod.allocate(4 * MIB);
                    held.add(b);
                    high = b.physicalAddress() > EDU_LIMIT ? b : null;
                }
                DmaBuffer unreachable = high;
                assertTrue(unreachable != null, "no buffer above 256 MiB in " + held.size() + " tries");
                assertEquals(Reason.UNREACHABLE, assertThrows(DeviceMappingException.class,
                        () -> unreachable.mapFor(edu, EDU_LIMIT)).reason());
                assertTrue(unreachable.deviceMappings().isEmpty());
            } finally {
                held.forEach(DmaBuffer::close);
            }
        }
        assertEquals(maps, devMaps());
        E2eGuest.ModuleStats after = E2eGuest.ModuleStats.read();
        assertEquals(module.buffers(), after.buffers());
        assertEquals(module.bytesHeld(), after.bytesHeld());
    }

    private static long devMaps() {
        try {
            return Long.parseLong(Files.readString(E2eGuest.STATS.resolve("dev_maps")).strip());
        } catch (IOException e) {
            throw new AssertionError("cannot read dev_maps (module loaded?)", e);
        }
    }

    /** This function's line of the module's per-function table, "" if none. */
    private String deviceMappingsLine() {
        try {
            return Files.readAllLines(E2eGuest.STATS.resolve("device_mappings")).stream()
                    .filter(l -> l.startsWith(edu.toString())).findFirst().orElse("");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A PCI function of that vendor/device, or (bound) one some other kernel driver owns. */
    private static PciAddress findFunction(String vendor, String device, boolean bound) throws IOException {
        try (Stream<Path> functions = Files.list(PCI_DEVICES)) {
            for (Path f : functions.sorted().toList()) {
                boolean matches = bound
                        ? Files.exists(f.resolve("driver"))
                                && !f.resolve("driver").toRealPath().getFileName().toString().equals("bigbuf")
                        : Files.readString(f.resolve("vendor")).strip().equals(vendor)
                                && Files.readString(f.resolve("device")).strip().equals(device);
                if (matches) {
                    return PciAddress.parse(f.getFileName().toString());
                }
            }
        }
        throw new AssertionError("no PCI function " + (bound ? "with a driver" : vendor + ":" + device)
                + " in " + PCI_DEVICES + " (the e2e guests have QEMU's edu device)");
    }
}

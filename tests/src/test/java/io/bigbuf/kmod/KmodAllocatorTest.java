package io.bigbuf.kmod;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.AllocatorStatistics;
import io.bigbuf.api.BackendInfo;
import io.bigbuf.api.BackendUnavailableException;
import io.bigbuf.api.DeviceMappingException;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.kmod.abi.BigbufAbi;
import io.bigbuf.kmod.abi.DeviceInfo;
import io.bigbuf.kmod.abi.Errno;
import io.bigbuf.kmod.abi.KmodDevice;
import io.bigbuf.kmod.abi.NativeCallException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel allocator without a kernel module: what it rejects before touching the device, and
 * that the real libc path (JNA open) reports a missing or wrong device with its errno. The
 * behaviour with the module loaded is covered in the VM (tests-e2e).
 */
class KmodAllocatorTest {

    private static final long GIB = 1L << 30;
    /** What a 2 GiB x86-64 guest reports (values as from BIGBUF_IOC_INFO). */
    private static final DeviceInfo INFO = new DeviceInfo(BigbufAbi.ABI_VERSION, 4096, 10, 0b1110, 2 * GIB,
            GIB, 2 * GIB, GIB, GIB, BigbufAbi.FEATURE_DEVICE_MAP | BigbufAbi.FEATURE_NUMA, 1);

    @TempDir
    Path dir;

    @Test
    void describesItselfFromTheModuleInfo() {
        BackendInfo info = new KmodAllocator(Path.of("/dev/bigbuf"), INFO).backendInfo();
        assertEquals(AllocatorServiceProperties.BACKEND_KMOD, info.name());
        assertTrue(info.realBusAddresses());
        assertEquals(4096, info.pageSize());
        assertEquals(4L << 20, info.maxBlockSize());
        assertEquals(2 * GIB, info.totalBytes());
        assertEquals("/dev/bigbuf, bigbuf module ABI 1, 2 GiB RAM, strategies buddy,contig,grab, alignment up to 1 GiB,"
                + " device mappings, 1 NUMA node id(s)", info.description());
        assertTrue(info.deviceMapping());
    }

    @Test
    void refusesAModuleOfAnotherAbiVersion() {
        DeviceInfo future = new DeviceInfo(2, 4096, 10, 0b1110, GIB, GIB, GIB, GIB, GIB, 0, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new KmodAllocator(Path.of("/dev/bigbuf"), future));
        assertEquals("/dev/bigbuf speaks bigbuf ABI version 2, this bundle speaks 1", e.getMessage());
    }

    @Test
    void rejectsWhatTheModuleWouldRejectWithoutOpeningIt() {
        // The device does not exist: any request that got as far as open() would fail differently.
        KmodAllocator allocator = new KmodAllocator(dir.resolve("no-such-device"), INFO);
        assertEquals("3 GiB is more than this machine's RAM (the bigbuf module accepts at most 2 GiB)",
                assertThrows(InvalidAllocationRequestException.class, () -> allocator.allocate(3 * GIB)).getMessage());
        assertEquals("alignment 2 GiB is above the largest the bigbuf module supports, 1 GiB",
                assertThrows(InvalidAllocationRequestException.class,
                        () -> allocator.allocate(AllocationRequest.ofSize(4096).withAlignment(2 * GIB))).getMessage());
        assertThrows(InvalidAllocationRequestException.class,
                () -> allocator.allocate(AllocationRequest.ofSize(4096).withAlignment(2048)));
        AllocatorStatistics stats = allocator.statistics();
        assertEquals(3, stats.rejected());
        assertEquals(0, stats.failures());
        assertEquals(0, stats.liveBuffers());
    }

    @Test
    void aMissingDeviceIsBackendUnavailableWithTheErrno() {
        Path missing = dir.resolve("bigbuf");
        KmodAllocator allocator = new KmodAllocator(missing, INFO);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> allocator.allocate(4096));
        assertEquals("the bigbuf kernel module is not loaded (its device is gone) (ENOENT from open(" + missing + "))",
                e.getMessage());
        AllocatorStatistics stats = allocator.statistics();
        assertEquals(0, stats.failures(), "failures count lack of memory, not a missing backend");
        assertEquals(0, stats.rejected());
        assertEquals(0, stats.allocations());
    }

    @Test
    void aDeviceThatIsNotBigbufAnswersEnotty() {
        try (KmodDevice notBigbuf = KmodDevice.open(Path.of("/dev/null"))) {
            NativeCallException e = assertThrows(NativeCallException.class, notBigbuf::info);
            assertEquals(Errno.ENOTTY, e.errno());
            assertEquals("ioctl(BIGBUF_IOC_INFO) on /dev/null failed: ENOTTY", e.getMessage());
        }
    }

    @Test
    void afterShutdownNothingIsAllocated() {
        KmodAllocator allocator = new KmodAllocator(Path.of("/dev/bigbuf"), INFO);
        allocator.shutdown();
        allocator.shutdown();
        assertThrows(BackendUnavailableException.class, () -> allocator.allocate(4096));
    }

    private static final PciAddress EDU = PciAddress.parse("0000:00:04.0");

    @Test
    void aModuleThatPredatesDeviceMappingsSaysSoAndNothingReachesIt() {
        DeviceInfo old = new DeviceInfo(BigbufAbi.ABI_VERSION, 4096, 10, 0b1110, 2 * GIB, GIB, 2 * GIB, GIB, GIB, 0, 0);
        KmodAllocator allocator = new KmodAllocator(dir.resolve("no-such-device"), old);
        assertFalse(allocator.backendInfo().deviceMapping());
        assertTrue(allocator.backendInfo().description().endsWith("no device mappings (module predates them)"));
        DeviceMappingException e = assertThrows(DeviceMappingException.class,
                () -> allocator.allocate(AllocationRequest.ofSize(4096).forDevice(EDU)));
        assertEquals(DeviceMappingException.Reason.UNSUPPORTED, e.reason());
        assertThrows(InvalidAllocationRequestException.class,
                () -> allocator.allocate(AllocationRequest.ofSize(4096).onNode(0)));
        assertEquals(DeviceMappingException.Reason.UNSUPPORTED,
                assertThrows(DeviceMappingException.class, () -> allocator.translation(EDU)).reason());
        assertEquals(2, allocator.statistics().rejected());
    }

    @Test
    void translationComesFromTheIommuGroupInSysfs() throws Exception {
        Path devices = Files.createDirectories(dir.resolve("sys/bus/pci/devices"));
        Files.createDirectories(devices.resolve("0000:00:04.0"));
        for (String[] f : new String[][] {{"0000:00:05.0", "DMA"}, {"0000:00:06.0", "DMA-FQ"},
                {"0000:00:07.0", "identity"}, {"0000:00:08.0", "blocked"}}) {
            Path group = Files.createDirectories(dir.resolve("sys/kernel/iommu_groups").resolve(f[0]));
            Files.writeString(group.resolve("type"), f[1] + "\n");
            Files.createDirectories(devices.resolve(f[0]));
            Files.createSymbolicLink(devices.resolve(f[0]).resolve("iommu_group"), group);
        }
        KmodAllocator allocator = new KmodAllocator(Path.of("/dev/bigbuf"), INFO, dir.resolve("sys"));
        assertEquals(DmaTranslation.DIRECT, allocator.translation(EDU));
        assertEquals(DmaTranslation.TRANSLATED, allocator.translation(PciAddress.parse("0000:00:05.0")));
        assertEquals(DmaTranslation.TRANSLATED, allocator.translation(PciAddress.parse("0000:00:06.0")));
        assertEquals(DmaTranslation.IDENTITY, allocator.translation(PciAddress.parse("0000:00:07.0")));
        assertEquals(DeviceMappingException.Reason.DEVICE_BUSY, assertThrows(DeviceMappingException.class,
                () -> allocator.translation(PciAddress.parse("0000:00:08.0"))).reason());
        assertEquals(DeviceMappingException.Reason.NO_SUCH_DEVICE, assertThrows(DeviceMappingException.class,
                () -> allocator.translation(PciAddress.parse("0000:00:09.0"))).reason());
    }

    @Test
    void anAddressLimitReachesTheKernelAsTheLargestMaskBelowIt() {
        assertEquals(0, KmodAllocator.dmaMask(AllocationRequest.NO_ADDRESS_LIMIT));
        assertEquals((1L << 28) - 1, KmodAllocator.dmaMask((1L << 28) - 1));
        assertEquals((1L << 28) - 1, KmodAllocator.dmaMask(0x1234_5678L));
        assertEquals((1L << 32) - 1, KmodAllocator.dmaMask((1L << 33) - 2));
        assertEquals(0xfff, KmodAllocator.dmaMask(0x1000));
    }
}

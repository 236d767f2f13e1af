package io.bigbuf.examples.edu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.OutOfContiguousMemoryException;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The contiguity proof: pattern out through the device and back, against a model of the device. */
class DmaRoundTripTest {

    private static final long MIB = 1 << 20;

    // 1 GiB of simulated RAM: most of it is beyond the device's 28-bit reach.
    private final MockAllocator ram = new MockAllocator(new PhysicalMemoryModel(0, 1L << 30, 4096, 10), "test", 0);
    private final FakeEduDevice device = new FakeEduDevice(ram);
    private final EduDmaEngine engine = new EduDmaEngine(device, Duration.ofSeconds(1), System::nanoTime, nanos -> { });

    @AfterEach
    void shutdown() {
        ram.shutdown();
    }

    @Test
    void everyByteComesBackAndTheBuffersAreFreedAfterwards() {
        long size = 256 * 1024 + 100; // not a multiple of the transfer size: a short last command
        DmaRoundTripReport report = new DmaRoundTrip(ram, engine, FakeEduDevice.PCI).run(size, EduRegisters.SAFE_TRANSFER_SIZE, 42);
        assertTrue(report.verified(), report::toString);
        long chunks = (size + EduRegisters.SAFE_TRANSFER_SIZE - 1) / EduRegisters.SAFE_TRANSFER_SIZE;
        assertEquals(2 * chunks, report.commands(), "one command per chunk and direction");
        assertEquals(2 * size, report.bytesMoved());
        assertEquals(size, report.size());
        assertEquals(0, device.strayAddresses.size(), "no DMA outside the two buffers");
        assertEquals(0, ram.buffers().size(), "both buffers freed");
        assertTrue(report.toString().endsWith("PASSED"), report::toString);
        assertTrue(report.toString().contains("seed 0x2a"), report::toString);
    }

    @Test
    void buffersLieBelowTheDevicesDmaLimit() {
        DmaRoundTripReport report = new DmaRoundTrip(ram, engine, FakeEduDevice.PCI).run(2 * MIB, 4095, 1);
        assertTrue(report.sourceAddress() + report.size() - 1 <= EduRegisters.DMA_LIMIT, report::toString);
        assertTrue(report.targetAddress() + report.size() - 1 <= EduRegisters.DMA_LIMIT, report::toString);
        assertTrue(report.verified(), report::toString);
    }

    @Test
    void aPageThatIsNotWhereTheAddressSaysIsFoundAtItsOffset() {
        // Simulates a non-contiguous target: the device's write to page 5 of the target lands on page 6.
        ram.allocate(4096).close(); // shift the layout a little so offsets are not trivially zero
        DmaRoundTrip roundTrip = new DmaRoundTrip(ram, engine, FakeEduDevice.PCI);
        DmaRoundTripReport probe = roundTrip.run(64 * 1024, 4095, 7);
        device.misplacedPage = probe.targetAddress() + 5 * 4096;
        DmaRoundTripReport report = roundTrip.run(64 * 1024, 4095, 7);
        assertEquals(probe.targetAddress(), report.targetAddress(), "same placement as the probe run");
        assertFalse(report.verified());
        assertEquals(5 * 4096, report.firstMismatch(), report::toString);
        assertTrue(report.toString().endsWith("FAILED"), report::toString);
    }

    @Test
    void theDefaultTransferSizeKeepsQemu72Alive() {
        // A full 4096-byte transfer touches the last byte of the device buffer: QEMU <= 7.2 aborts.
        assertThrows(FakeEduDevice.EmulatorAbort.class, () -> new DmaRoundTrip(ram, engine, FakeEduDevice.PCI).run(64 * 1024, 4096, 3));
        // A fresh emulator (the aborted one is gone) with the default transfer size.
        EduDmaEngine fresh = new EduDmaEngine(new FakeEduDevice(ram), Duration.ofSeconds(1), System::nanoTime, nanos -> { });
        assertTrue(new DmaRoundTrip(ram, fresh, FakeEduDevice.PCI).run(64 * 1024, EduCommands.DEFAULT_TRANSFER_SIZE, 3).verified());
    }

    @Test
    void tooLargeForTheDevicesReachFailsWithTheAllocatorsTypedException() {
        DmaRoundTrip roundTrip = new DmaRoundTrip(ram, engine, FakeEduDevice.PCI);
        assertThrows(OutOfContiguousMemoryException.class, () -> roundTrip.run(200 * MIB, 4095, 1),
                "two 200 MiB buffers do not fit below 256 MiB");
        assertEquals(0, ram.buffers().size(), "the first buffer is released when the second fails");
        assertEquals(0, engine.commands());
    }

    @Test
    void aDeviceThatStopsAnsweringIsShutOffBeforeItsBuffersAreFreed() {
        device.stuck = true;
        long[] now = {0};
        EduDmaEngine slow = new EduDmaEngine(device, Duration.ofMillis(50), () -> now[0], nanos -> now[0] += nanos);
        assertThrows(EduDeviceException.class, () -> new DmaRoundTrip(ram, slow, FakeEduDevice.PCI).run(64 * 1024, 4095, 1));
        assertTrue(device.closed, "the device was closed (bus mastering off)");
        assertEquals(2, device.buffersWhenClosed, "while both buffers were still allocated");
        assertEquals(0, ram.buffers().size(), "and the buffers were freed afterwards");
    }

    @Test
    void rejectsImpossibleTransferSizes() {
        DmaRoundTrip roundTrip = new DmaRoundTrip(ram, engine, FakeEduDevice.PCI);
        assertThrows(IllegalArgumentException.class, () -> roundTrip.run(MIB, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> roundTrip.run(MIB, 4097, 1));
        assertEquals(0, ram.buffers().size());
    }
}

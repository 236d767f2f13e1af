package io.bigbuf.examples.edu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Register programming, waiting and error handling of the driver, against a model of the device. */
class EduDmaEngineTest {

    private final MockAllocator ram = new MockAllocator(new PhysicalMemoryModel(0, 64L << 20, 4096, 10), "test", 0);
    private final FakeEduDevice device = new FakeEduDevice(ram);

    /** Virtual time: advances only when the engine sleeps. */
    private long now;
    private int sleeps;

    private EduDmaEngine engine() {
        return new EduDmaEngine(device, Duration.ofSeconds(1), () -> now, nanos -> {
            now += nanos;
            sleeps++;
        });
    }

    @AfterEach
    void shutdown() {
        ram.shutdown();
    }

    @Test
    void programsSourceDestinationCountThenCommandWith64BitWrites() {
        EduDmaEngine engine = engine();
        engine.ramToDevice(0x123000, 4095);
        engine.deviceToRam(0x456000, 100);
        List<FakeEduDevice.Access> writes = device.accesses.stream().filter(FakeEduDevice.Access::write).toList();
        assertEquals(List.of(
                new FakeEduDevice.Access(true, 64, EduRegisters.DMA_SOURCE, 0x123000),
                new FakeEduDevice.Access(true, 64, EduRegisters.DMA_DESTINATION, EduRegisters.DEVICE_BUFFER_ADDRESS),
                new FakeEduDevice.Access(true, 64, EduRegisters.DMA_COUNT, 4095),
                new FakeEduDevice.Access(true, 64, EduRegisters.DMA_COMMAND, EduRegisters.COMMAND_START),
                new FakeEduDevice.Access(true, 64, EduRegisters.DMA_SOURCE, EduRegisters.DEVICE_BUFFER_ADDRESS),
                new FakeEduDevice.Access(true, 64, EduRegisters.DMA_DESTINATION, 0x456000),
                new FakeEduDevice.Access(true, 64, EduRegisters.DMA_COUNT, 100),
                new FakeEduDevice.Access(true, 64, EduRegisters.DMA_COMMAND,
                        EduRegisters.COMMAND_START | EduRegisters.COMMAND_TO_RAM)), writes);
        assertEquals(2, engine.commands());
    }

    @Test
    void bytesTravelToTheDeviceAndBackByBusAddress() {
        try (DmaBuffer buffer = ram.allocate(AllocationRequest.ofSize(16384).withMaxAddress(EduRegisters.DMA_LIMIT))) {
            for (int i = 0; i < 4095; i++) {
                buffer.segment().set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
            }
            EduDmaEngine engine = engine();
            engine.ramToDevice(buffer.physicalAddress(), 4095);
            engine.deviceToRam(buffer.physicalAddress() + 8192, 4095);
            assertEquals(-1, buffer.segment().asSlice(0, 4095).mismatch(buffer.segment().asSlice(8192, 4095)));
            assertEquals(List.of(), device.strayAddresses);
        }
    }

    @Test
    void learnsTheDeviceLatencyAndThenWakesAboutOncePerCommand() {
        device.clock = () -> now;
        device.latencyNanos = 100_000_000; // QEMU edu: 100 ms per command
        EduDmaEngine engine = engine();
        engine.ramToDevice(0x100000, 64);
        long firstCommandPolls = engine.polls();
        for (int i = 0; i < 100; i++) {
            engine.ramToDevice(0x100000, 64);
        }
        long laterPolls = engine.polls() - firstCommandPolls;
        assertTrue(firstCommandPolls > 5, "the first command has to find the latency: " + firstCommandPolls);
        assertTrue(laterPolls <= 100 * 2, "after that at most two reads per command, got " + laterPolls);
        assertTrue(now < 101 * 130_000_000L, "and little time lost waiting: " + now / 1_000_000 + " ms");
    }

    @Test
    void neverPollsWithoutSleepingInBetween() {
        device.clock = () -> now;
        device.latencyNanos = 1_000_000;
        EduDmaEngine engine = engine();
        for (int i = 0; i < 200; i++) {
            engine.ramToDevice(0x100000, 64);
        }
        // The command register is never read back to back: every read follows a sleep.
        assertEquals(engine.polls(), sleeps);
        assertTrue(engine.polls() >= 200, "at least one read per command: " + engine.polls());
        assertTrue(now < 200 * 2_500_000L, "waited close to the 1 ms latency per command, not more: "
                + now / 1_000_000 + " ms for 200 commands");
    }

    @Test
    void aFastDeviceIsPolledWithinMicroseconds() {
        EduDmaEngine engine = engine();
        for (int i = 0; i < 100; i++) {
            engine.ramToDevice(0x100000, 64);
        }
        assertEquals(100, engine.polls(), "one read per command when the device is done at once");
        assertTrue(now <= 100 * EduDmaEngine.MIN_WAIT_NANOS * 2, "slept " + now + " ns for 100 instant commands");
    }

    @Test
    void aStuckDeviceFailsWithATypedExceptionAfterTheTimeout() {
        device.stuck = true;
        EduDmaEngine engine = engine();
        EduDeviceException e = assertThrows(EduDeviceException.class, () -> engine.ramToDevice(0x100000, 64));
        assertTrue(e.getMessage().contains("did not complete within 1000 ms"), e.getMessage());
        assertTrue(now >= Duration.ofSeconds(1).toNanos());
        assertTrue(sleeps < 200, "waited with growing sleeps, not a busy loop: " + sleeps);
    }

    @Test
    void refusesTransfersTheDeviceCannotAddressOrHold() {
        EduDmaEngine engine = engine();
        IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class,
                () -> engine.ramToDevice(EduRegisters.DMA_LIMIT - 100, 200));
        assertTrue(beyond.getMessage().contains("28-bit DMA limit"), beyond.getMessage());
        engine.deviceToRam(EduRegisters.DMA_LIMIT - 199, 200); // ends exactly at the limit: fine
        assertThrows(IllegalArgumentException.class, () -> engine.ramToDevice(0x1000, 0));
        assertThrows(IllegalArgumentException.class, () -> engine.ramToDevice(0x1000, 4097));
        assertThrows(IllegalArgumentException.class, () -> engine.ramToDevice(-4096, 16));
        assertEquals(1, engine.commands(), "nothing reached the device for the refused transfers");
    }

    @Test
    void identifiesEduAndRejectsOtherDevices() {
        assertEquals(0x010000ed, engine().identify());

        device.invertLiveness = false;
        EduDeviceException dead = assertThrows(EduDeviceException.class, () -> engine().identify());
        assertTrue(dead.getMessage().contains("liveness"), dead.getMessage());

        device.invertLiveness = true;
        device.identification = 0xffffffff; // what a read of a vanished device returns
        EduDeviceException other = assertThrows(EduDeviceException.class, () -> engine().identify());
        assertTrue(other.getMessage().contains("does not identify as edu"), other.getMessage());
    }

    @Test
    void identifyRefusesADeviceThatIsAlreadyTransferring() {
        device.stuck = true;
        device.write64(EduRegisters.DMA_COMMAND, EduRegisters.COMMAND_START);
        EduDeviceException busy = assertThrows(EduDeviceException.class, () -> engine().identify());
        assertTrue(busy.getMessage().contains("busy"), busy.getMessage());
    }
}

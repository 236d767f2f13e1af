package io.bigbuf.examples.edu;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.PciAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * The device-level proof that a bigbuf buffer is contiguous for the device: a random pattern
 * written by the CPU into a source buffer travels, chunk by chunk, through the device's DMA engine
 * (RAM to device, device to RAM) into a second buffer, addressed only by
 * {@code deviceAddress(device) + offset}. If any page of either buffer were elsewhere than its
 * address says, the comparison at the end would fail there. The buffers are allocated for the
 * device, so the addresses are right whatever the machine does: physical without an IOMMU,
 * I/O virtual addresses behind a translating one (and then the buffers may lie anywhere in RAM).
 */
public final class DmaRoundTrip {

    /** Labels of the two buffers, visible in {@code bigbuf:list} while the test runs. */
    public static final String SOURCE_LABEL = "edu-dma-source";
    public static final String TARGET_LABEL = "edu-dma-target";

    // Fill value of the target before the transfer: a chunk the device never wrote cannot match
    // 4 KiB of random pattern by accident.
    private static final byte TARGET_FILL = (byte) 0xA5;

    private final ContiguousAllocator allocator;
    private final EduDmaEngine engine;
    private final PciAddress device;
    private final LongSupplier clock;

    /** @param device the PCI function {@code engine} drives */
    public DmaRoundTrip(ContiguousAllocator allocator, EduDmaEngine engine, PciAddress device) {
        this(allocator, engine, device, System::nanoTime);
    }

    DmaRoundTrip(ContiguousAllocator allocator, EduDmaEngine engine, PciAddress device, LongSupplier clock) {
        this.allocator = allocator;
        this.engine = engine;
        this.device = device;
        this.clock = clock;
    }

    /**
     * Allocates two buffers of {@code size} bytes for the device, within its DMA limit, runs the
     * round trip and frees both.
     *
     * @param transferSize bytes per DMA command, 1..{@value EduRegisters#DEVICE_BUFFER_SIZE}
     * @param seed         seed of the random pattern
     * @return the report; {@link DmaRoundTripReport#verified()} says whether the data came back intact
     * @throws io.bigbuf.api.BigbufException the allocator cannot provide the buffers
     * @throws EduDeviceException the device stopped answering
     */
    public DmaRoundTripReport run(long size, int transferSize, long seed) {
        if (transferSize <= 0 || transferSize > EduRegisters.DEVICE_BUFFER_SIZE) {
            throw new IllegalArgumentException("transfer size must be 1.." + EduRegisters.DEVICE_BUFFER_SIZE
                    + " bytes, got " + transferSize);
        }
        AllocationRequest request = AllocationRequest.ofSize(size).forDevice(device)
                .withMaxAddress(EduRegisters.DMA_LIMIT);
        try (DmaBuffer source = allocator.allocate(request.withLabel(SOURCE_LABEL));
                DmaBuffer target = allocator.allocate(request.withLabel(TARGET_LABEL))) {
            fillRandom(source.segment(), seed);
            target.segment().fill(TARGET_FILL);
            long sourceAddress = source.deviceAddress(device);
            long targetAddress = target.deviceAddress(device);
            long commandsBefore = engine.commands();
            long pollsBefore = engine.polls();
            long started = clock.getAsLong();
            try {
                for (long offset = 0; offset < size; offset += transferSize) {
                    int count = (int) Math.min(transferSize, size - offset);
                    engine.ramToDevice(sourceAddress + offset, count);
                    engine.deviceToRam(targetAddress + offset, count);
                }
            } catch (RuntimeException e) {
                // A device that failed mid-transfer may still be writing: stop it (closing turns bus
                // mastering off again) before the buffers are freed and their pages reused.
                engine.device().close();
                throw e;
            }
            long elapsed = clock.getAsLong() - started;
            long mismatch = source.segment().mismatch(target.segment());
            return new DmaRoundTripReport(engine.device().name(), allocator.backendInfo().name(), size,
                    sourceAddress, targetAddress, source.deviceMapping(device).orElseThrow().translation(),
                    transferSize, engine.commands() - commandsBefore, engine.polls() - pollsBefore, elapsed, seed,
                    mismatch);
        }
    }

    static void fillRandom(MemorySegment memory, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long size = memory.byteSize();
        long offset = 0;
        for (; offset + Long.BYTES <= size; offset += Long.BYTES) {
            memory.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, random.nextLong());
        }
        for (; offset < size; offset++) {
            memory.set(ValueLayout.JAVA_BYTE, offset, (byte) random.nextInt());
        }
    }
}

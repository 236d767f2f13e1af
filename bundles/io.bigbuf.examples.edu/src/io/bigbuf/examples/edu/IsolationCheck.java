package io.bigbuf.examples.edu;

import io.bigbuf.api.AllocationRequest;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DeviceMapping;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.DmaTranslation;
import io.bigbuf.api.PciAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * The proof that an IOMMU confines the device: it DMAs into a buffer at an address that is no
 * longer mapped for it, and into a mapping that is read-only for it; neither write may reach
 * memory (the kernel log shows the IOMMU's fault report). It may still read the read-only
 * mapping. Only meaningful behind a translating IOMMU: without one nothing stops a device.
 */
final class IsolationCheck {

    private static final int CHUNK = EduRegisters.SAFE_TRANSFER_SIZE;
    private static final byte TARGET_FILL = (byte) 0x5A;

    private final ContiguousAllocator allocator;
    private final EduDmaEngine engine;
    private final PciAddress device;

    IsolationCheck(ContiguousAllocator allocator, EduDmaEngine engine, PciAddress device) {
        this.allocator = allocator;
        this.engine = engine;
        this.device = device;
    }

    /**
     * @return the report, ending in PASSED
     * @throws EduDeviceException the device reached memory it must not, or is not behind a
     *         translating IOMMU
     */
    String run(long seed) {
        DmaTranslation translation = allocator.translation(device);
        if (!translation.translated()) {
            throw new EduDeviceException(device + " is not behind a translating IOMMU (DMA "
                    + translation.name().toLowerCase(Locale.ROOT) + "): nothing confines its DMA, so there is nothing"
                    + " to check; boot with an IOMMU (./bigbuf vm --iommu intel)");
        }
        AllocationRequest request = AllocationRequest.ofSize(64 * 1024).forDevice(device)
                .withMaxAddress(EduRegisters.DMA_LIMIT).withLabel("edu-isolation");
        StringBuilder report = new StringBuilder("edu IOMMU isolation check on " + device + System.lineSeparator());
        try (DmaBuffer source = allocator.allocate(request); DmaBuffer target = allocator.allocate(request)) {
            DmaRoundTrip.fillRandom(source.segment(), seed);
            target.segment().fill(TARGET_FILL);
            long from = source.deviceAddress(device);

            long stale = target.deviceAddress(device);
            target.unmapFrom(device);
            engine.ramToDevice(from, CHUNK);
            engine.deviceToRam(stale, CHUNK);
            requireUntouched(target.segment(), "write to IOVA 0x" + Long.toHexString(stale) + " after unmapping it");
            report.append(String.format(Locale.ROOT, "  unmapped   write to IOVA 0x%x did not reach the buffer%n", stale));

            DeviceMapping readOnly = target.mapReadOnlyFor(device, EduRegisters.DMA_LIMIT);
            engine.ramToDevice(from, CHUNK);
            engine.deviceToRam(readOnly.deviceAddress(), CHUNK);
            requireUntouched(target.segment(), "write to the read-only IOVA 0x"
                    + Long.toHexString(readOnly.deviceAddress()));
            engine.ramToDevice(readOnly.deviceAddress(), CHUNK);
            engine.deviceToRam(from, CHUNK);
            requireUntouched(source.segment().asSlice(0, CHUNK), "read of the read-only IOVA 0x"
                    + Long.toHexString(readOnly.deviceAddress()) + " (copied back)");
            report.append(String.format(Locale.ROOT, "  read-only  write to IOVA 0x%x did not reach the buffer,"
                    + " reading it worked%n", readOnly.deviceAddress()));
        }
        return report.append("PASSED").toString();
    }

    private static void requireUntouched(MemorySegment memory, String what) {
        for (long i = 0; i < CHUNK; i++) {
            if (memory.get(ValueLayout.JAVA_BYTE, i) != TARGET_FILL) {
                throw new EduDeviceException("the IOMMU did not confine the device: its " + what
                        + " changed byte 0x" + Long.toHexString(i) + "; FAILED");
            }
        }
    }
}

package io.bigbuf.examples.edu;

import io.bigbuf.api.ByteSize;
import io.bigbuf.api.DmaTranslation;
import java.util.Locale;

/**
 * Outcome of a {@link DmaRoundTrip}.
 *
 * @param device          device name (PCI address)
 * @param backend         allocator backend that provided the buffers
 * @param size            bytes per buffer
 * @param sourceAddress   device address of the source buffer
 * @param targetAddress   device address of the target buffer
 * @param translation     what the device addresses are (physical, or IOMMU-translated)
 * @param transferSize    bytes per DMA command (the last one may be shorter)
 * @param commands        DMA commands issued (both directions)
 * @param polls           reads of the command register while waiting
 * @param elapsedNanos    time from the first command to the last completion
 * @param seed            seed of the random pattern written into the source
 * @param firstMismatch   offset of the first byte that differs between source and target, -1 if none
 */
public record DmaRoundTripReport(String device, String backend, long size, long sourceAddress, long targetAddress,
        DmaTranslation translation, int transferSize, long commands, long polls, long elapsedNanos, long seed,
        long firstMismatch) {

    /** Whether every byte came back as sent. */
    public boolean verified() {
        return firstMismatch < 0;
    }

    /** Bytes that crossed the device's DMA engine: each byte twice (RAM to device, device to RAM). */
    public long bytesMoved() {
        return 2 * size;
    }

    /** Bytes moved per second (of the clock the JVM sees: virtual time in an icount guest). */
    public double bytesPerSecond() {
        return elapsedNanos == 0 ? 0 : bytesMoved() * 1e9 / elapsedNanos;
    }

    @Override
    public String toString() {
        String nl = System.lineSeparator();
        StringBuilder text = new StringBuilder();
        String what = translation.translated() ? "IOVA" : "bus address";
        text.append("edu DMA round trip through ").append(device).append(" (backend ").append(backend).append(", DMA ")
                .append(translation.name().toLowerCase(Locale.ROOT)).append(')').append(nl);
        text.append(String.format(Locale.ROOT, "  source    %s at %s 0x%x..0x%x%n", ByteSize.format(size), what,
                sourceAddress, sourceAddress + size - 1));
        text.append(String.format(Locale.ROOT, "  target    %s at %s 0x%x..0x%x%n", ByteSize.format(size), what,
                targetAddress, targetAddress + size - 1));
        text.append(String.format(Locale.ROOT, "  moved     %s (%d bytes) in %d DMA commands of up to %d bytes, RAM -> device -> RAM%n",
                ByteSize.format(bytesMoved()), bytesMoved(), commands, transferSize));
        text.append(String.format(Locale.ROOT, "  time      %.3f s, %s/s, %.2f ms per command, %.1f polls per command%n",
                elapsedNanos / 1e9, ByteSize.format((long) bytesPerSecond()),
                commands == 0 ? 0 : elapsedNanos / 1e6 / commands, commands == 0 ? 0 : (double) polls / commands));
        if (verified()) {
            text.append(String.format(Locale.ROOT, "  verified  %s (%d bytes) identical to the random pattern (seed 0x%x)%n",
                    ByteSize.format(size), size, seed));
            text.append("PASSED");
        } else {
            text.append(String.format(Locale.ROOT, "  verified  %d bytes before the first difference at offset 0x%x"
                    + " (%s 0x%x, pattern seed 0x%x)%n", firstMismatch, firstMismatch, what,
                    targetAddress + firstMismatch, seed));
            text.append("FAILED");
        }
        return text.toString();
    }
}

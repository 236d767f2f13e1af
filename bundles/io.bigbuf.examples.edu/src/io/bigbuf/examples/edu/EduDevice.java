package io.bigbuf.examples.edu;

/**
 * Register access to one edu device: the thin layer between the driver logic
 * ({@link EduDmaEngine}) and the hardware. {@link PciEduDevice} maps the real BAR0; tests
 * substitute a model of the device. Offsets are relative to BAR0, see {@link EduRegisters}.
 *
 * <p>Every call is one access of exactly the stated width, in program order, never cached or
 * merged: device registers have side effects.
 */
public interface EduDevice extends AutoCloseable {

    /** Where the device is, e.g. the PCI address {@code 0000:00:04.0}. */
    String name();

    int read32(long offset);

    void write32(long offset, int value);

    long read64(long offset);

    void write64(long offset, long value);

    /** Releases the device (unmaps it, restores its PCI command register). Idempotent. */
    @Override
    void close();
}

package io.bigbuf.examples.edu;

/**
 * Register map of QEMU's educational PCI device ({@code -device edu}, {@code hw/misc/edu.c},
 * {@code docs/specs/edu.rst}). All registers live in BAR0 (1 MiB of MMIO). Registers below
 * {@code 0x80} take 32-bit accesses only, the DMA registers from {@code 0x80} take 32- or 64-bit
 * accesses; any other width is ignored by the device (reads return all ones).
 */
public final class EduRegisters {

    /** PCI vendor id of QEMU's own devices. */
    public static final int VENDOR_ID = 0x1234;

    /** PCI device id of edu. */
    public static final int DEVICE_ID = 0x11e8;

    /** Size of BAR0. */
    public static final long BAR0_SIZE = 1L << 20;

    /** 32-bit, read-only: {@code 0xRRrr00ed} (major, minor version, magic {@code 0xed}). */
    public static final long IDENTIFICATION = 0x00;

    /** Low byte of {@link #IDENTIFICATION}. */
    public static final int IDENTIFICATION_MAGIC = 0xed;

    /** 32-bit: reads back the bitwise inverse of the last value written (a liveness check). */
    public static final long LIVENESS = 0x04;

    /** 64-bit: DMA source address (bus address in RAM, or an address in the device buffer). */
    public static final long DMA_SOURCE = 0x80;

    /** 64-bit: DMA destination address. */
    public static final long DMA_DESTINATION = 0x88;

    /** 64-bit: number of bytes to transfer. */
    public static final long DMA_COUNT = 0x90;

    /** 64-bit: DMA command; the device clears {@link #COMMAND_START} when the transfer is done. */
    public static final long DMA_COMMAND = 0x98;

    /** Command bit: start the transfer; reads as set while it runs. */
    public static final long COMMAND_START = 0x1;

    /** Command bit: direction device buffer to RAM when set, RAM to device buffer when clear. */
    public static final long COMMAND_TO_RAM = 0x2;

    /** Command bit: raise an interrupt when done (unused here: userspace has no handler). */
    public static final long COMMAND_RAISE_IRQ = 0x4;

    /** Address of the device's internal DMA buffer in its own DMA address space. */
    public static final long DEVICE_BUFFER_ADDRESS = 0x40000;

    /** Size of the device's internal DMA buffer. */
    public static final int DEVICE_BUFFER_SIZE = 4096;

    /** Width of the device's DMA addresses (its default {@code dma_mask} property). */
    public static final int DMA_ADDRESS_BITS = 28;

    /** Highest bus address the device can reach: RAM buffers must end at or below it. */
    public static final long DMA_LIMIT = (1L << DMA_ADDRESS_BITS) - 1;

    /**
     * Largest transfer per command that every QEMU version accepts. The device buffer holds 4096
     * bytes, but up to QEMU 7.2 the device's range check treats the end of a transfer as inclusive
     * and aborts the whole emulator (hw_error) for any transfer that touches the buffer's last byte.
     * 4095 bytes per command cost two extra commands per direction for 16 MiB (4098 instead of 4096).
     */
    public static final int SAFE_TRANSFER_SIZE = DEVICE_BUFFER_SIZE - 1;

    private EduRegisters() {
    }
}

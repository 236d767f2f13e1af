package io.bigbuf.pci;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A PCI function open for exclusive use ({@link PciDevice#open()}). Closing it unmaps its BARs
 * (later accesses throw {@link IllegalStateException}, never crash the JVM) and restores its
 * command register as {@code open()} found it, so bus mastering is off again unless it was on.
 * Thread-safe.
 */
@ProviderType
public interface PciFunction extends AutoCloseable {

    /**
     * The function.
     *
     * @return the device this was opened from
     */
    PciDevice device();

    /**
     * A memory BAR, mapped on first use.
     *
     * @param index BAR number, 0..5
     * @return the mapping, the same object on every call until close
     * @throws IllegalArgumentException no memory BAR of that index ({@link PciDevice#bars()})
     * @throws PciException the mapping failed
     * @throws IllegalStateException closed
     */
    Bar bar(int index);

    /**
     * Reads a byte of configuration space.
     *
     * @param offset 0..size-1 of the configuration space (256 or 4096 bytes)
     * @return the value, 0..0xff
     * @throws IndexOutOfBoundsException offset out of range
     * @throws PciException the read failed
     */
    int readConfig8(int offset);

    /**
     * Reads a 16-bit word of configuration space (little-endian, as PCI defines it).
     *
     * @param offset a multiple of 2
     * @return the value, 0..0xffff
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException offset not aligned
     * @throws PciException the read failed
     */
    int readConfig16(int offset);

    /**
     * Reads a 32-bit word of configuration space.
     *
     * @param offset a multiple of 4
     * @return the value
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException offset not aligned
     * @throws PciException the read failed
     */
    int readConfig32(int offset);

    /**
     * Writes a byte of configuration space.
     *
     * @param offset 0..size-1
     * @param value  0..0xff
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException value out of range
     * @throws PciException the write failed
     */
    void writeConfig8(int offset, int value);

    /**
     * Writes a 16-bit word of configuration space.
     *
     * @param offset a multiple of 2
     * @param value  0..0xffff
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException offset not aligned or value out of range
     * @throws PciException the write failed
     */
    void writeConfig16(int offset, int value);

    /**
     * Writes a 32-bit word of configuration space.
     *
     * @param offset a multiple of 4
     * @param value  the value
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException offset not aligned
     * @throws PciException the write failed
     */
    void writeConfig32(int offset, int value);

    /**
     * Lets the function issue DMA, or stops it (the command register's Bus Master bit). Program
     * the device with buffer addresses only while it is on, and switch it off, or close, before
     * those buffers go.
     *
     * @param enabled whether the function may master the bus
     * @throws PciException the write failed
     */
    void setBusMaster(boolean enabled);

    /**
     * Whether the function may issue DMA now.
     *
     * @return the command register's Bus Master bit
     */
    boolean busMaster();

    /**
     * Whether {@link #close()} has run.
     *
     * @return true once closed
     */
    boolean isClosed();

    /** Unmaps the BARs, restores the command register and gives the function back. Idempotent. */
    @Override
    void close();
}

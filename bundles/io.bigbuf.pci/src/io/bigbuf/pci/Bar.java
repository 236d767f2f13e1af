package io.bigbuf.pci;

import java.lang.foreign.MemorySegment;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A memory BAR mapped into the process. Every access is one volatile load or store of exactly
 * the stated width in program order (device registers have side effects: nothing is cached,
 * merged, split or reordered). Offsets are bounds-checked and must be aligned to the width; a bad
 * offset throws, it never reaches the bus.
 */
@ProviderType
public interface Bar {

    /**
     * Which BAR this is.
     *
     * @return its description
     */
    BarInfo info();

    /**
     * Bytes mapped.
     *
     * @return the BAR's size
     */
    long size();

    /**
     * Reads a byte.
     *
     * @param offset 0..size-1
     * @return the value, 0..0xff
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalStateException the function was closed
     */
    int read8(long offset);

    /**
     * Reads a 16-bit value (the platform's byte order, little-endian on x86, as PCI defines it).
     *
     * @param offset a multiple of 2
     * @return the value, 0..0xffff
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException offset not aligned
     * @throws IllegalStateException the function was closed
     */
    int read16(long offset);

    /**
     * Reads a 32-bit value.
     *
     * @param offset a multiple of 4
     * @return the value
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException offset not aligned
     * @throws IllegalStateException the function was closed
     */
    int read32(long offset);

    /**
     * Reads a 64-bit value in one access (devices that need two 32-bit halves document it).
     *
     * @param offset a multiple of 8
     * @return the value
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException offset not aligned
     * @throws IllegalStateException the function was closed
     */
    long read64(long offset);

    /**
     * Writes a byte.
     *
     * @param offset 0..size-1
     * @param value  the low 8 bits are written
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalStateException the function was closed
     */
    void write8(long offset, int value);

    /**
     * Writes a 16-bit value.
     *
     * @param offset a multiple of 2
     * @param value  the low 16 bits are written
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException offset not aligned
     * @throws IllegalStateException the function was closed
     */
    void write16(long offset, int value);

    /**
     * Writes a 32-bit value.
     *
     * @param offset a multiple of 4
     * @param value  the value
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException offset not aligned
     * @throws IllegalStateException the function was closed
     */
    void write32(long offset, int value);

    /**
     * Writes a 64-bit value in one access.
     *
     * @param offset a multiple of 8
     * @param value  the value
     * @throws IndexOutOfBoundsException offset out of range
     * @throws IllegalArgumentException offset not aligned
     * @throws IllegalStateException the function was closed
     */
    void write64(long offset, long value);

    /**
     * The mapping itself, for bulk copies into device memory (plain accesses, no ordering: not
     * for registers).
     *
     * @return the segment, valid until the function is closed
     */
    MemorySegment segment();
}

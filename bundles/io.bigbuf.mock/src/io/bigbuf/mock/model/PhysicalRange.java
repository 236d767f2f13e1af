package io.bigbuf.mock.model;

/**
 * A run of whole pages in the simulated physical address space.
 *
 * @param address physical address of the first byte (page-aligned)
 * @param length  bytes, a multiple of the page size
 */
public record PhysicalRange(long address, long length) {

    /** Physical address of the last byte, inclusive. */
    public long lastAddress() {
        return address + length - 1;
    }

    public boolean overlaps(PhysicalRange other) {
        return address <= other.lastAddress() && other.address <= lastAddress();
    }
}

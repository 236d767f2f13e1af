package io.bigbuf.pci;

/**
 * One base address register of a function as the platform assigned it.
 *
 * @param index         BAR number, 0..5
 * @param start         bus address of the region (what the CPU's physical address map shows)
 * @param size          bytes the region decodes, a power of two
 * @param memory        memory space (true) or I/O port space (false); only memory BARs map
 * @param is64Bit       a 64-bit memory BAR (it occupies this and the next register)
 * @param prefetchable  reads have no side effects (the platform may merge and prefetch them)
 */
public record BarInfo(int index, long start, long size, boolean memory, boolean is64Bit, boolean prefetchable) {

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException index out of 0..5, negative start or non-positive size
     */
    public BarInfo {
        if (index < 0 || index > 5) {
            throw new IllegalArgumentException("BAR index must be 0..5, got " + index);
        }
        if (size <= 0 || start < 0) {
            throw new IllegalArgumentException("BAR " + index + ": start " + start + ", size " + size);
        }
    }
}

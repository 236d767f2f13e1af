package io.bigbuf.api;

import java.util.Objects;

/**
 * What a caller wants from {@link ContiguousAllocator#allocate(AllocationRequest)}.
 *
 * <p>Built with {@link #ofSize(long)} and the {@code with...} methods; every instance is valid by
 * construction (bad values throw {@link InvalidAllocationRequestException} right away, before any
 * backend is involved). Backend-specific limits (page size, total memory) are checked by the backend.
 *
 * @param size       bytes, &gt; 0
 * @param alignment  required alignment of the physical address in bytes: 0 for the backend's page
 *                   size, otherwise a power of two no smaller than the page size
 * @param maxAddress highest physical address the buffer's <em>last</em> byte may have, inclusive
 *                   (e.g. {@code 0xFFFF_FFFFL} for a 32-bit device); {@link #NO_ADDRESS_LIMIT}
 *                   for none
 * @param label      free-form tag shown in listings (never null, may be empty)
 */
public record AllocationRequest(long size, long alignment, long maxAddress, String label) {

    /** {@link #maxAddress()} value meaning "anywhere". */
    public static final long NO_ADDRESS_LIMIT = Long.MAX_VALUE;

    private static final int MAX_LABEL_LENGTH = 64;

    public AllocationRequest {
        if (size <= 0) {
            throw new InvalidAllocationRequestException(
                    "size must be positive, got " + size + " bytes");
        }
        if (alignment < 0 || Long.bitCount(alignment) > 1) {
            throw new InvalidAllocationRequestException(
                    "alignment must be 0 (page) or a power of two, got " + alignment);
        }
        if (maxAddress <= 0) {
            throw new InvalidAllocationRequestException(
                    "maxAddress must be positive, got 0x" + Long.toHexString(maxAddress));
        }
        if (maxAddress != NO_ADDRESS_LIMIT && size - 1 > maxAddress) {
            throw new InvalidAllocationRequestException(
                    ByteSize.format(size) + " cannot fit below maxAddress 0x" + Long.toHexString(maxAddress));
        }
        Objects.requireNonNull(label, "label");
        if (label.length() > MAX_LABEL_LENGTH || label.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidAllocationRequestException(
                    "label must be at most " + MAX_LABEL_LENGTH + " printable characters");
        }
    }

    /** A page-aligned request for {@code size} bytes anywhere, without label. */
    public static AllocationRequest ofSize(long size) {
        return new AllocationRequest(size, 0, NO_ADDRESS_LIMIT, "");
    }

    public AllocationRequest withAlignment(long newAlignment) {
        return new AllocationRequest(size, newAlignment, maxAddress, label);
    }

    public AllocationRequest withMaxAddress(long newMaxAddress) {
        return new AllocationRequest(size, alignment, newMaxAddress, label);
    }

    /** Limits the buffer to what a device with {@code bits} address lines can reach (e.g. 28, 32). */
    public AllocationRequest withAddressBits(int bits) {
        if (bits < 12 || bits > 63) {
            throw new InvalidAllocationRequestException(
                    "address bits must be between 12 and 63, got " + bits);
        }
        return withMaxAddress(bits == 63 ? NO_ADDRESS_LIMIT : (1L << bits) - 1);
    }

    public AllocationRequest withLabel(String newLabel) {
        return new AllocationRequest(size, alignment, maxAddress, newLabel);
    }

    /** Whether {@link #maxAddress()} restricts placement. */
    public boolean hasAddressLimit() {
        return maxAddress != NO_ADDRESS_LIMIT;
    }

    /**
     * The alignment a backend with the given page size must honour: the page size for 0, else the
     * requested alignment.
     *
     * @throws InvalidAllocationRequestException a non-zero alignment below the page size
     */
    public long effectiveAlignment(long pageSize) {
        if (alignment == 0) {
            return pageSize;
        }
        if (alignment < pageSize) {
            throw new InvalidAllocationRequestException("alignment " + alignment
                    + " is below the page size " + pageSize + "; use 0 or a power of two >= " + pageSize);
        }
        return alignment;
    }
}

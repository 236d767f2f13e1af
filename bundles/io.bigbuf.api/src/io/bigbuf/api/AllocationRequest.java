package io.bigbuf.api;

import java.util.Objects;
import java.util.Optional;

/**
 * What a caller wants from {@link ContiguousAllocator#allocate(AllocationRequest)}.
 *
 * <p>Built with {@link #ofSize(long)} and the {@code with...}/{@code for...}/{@code on...}
 * methods; every instance is valid by construction (bad values throw
 * {@link InvalidAllocationRequestException} right away, before any backend is involved).
 * Backend-specific limits (page size, total memory) are checked by the backend.
 *
 * <p><b>For a device.</b> A request that names the PCI function that will use the buffer
 * ({@link #forDevice}) gets it mapped for that function in the same call, with the address the
 * function must use ({@link DmaBuffer#deviceAddress(PciAddress)}), placed on the function's NUMA
 * node, and {@link #maxAddress()} then limits that <em>device</em> address: behind a translating
 * IOMMU the buffer may lie anywhere in memory and still be reachable by a device with few
 * address lines. Without a device, {@link #maxAddress()} limits the physical address.
 *
 * @param size        bytes, &gt; 0
 * @param alignment   required alignment in bytes (of the device address for a request with a
 *                    device behind a translating IOMMU, else of the physical address): 0 for the
 *                    backend's page size, otherwise a power of two no smaller than the page size
 * @param maxAddress  highest address the buffer's <em>last</em> byte may have, inclusive (e.g.
 *                    {@code 0xFFFF_FFFFL} for a 32-bit device); {@link #NO_ADDRESS_LIMIT} for none
 *                    (with a device: the function's default, 32 bits for PCI)
 * @param label       free-form tag shown in listings (never null, may be empty)
 * @param device      the PCI function to map the buffer for, or null; since 1.2
 * @param contiguity  {@link Contiguity#PHYSICAL} (the default) or {@link Contiguity#DEVICE}, which
 *                    needs a device; since 1.2
 * @param numaNode    NUMA node to take the memory from, or {@link #ANY_NODE} (the device's node if
 *                    there is a device); since 1.2
 * @param nodeStrict  whether only {@code numaNode} may supply the memory (else other nodes when
 *                    it has no room); since 1.2
 */
public record AllocationRequest(long size, long alignment, long maxAddress, String label, PciAddress device,
        Contiguity contiguity, int numaNode, boolean nodeStrict) {

    /** {@link #maxAddress()} value meaning "anywhere". */
    public static final long NO_ADDRESS_LIMIT = Long.MAX_VALUE;

    /** {@link #numaNode()} value meaning "no preference". */
    public static final int ANY_NODE = -1;

    private static final int MAX_LABEL_LENGTH = 64;

    /**
     * Checks every component; see the record's description for their meaning.
     *
     * @throws InvalidAllocationRequestException a value out of range or a combination that cannot
     *         be served (a device-contiguous buffer without a device, a strict node without a node)
     * @throws NullPointerException a null {@code label} or {@code contiguity}
     */
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
        Objects.requireNonNull(contiguity, "contiguity");
        if (contiguity == Contiguity.DEVICE && device == null) {
            throw new InvalidAllocationRequestException("a device-contiguous buffer is contiguous only for a device:"
                    + " name it with forDevice(PciAddress)");
        }
        if (numaNode < ANY_NODE) {
            throw new InvalidAllocationRequestException("NUMA node must be >= 0 or ANY_NODE, got " + numaNode);
        }
        if (nodeStrict && numaNode == ANY_NODE) {
            throw new InvalidAllocationRequestException("a strict NUMA placement needs a node: use onNodeOnly(node)");
        }
    }

    /**
     * The API 1.0 form: no device, physically contiguous, any node.
     *
     * @param size       bytes, &gt; 0
     * @param alignment  0 for the backend's page size, else a power of two no smaller than it
     * @param maxAddress highest physical address of the last byte, inclusive, or {@link #NO_ADDRESS_LIMIT}
     * @param label      free-form tag shown in listings (never null, may be empty)
     */
    public AllocationRequest(long size, long alignment, long maxAddress, String label) {
        this(size, alignment, maxAddress, label, null, Contiguity.PHYSICAL, ANY_NODE, false);
    }

    /**
     * A page-aligned request for {@code size} bytes anywhere, without label.
     *
     * @param size bytes, &gt; 0
     * @return the request
     */
    public static AllocationRequest ofSize(long size) {
        return new AllocationRequest(size, 0, NO_ADDRESS_LIMIT, "");
    }

    /**
     * This request with another alignment.
     *
     * @param newAlignment 0 for the backend's page size, else a power of two no smaller than it
     * @return the changed copy
     */
    public AllocationRequest withAlignment(long newAlignment) {
        return new AllocationRequest(size, newAlignment, maxAddress, label, device, contiguity, numaNode, nodeStrict);
    }

    /**
     * This request with another limit for the address of its last byte.
     *
     * @param newMaxAddress highest address the last byte may have, inclusive, or {@link #NO_ADDRESS_LIMIT}
     * @return the changed copy
     */
    public AllocationRequest withMaxAddress(long newMaxAddress) {
        return new AllocationRequest(size, alignment, newMaxAddress, label, device, contiguity, numaNode, nodeStrict);
    }

    /**
     * Limits the buffer to what a device with {@code bits} address lines can reach (e.g. 28, 32).
     *
     * @param bits address lines, 12 to 63 (63: no limit)
     * @return the changed copy
     */
    public AllocationRequest withAddressBits(int bits) {
        if (bits < 12 || bits > 63) {
            throw new InvalidAllocationRequestException(
                    "address bits must be between 12 and 63, got " + bits);
        }
        return withMaxAddress(bits == 63 ? NO_ADDRESS_LIMIT : (1L << bits) - 1);
    }

    /**
     * This request with another label.
     *
     * @param newLabel free-form tag shown in listings, at most 64 printable characters
     * @return the changed copy
     */
    public AllocationRequest withLabel(String newLabel) {
        return new AllocationRequest(size, alignment, maxAddress, newLabel, device, contiguity, numaNode, nodeStrict);
    }

    /**
     * Maps the buffer for this PCI function in the same call; {@link #maxAddress()} becomes the
     * function's address limit. Since 1.2.
     *
     * @param newDevice the PCI function that will use the buffer
     * @return the changed copy
     */
    public AllocationRequest forDevice(PciAddress newDevice) {
        return new AllocationRequest(size, alignment, maxAddress, label, Objects.requireNonNull(newDevice, "device"),
                contiguity, numaNode, nodeStrict);
    }

    /**
     * {@link Contiguity#DEVICE}: pages anywhere, contiguous for the device behind its IOMMU, so that
     * the buffer can be far larger than any free physically contiguous range. Since 1.2.
     *
     * @param newContiguity {@link Contiguity#DEVICE} (needs a device) or {@link Contiguity#PHYSICAL}
     * @return the changed copy
     */
    public AllocationRequest withContiguity(Contiguity newContiguity) {
        return new AllocationRequest(size, alignment, maxAddress, label, device, newContiguity, numaNode, nodeStrict);
    }

    /**
     * Memory from this NUMA node first (others when it has no room). Since 1.2.
     *
     * @param node NUMA node, &ge; 0, or {@link #ANY_NODE}
     * @return the changed copy
     */
    public AllocationRequest onNode(int node) {
        return new AllocationRequest(size, alignment, maxAddress, label, device, contiguity, node, false);
    }

    /**
     * Memory from this NUMA node only. Since 1.2.
     *
     * @param node NUMA node, &ge; 0
     * @return the changed copy
     */
    public AllocationRequest onNodeOnly(int node) {
        return new AllocationRequest(size, alignment, maxAddress, label, device, contiguity, node, true);
    }

    /**
     * Whether {@link #maxAddress()} restricts placement.
     *
     * @return false for {@link #NO_ADDRESS_LIMIT}
     */
    public boolean hasAddressLimit() {
        return maxAddress != NO_ADDRESS_LIMIT;
    }

    /**
     * The device the buffer is for, if any. Since 1.2.
     *
     * @return the device, or empty
     */
    public Optional<PciAddress> targetDevice() {
        return Optional.ofNullable(device);
    }

    /**
     * Whether anything of API 1.2 is asked for: a device, device contiguity or a NUMA node.
     *
     * @return true if a 1.0 backend could not serve this request as asked
     */
    public boolean needsPlacement() {
        return device != null || contiguity != Contiguity.PHYSICAL || numaNode != ANY_NODE;
    }

    /**
     * The alignment a backend with the given page size must honour: the page size for 0, else the
     * requested alignment.
     *
     * @param pageSize the backend's page size in bytes
     * @return the alignment in bytes, never 0
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

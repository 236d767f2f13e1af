package io.bigbuf.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AllocationRequestTest {

    @Test
    void defaultsArePageAlignedAnywhereUnlabelled() {
        AllocationRequest r = AllocationRequest.ofSize(4096);
        assertEquals(0, r.alignment());
        assertFalse(r.hasAddressLimit());
        assertEquals("", r.label());
        assertEquals(4096, r.effectiveAlignment(4096));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void rejectsNonPositiveSizes(long size) {
        InvalidAllocationRequestException e =
                assertThrows(InvalidAllocationRequestException.class, () -> AllocationRequest.ofSize(size));
        assertTrue(e.getMessage().contains("size must be positive"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {-4096, 3, 4097, 12288})
    void rejectsAlignmentThatIsNotAPowerOfTwo(long alignment) {
        assertThrows(InvalidAllocationRequestException.class,
                () -> AllocationRequest.ofSize(4096).withAlignment(alignment));
    }

    @Test
    void alignmentBelowPageSizeIsRejectedByTheBackendRule() {
        AllocationRequest r = AllocationRequest.ofSize(4096).withAlignment(512);
        InvalidAllocationRequestException e =
                assertThrows(InvalidAllocationRequestException.class, () -> r.effectiveAlignment(4096));
        assertTrue(e.getMessage().contains("below the page size"), e.getMessage());
        assertEquals(1 << 20, r.withAlignment(1 << 20).effectiveAlignment(4096));
    }

    @Test
    void addressBitsTranslateToInclusiveMaxAddress() {
        assertEquals(0xFFF_FFFFL, AllocationRequest.ofSize(4096).withAddressBits(28).maxAddress());
        assertEquals(0xFFFF_FFFFL, AllocationRequest.ofSize(4096).withAddressBits(32).maxAddress());
        assertThrows(InvalidAllocationRequestException.class, () -> AllocationRequest.ofSize(4096).withAddressBits(8));
        assertThrows(InvalidAllocationRequestException.class, () -> AllocationRequest.ofSize(4096).withAddressBits(64));
    }

    @Test
    void sizeThatCannotFitBelowTheLimitIsRejected() {
        assertThrows(InvalidAllocationRequestException.class,
                () -> AllocationRequest.ofSize(512L << 20).withAddressBits(28));
        assertThrows(InvalidAllocationRequestException.class,
                () -> AllocationRequest.ofSize(4096).withMaxAddress(0));
    }

    @Test
    void labelsMustBeShortAndPrintable() {
        assertThrows(InvalidAllocationRequestException.class,
                () -> AllocationRequest.ofSize(4096).withLabel("a\nb"));
        assertThrows(InvalidAllocationRequestException.class,
                () -> AllocationRequest.ofSize(4096).withLabel("x".repeat(65)));
        assertThrows(NullPointerException.class, () -> AllocationRequest.ofSize(4096).withLabel(null));
        assertEquals("dma ring", AllocationRequest.ofSize(4096).withLabel("dma ring").label());
    }

    @Test
    void aDeviceRequestKeepsEverythingElseAndTheOldConstructorMeansNone() {
        PciAddress edu = PciAddress.parse("0000:00:04.0");
        AllocationRequest r = AllocationRequest.ofSize(1 << 20).withAddressBits(28).withLabel("dma").forDevice(edu)
                .withContiguity(Contiguity.DEVICE).onNode(1);
        assertEquals(edu, r.device());
        assertEquals(java.util.Optional.of(edu), r.targetDevice());
        assertEquals(Contiguity.DEVICE, r.contiguity());
        assertEquals(1, r.numaNode());
        assertEquals((1L << 28) - 1, r.maxAddress());
        assertEquals("dma", r.label());
        assertTrue(r.needsPlacement());
        assertTrue(r.withAlignment(1 << 21).withLabel("x").withMaxAddress(0xffff_ffffL).device() == edu);
        AllocationRequest plain = new AllocationRequest(4096, 0, AllocationRequest.NO_ADDRESS_LIMIT, "");
        assertEquals(null, plain.device());
        assertEquals(Contiguity.PHYSICAL, plain.contiguity());
        assertEquals(AllocationRequest.ANY_NODE, plain.numaNode());
        assertFalse(plain.needsPlacement());
        assertTrue(plain.onNodeOnly(0).nodeStrict());
        assertFalse(plain.onNodeOnly(0).onNode(0).nodeStrict());
    }

    @Test
    void deviceContiguityAndStrictNodesNeedWhatTheyReferTo() {
        AllocationRequest r = AllocationRequest.ofSize(4096);
        InvalidAllocationRequestException e = assertThrows(InvalidAllocationRequestException.class,
                () -> r.withContiguity(Contiguity.DEVICE));
        assertTrue(e.getMessage().contains("forDevice"), e.getMessage());
        assertThrows(InvalidAllocationRequestException.class, () -> r.onNode(-2));
        assertThrows(InvalidAllocationRequestException.class, () -> r.onNodeOnly(AllocationRequest.ANY_NODE));
        assertThrows(NullPointerException.class, () -> r.forDevice(null));
    }
}

package @driver.package@;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.api.InvalidAllocationRequestException;
import io.bigbuf.api.PciAddress;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.IommuModel;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.lang.annotation.Annotation;
import java.lang.foreign.ValueLayout;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The driver's logic without OSGi: the test calls the DS lifecycle methods in the order SCR
 * does (bind, activate, ..., deactivate, unbind), on mock allocators that simulate a machine with
 * 8 GiB of physical memory. The mock places a buffer as high as it fits, so a buffer below 4 GiB
 * shows that the driver's address limit was applied.
 */
class @driver.class@Test {

    private static final long MIB = 1L << 20;
    private static final long FOUR_GIB = 1L << 32;
    private static final PciAddress DEVICE = PciAddress.parse("0000:00:04.0");

    private final MockAllocator mock = mock("unit test");
    private final MockAllocator other = mock("replacement");
    private final @driver.class@ driver = new @driver.class@();

    private static MockAllocator mock(String description) {
        // base 0, 8 GiB, 4 KiB pages, 4 MiB max-order blocks; PCI function 0000:00:04.0, no IOMMU
        return new MockAllocator(new PhysicalMemoryModel(0, 8L << 30, 4096, 10),
                new IommuModel(IommuModel.Mode.OFF, Set.of(DEVICE), Set.of(), 4096), description, 0);
    }

    @AfterEach
    void shutDown() {
        mock.shutdown();
        other.shutdown();
    }

    /** SCR's order: the mandatory reference first, then activate. */
    private DmaBuffer start(@driver.class@Configuration config) {
        driver.bindAllocator(mock);
        driver.activate(config);
        return driver.buffer().orElseThrow(() -> new AssertionError("no buffer after activate: " + mock.buffers()));
    }

    @Test
    void activateTakesABufferOfTheConfiguredSizeBelowTheDevicesLimit() {
        DmaBuffer buffer = start(config("2M", 32, ""));

        assertEquals(2 * MIB, buffer.size());
        assertEquals(@driver.class@.LABEL, buffer.label());
        assertTrue(buffer.physicalAddress() + buffer.size() <= FOUR_GIB,
                "buffer at 0x" + Long.toHexString(buffer.physicalAddress()) + " crosses the 32-bit limit");
        assertEquals(buffer.physicalAddress(), driver.dmaAddress(buffer));
        assertEquals(0, buffer.segment().get(ValueLayout.JAVA_BYTE, buffer.size() - 1));
        assertEquals(1, mock.buffers().size());
    }

    @Test
    void withoutALimitTheBufferMayLieAboveFourGib() {
        DmaBuffer buffer = start(config("2M", 0, ""));

        assertTrue(buffer.physicalAddress() >= FOUR_GIB, "the mock places it at the top of its 8 GiB");
    }

    @Test
    void aBufferForAPciFunctionCarriesItsDeviceAddress() {
        DmaBuffer buffer = start(config("1M", 32, "0000:00:04.0"));

        assertEquals(buffer.deviceAddress(DEVICE), driver.dmaAddress(buffer));
        assertTrue(buffer.deviceMapping(DEVICE).isPresent());
    }

    @Test
    void aRevokedBufferIsReplacedFromTheSameAllocator() {
        DmaBuffer first = start(config("1M", 32, ""));

        first.revoke();

        DmaBuffer second = driver.buffer().orElseThrow(() -> new AssertionError("no buffer after revoke"));
        assertTrue(first.isClosed());
        assertNotEquals(first.id(), second.id());
        assertEquals(1, mock.buffers().size(), "only the new buffer is held: " + mock.buffers());
        assertThrows(IllegalStateException.class, () -> first.segment().get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void aBetterAllocatorTakesOverWithoutARestart() {
        DmaBuffer first = start(config("1M", 32, ""));

        // greedy rebind: SCR binds the better service, then unbinds the old one
        driver.bindAllocator(other);
        driver.unbindAllocator(mock);

        DmaBuffer moved = driver.buffer().orElseThrow(() -> new AssertionError("no buffer after the swap"));
        assertTrue(first.isClosed(), "the old backend's buffer is given back");
        assertEquals(0, mock.buffers().size());
        assertEquals(1, other.buffers().size());
        assertEquals(other.buffers().get(0).id(), moved.id());
    }

    @Test
    void theBackendGoingAwayClosesTheBufferAndTheDriverWaits() {
        DmaBuffer first = start(config("1M", 32, ""));

        mock.shutdown(); // the backend's bundle stops: it closes its buffers, then SCR unbinds
        assertTrue(first.isClosed());
        assertFalse(driver.buffer().isPresent(), "no buffer from a backend that is gone");
        driver.unbindAllocator(mock);

        driver.bindAllocator(other); // the next backend: the driver takes a buffer there
        assertEquals(1, other.buffers().size());
        assertTrue(driver.buffer().isPresent());
    }

    @Test
    void anAllocationThatFailsLeavesTheDriverWithoutABufferNotBroken() {
        MockAllocator full = new MockAllocator(new PhysicalMemoryModel(0, 64 * MIB, 4096, 10), "out of memory", 1);
        driver.bindAllocator(full); // failure injection: every allocation fails, as on a machine out of memory
        driver.activate(config("1M", 32, ""));
        assertFalse(driver.buffer().isPresent());

        driver.bindAllocator(mock); // a better backend arrives: the driver gets its buffer there
        driver.unbindAllocator(full);
        assertTrue(driver.buffer().isPresent());
        full.shutdown();
    }

    @Test
    void aPciFunctionTheBackendCannotMapLeavesTheDriverWithoutABuffer() {
        driver.bindAllocator(mock);
        driver.activate(config("1M", 32, "0000:00:09.0")); // not a function of the simulated machine

        assertFalse(driver.buffer().isPresent());
        assertEquals(0, mock.buffers().size());
    }

    @Test
    void aBadConfigurationFailsTheActivation() {
        driver.bindAllocator(mock);
        assertThrows(IllegalArgumentException.class, () -> driver.activate(config("lots", 32, "")));
        assertThrows(InvalidAllocationRequestException.class, () -> driver.activate(config("1M", 8, "")));
        assertEquals(0, mock.buffers().size());
    }

    @Test
    void deactivateClosesTheBuffer() {
        DmaBuffer buffer = start(config("1M", 32, ""));

        driver.deactivate();

        assertTrue(buffer.isClosed());
        assertFalse(driver.buffer().isPresent());
        assertEquals(0, mock.buffers().size());
    }

    /** A configuration as SCR makes one from ConfigAdmin's properties. */
    private static @driver.class@Configuration config(String size, int bits, String device) {
        return new @driver.class@Configuration() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return @driver.class@Configuration.class;
            }

            @Override
            public String buffer_size() {
                return size;
            }

            @Override
            public int address_bits() {
                return bits;
            }

            @Override
            public String pci_device() {
                return device;
            }
        };
    }
}

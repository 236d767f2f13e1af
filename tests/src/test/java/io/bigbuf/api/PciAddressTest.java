package io.bigbuf.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class PciAddressTest {

    @Test
    void parsesWhatLinuxAndLspciPrint() {
        assertEquals(new PciAddress(0, 0, 4, 0), PciAddress.parse("0000:00:04.0"));
        assertEquals(new PciAddress(0, 0, 4, 0), PciAddress.parse("00:04.0"));
        assertEquals(new PciAddress(0x10000, 0xff, 0x1f, 7), PciAddress.parse(" 10000:FF:1f.7 "));
        assertEquals("0000:03:00.1", PciAddress.parse("3:0.1").toString());
        assertEquals("10000:ff:1f.7", new PciAddress(0x10000, 0xff, 0x1f, 7).toString());
    }

    @Test
    void roundTripsThroughItsText() {
        PciAddress a = new PciAddress(0xabcd, 0x12, 0x1e, 5);
        assertEquals(a, PciAddress.parse(a.toString()));
    }

    @Test
    void rejectsAnythingElseWithTheTextInTheMessage() {
        for (String bad : List.of("", "0000:00:04", "0000:00:04.8", "0000:100:04.0", "0000:00:20.0", "zz:00.0",
                "0000:00:04.0.1", "100000000:00:00.0", "0000-00-04.0")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PciAddress.parse(bad),
                    bad);
            assertTrue(e.getMessage().contains("'" + bad + "'") || e.getMessage().contains("domain"), e.getMessage());
        }
    }

    @Test
    void fieldsAreRangeChecked() {
        assertThrows(IllegalArgumentException.class, () -> new PciAddress(-1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new PciAddress(0, 256, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new PciAddress(0, 0, 32, 0));
        assertThrows(IllegalArgumentException.class, () -> new PciAddress(0, 0, 0, 8));
    }

    @Test
    void ordersByDomainBusDeviceFunction() {
        TreeSet<PciAddress> sorted = new TreeSet<>(List.of(PciAddress.parse("0001:00:00.0"),
                PciAddress.parse("0000:01:00.0"), PciAddress.parse("0000:00:04.1"), PciAddress.parse("0000:00:04.0")));
        assertEquals("[0000:00:04.0, 0000:00:04.1, 0000:01:00.0, 0001:00:00.0]", sorted.toString());
    }
}

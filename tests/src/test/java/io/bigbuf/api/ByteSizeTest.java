package io.bigbuf.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

    @ParameterizedTest
    @CsvSource({
        "4096, 4096",
        "64K, 65536",
        "64k, 65536",
        "64M, 67108864",
        "64MB, 67108864",
        "64MiB, 67108864",
        "1G, 1073741824",
        "' 2g ', 2147483648",
        "0x1000, 4096",
        "0, 0",
        "4096B, 4096"
    })
    void parsesWhatPeopleType(String text, long expected) {
        assertEquals(expected, ByteSize.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "M", "64X", "1.5G", "-64M", "-1", "abc", "0xZZ", "9999999999E", "8E"})
    void rejectsGarbageNegativeAndOverflow(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertTrue(e.getMessage().startsWith(text.isBlank() ? "size is empty" : "'" + text + "' is "), e.getMessage());
    }

    @Test
    void formatsExactAndFractionalSizes() {
        assertEquals("512 B", ByteSize.format(512));
        assertEquals("4 KiB", ByteSize.format(4096));
        assertEquals("64 MiB", ByteSize.format(64L << 20));
        assertEquals("1.5 GiB", ByteSize.format(3L << 29));
        assertEquals("4092 KiB", ByteSize.format((4L << 20) - 4096), "just below a limit is not rounded up to it");
        assertEquals("211.1 MiB", ByteSize.format(221_343_744L));
        assertEquals("1234 B", ByteSize.format(1234));
        assertEquals("10.0 KiB", ByteSize.format(10 * 1024 + 1));
        assertEquals("7 EiB", ByteSize.format(7L << 60));
    }
}

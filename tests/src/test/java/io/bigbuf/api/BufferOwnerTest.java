package io.bigbuf.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The owner as the shell and the web console show it, and what it refuses. */
class BufferOwnerTest {

    @Test
    void showsNameVersionAndBundleId() {
        assertEquals("io.bigbuf.shell 1.0.0.202612030900 [7]",
                new BufferOwner("io.bigbuf.shell", "1.0.0.202612030900", 7).toString());
    }

    @Test
    void refusesMissingNamesAndNegativeIds() {
        assertThrows(NullPointerException.class, () -> new BufferOwner(null, "1.0.0", 1));
        assertThrows(NullPointerException.class, () -> new BufferOwner("a", null, 1));
        assertThrows(IllegalArgumentException.class, () -> new BufferOwner("a", "1.0.0", -1));
    }
}

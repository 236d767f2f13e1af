package io.bigbuf.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The greedy-rebind order of Declarative Services: bind the replacement, then unbind the old one. */
class CurrentAllocatorTest {

    private final ContiguousAllocator mock = new NamedAllocator("mock");
    private final ContiguousAllocator kmod = new NamedAllocator("kmod");
    private final CurrentAllocator current = new CurrentAllocator();

    @Test
    void unbindingTheReplacedAllocatorKeepsTheNewOne() {
        current.bind(mock);
        current.bind(kmod);
        current.unbind(mock);
        assertSame(kmod, current.get().orElseThrow());
        assertSame(kmod, current.require("unused"));
    }

    @Test
    void unbindingTheCurrentOneLeavesNone() {
        current.bind(mock);
        current.unbind(mock);
        assertTrue(current.get().isEmpty());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> current.require("no backend; load one"));
        assertEquals("no backend; load one", e.getMessage());
    }

    private record NamedAllocator(String name) implements ContiguousAllocator {
        @Override
        public DmaBuffer allocate(AllocationRequest request) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<DmaBuffer> buffers() {
            return List.of();
        }

        @Override
        public BackendInfo backendInfo() {
            return new BackendInfo(name, name, false, 4096, 4096, -1);
        }

        @Override
        public AllocatorStatistics statistics() {
            throw new UnsupportedOperationException();
        }

        @Override
        public DmaTranslation translation(PciAddress device) {
            throw new UnsupportedOperationException();
        }
    }
}

package io.bigbuf.memorymap;

import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Implemented by a backend that can draw its physical memory, on the same object that it registers
 * as {@link io.bigbuf.api.ContiguousAllocator}. A backend without this interface has no map.
 */
@ProviderType
public interface MemoryMapProvider {

    /**
     * A snapshot of the memory now.
     *
     * @return the map, or empty if the backend cannot tell at the moment (e.g. its device lacks
     *         the interface for it)
     * @throws io.bigbuf.api.BackendUnavailableException the backend has been shut down
     */
    Optional<MemoryMap> memoryMap();
}

package io.bigbuf.api;

/**
 * Service properties and ranking conventions of {@link ContiguousAllocator} services.
 *
 * <p>Backends register with {@code service.ranking} from this class so that a plain
 * {@code @Reference} (highest ranking wins) prefers real hardware over simulation, and a
 * greedy dynamic reference moves to the kernel backend as soon as it appears.
 */
public final class AllocatorServiceProperties {

    /** Service property naming the backend: {@link #BACKEND_MOCK} or {@link #BACKEND_KMOD}. */
    public static final String BACKEND = "bigbuf.backend";

    /** Simulated backend, off-heap memory with fake physical addresses. */
    public static final String BACKEND_MOCK = "mock";

    /** Kernel module backend on {@code /dev/bigbuf}, real bus addresses. */
    public static final String BACKEND_KMOD = "kmod";

    /** {@code service.ranking} of the mock backend. */
    public static final int RANKING_MOCK = 100;

    /** {@code service.ranking} of the kernel backend; above the mock so it wins when present. */
    public static final int RANKING_KERNEL = 1000;

    /** LDAP filter selecting the mock backend. */
    public static final String FILTER_MOCK = "(" + BACKEND + "=" + BACKEND_MOCK + ")";

    /** LDAP filter selecting the kernel backend. */
    public static final String FILTER_KMOD = "(" + BACKEND + "=" + BACKEND_KMOD + ")";

    private AllocatorServiceProperties() {
    }
}

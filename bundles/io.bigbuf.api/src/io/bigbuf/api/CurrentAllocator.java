package io.bigbuf.api;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The allocator a component with an optional, dynamic, greedy {@code ContiguousAllocator}
 * reference currently uses. Declarative Services binds a better-ranked (or replacement) service
 * <em>before</em> it unbinds the old one, so an unbind must only clear the allocator if it is
 * still the current one; this class does that in one place:
 *
 * <pre>{@code
 * private final CurrentAllocator allocator = new CurrentAllocator();
 *
 * @Reference(cardinality = OPTIONAL, policy = DYNAMIC, policyOption = GREEDY, unbind = "unsetAllocator")
 * void setAllocator(ContiguousAllocator a) { allocator.bind(a); }
 * void unsetAllocator(ContiguousAllocator a) { allocator.unbind(a); }
 * }</pre>
 *
 * Thread-safe.
 *
 * @since 1.1
 */
public final class CurrentAllocator {

    private final AtomicReference<ContiguousAllocator> current = new AtomicReference<>();

    /** Without an allocator until {@link #bind} is called. */
    public CurrentAllocator() {
    }

    /**
     * The bind method's work: this allocator is the current one from now on.
     *
     * @param allocator the service DS binds
     */
    public void bind(ContiguousAllocator allocator) {
        current.set(allocator);
    }

    /**
     * The unbind method's work: forgets the allocator unless a replacement was bound already.
     *
     * @param allocator the service DS unbinds
     */
    public void unbind(ContiguousAllocator allocator) {
        current.compareAndSet(allocator, null);
    }

    /**
     * The current allocator, if any.
     *
     * @return the allocator, or empty
     */
    public Optional<ContiguousAllocator> get() {
        return Optional.ofNullable(current.get());
    }

    /**
     * The current allocator.
     *
     * @param whatToDo the message when there is none: what the user can do about it
     * @return the allocator
     * @throws BackendUnavailableException no allocator is bound
     */
    public ContiguousAllocator require(String whatToDo) {
        ContiguousAllocator allocator = current.get();
        if (allocator == null) {
            throw new BackendUnavailableException(whatToDo);
        }
        return allocator;
    }
}

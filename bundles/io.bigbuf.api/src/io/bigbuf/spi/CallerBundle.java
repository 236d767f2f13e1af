package io.bigbuf.spi;

import io.bigbuf.api.BufferOwner;
import java.util.Objects;
import java.util.Optional;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;

/**
 * Finds the {@link BufferOwner} of an allocation: the first bundle on the calling thread's stack
 * that is neither the API bundle nor the backend's bundle (see {@link io.bigbuf.api.DmaBuffer#owner()}).
 *
 * <p>Why the stack and not the service's client bundle: see {@link AllocatorSupport}.
 *
 * <p>{@code org.osgi.framework} is an optional import of the API bundle, so that the API also works
 * in plain Java without the OSGi jar: then every buffer simply has no owner.
 */
final class CallerBundle {

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final boolean OSGI_PRESENT = osgiPresent();

    private CallerBundle() {
    }

    /**
     * The owner of an allocation the current thread is making now.
     *
     * @param backend the allocator's class: its bundle is the backend, not the owner
     * @return the owner, or empty when no class on the stack belongs to a bundle (outside a framework)
     */
    static Optional<BufferOwner> of(Class<?> backend) {
        return OSGI_PRESENT ? Osgi.find(backend) : Optional.empty();
    }

    private static boolean osgiPresent() {
        try {
            Class.forName("org.osgi.framework.FrameworkUtil", false, CallerBundle.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Loaded only if org.osgi.framework is there. */
    private static final class Osgi {

        static Optional<BufferOwner> find(Class<?> backend) {
            // api is null when a framework shares the API from its class path (the embedded tests do);
            // frames of classes in no bundle are skipped either way.
            Bundle api = FrameworkUtil.getBundle(CallerBundle.class);
            Bundle own = FrameworkUtil.getBundle(backend);
            return WALKER.walk(frames -> frames.map(f -> FrameworkUtil.getBundle(f.getDeclaringClass()))
                    .filter(b -> b != null && !b.equals(api) && !b.equals(own))
                    .findFirst())
                    // A bundle without Bundle-SymbolicName (manifest version 1) is named by its location.
                    .map(b -> new BufferOwner(Objects.requireNonNullElse(b.getSymbolicName(), b.getLocation()),
                            b.getVersion().toString(), b.getBundleId()));
        }
    }
}

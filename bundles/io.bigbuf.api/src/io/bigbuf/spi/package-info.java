/**
 * Support for backend providers: what every {@link io.bigbuf.api.ContiguousAllocator} backend
 * has in common, so that a backend is only its allocation logic.
 *
 * <p>A backend extends {@link io.bigbuf.spi.AllocatorSupport} and implements
 * {@link io.bigbuf.spi.AllocatorSupport#allocateBuffer allocateBuffer} (find the memory, describe
 * it in a {@link io.bigbuf.spi.BufferRecord} with the action that gives it back) and, for its
 * buffers, {@link io.bigbuf.spi.BufferSupport#memory()} and
 * {@link io.bigbuf.spi.BufferSupport#invalidate()}. The support layer does the rest the same way
 * for every backend: the shutdown lifecycle, request checks against the
 * {@link io.bigbuf.api.BackendInfo}, the live-buffer registry, the counters of
 * {@link io.bigbuf.api.AllocatorStatistics}, the owner bundle of every buffer, close-once semantics, close listeners and the closed check, and (if
 * the backend asks for it) releasing buffers the program dropped without closing.
 *
 * <p>Only backends use this package; consumers never import it. Its classes are extended by
 * providers, so every change that is not purely additive for a subclass is a major one: backends
 * import it with a provider range, {@code [1.3,1.4)} for this version.
 */
package io.bigbuf.spi;

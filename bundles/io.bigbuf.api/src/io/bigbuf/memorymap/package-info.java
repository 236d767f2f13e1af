/**
 * A picture of a backend's physical memory: one {@link io.bigbuf.memorymap.BlockState} per block
 * (a 2 MiB pageblock on the kernel, a 4 MiB max-order block of the mock's simulated memory), which
 * shows where a large physically contiguous buffer could still be built and what stands in the way.
 *
 * <p>A backend offers it by implementing {@link io.bigbuf.memorymap.MemoryMapProvider} on the
 * object it registers as {@link io.bigbuf.api.ContiguousAllocator}; consumers (the shell's
 * {@code bigbuf:memmap}, the web console) test for that interface. Versioned on its own
 * (semantic versioning, stated in the bundle's {@code Export-Package}); providers import
 * {@code [1.0,1.1)}, consumers {@code [1.0,2.0)}.
 */
package io.bigbuf.memorymap;

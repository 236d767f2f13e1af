/**
 * The bigbuf contract: physically contiguous, device-DMA-capable memory buffers for Java.
 *
 * <p>A backend registers a {@link io.bigbuf.api.ContiguousAllocator} service with the service
 * property {@value io.bigbuf.api.AllocatorServiceProperties#BACKEND} and a {@code service.ranking}
 * from {@link io.bigbuf.api.AllocatorServiceProperties}. Consumers reference the service
 * dynamically and pick up the best-ranked backend; buffers are {@link io.bigbuf.api.DmaBuffer}s
 * exposing a {@link java.lang.foreign.MemorySegment} and the physical address a device uses.
 *
 * <p>Versioning: this package follows OSGi semantic versioning. Consumers import
 * {@code [1.0,2.0)}; backends (providers of {@code ContiguousAllocator}) import {@code [1.0,1.1)}.
 */
package io.bigbuf.api;

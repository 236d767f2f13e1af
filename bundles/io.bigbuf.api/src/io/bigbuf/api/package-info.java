/**
 * The bigbuf contract: physically contiguous, device-DMA-capable memory buffers for Java.
 *
 * <p>A backend registers a {@link io.bigbuf.api.ContiguousAllocator} service with the service
 * property {@value io.bigbuf.api.AllocatorServiceProperties#BACKEND} and a {@code service.ranking}
 * from {@link io.bigbuf.api.AllocatorServiceProperties}. Consumers reference the service
 * dynamically and pick up the best-ranked backend; buffers are {@link io.bigbuf.api.DmaBuffer}s
 * exposing a {@link java.lang.foreign.MemorySegment} and the address a device uses: physical,
 * or, for a buffer mapped for a PCI function ({@link io.bigbuf.api.PciAddress}), the address
 * that function must program whatever its IOMMU does ({@link io.bigbuf.api.DmaTranslation}).
 *
 * <p>Versioning: this package follows OSGi semantic versioning; its version is stated once, in the
 * bundle's {@code Export-Package}, and the build compares every change with the last release
 * ({@code api-baseline/}), failing when the version is not raised as the change requires.
 * {@link io.bigbuf.api.ContiguousAllocator} and {@link io.bigbuf.api.DmaBuffer} are provider types
 * (backends implement them, consumers only call them): consumers import {@code [1.0,2.0)} (or from
 * the minor version whose additions they use, e.g. {@code [1.2,2.0)} for device mappings, {@code [1.3,2.0)}
 * for close listeners, {@code [1.4,2.0)} for {@link io.bigbuf.api.DmaBuffer#owner() buffer owners}, {@code [1.5,2.0)} to catch
 * {@link io.bigbuf.api.MemoryLimitExceededException}), backends import {@code [1.x,1.x+1)} of the version
 * they implement.
 */
package io.bigbuf.api;

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
 * <p>Versioning: this package follows OSGi semantic versioning. Consumers import
 * {@code [1.0,2.0)} (or from the minor version that added what they use, e.g.
 * {@code [1.2,2.0)} for device mappings); backends (providers of {@code ContiguousAllocator}) import {@code [1.2,1.3)}.
 */
package io.bigbuf.api;

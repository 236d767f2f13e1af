/**
 * For writers of PCI device layers: what every layer needs the same way, such as
 * {@link io.bigbuf.pci.spi.SegmentBar}, the register access of a BAR mapped as a
 * {@link java.lang.foreign.MemorySegment}. Driver bundles do not need this package.
 */
package io.bigbuf.pci.spi;

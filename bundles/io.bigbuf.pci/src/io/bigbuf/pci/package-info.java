/**
 * The PCI device layer: one {@link io.bigbuf.pci.PciDevice} service per PCI function, so that a
 * driver bundle references the function it drives by a filter on the service properties of
 * {@link io.bigbuf.pci.PciDeviceProperties} and gets, through
 * {@link io.bigbuf.pci.PciDevice#open()}, exclusive use of it: its BARs as
 * {@link io.bigbuf.pci.Bar}s (volatile accesses of an exact width, bounds-checked), its
 * configuration space and bus mastering.
 *
 * <p>Implementations ("layers") register the services: {@code sysfs} (Linux's
 * {@code /sys/bus/pci/devices}, root needed to open a function), and others with the same
 * contract. A service comes and goes with its function (hot plug, {@code remove}/{@code rescan})
 * and its properties follow driver bind and unbind.
 *
 * <p>Versioning: OSGi semantic versioning, stated once in the bundle's {@code Export-Package} and
 * checked against the last release ({@code api-baseline/}). {@link io.bigbuf.pci.PciDevice},
 * {@link io.bigbuf.pci.PciFunction} and {@link io.bigbuf.pci.Bar} are provider types: driver
 * bundles import {@code [1.0,2.0)}, layers {@code [1.0,1.1)}.
 */
package io.bigbuf.pci;

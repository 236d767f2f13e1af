/**
 * Example of a userspace PCI device driver on bigbuf: it drives QEMU's educational {@code edu}
 * device, which it references as a {@link io.bigbuf.pci.PciDevice} service of the PCI device
 * layer (BAR0, bus mastering), DMAs between bigbuf buffers and the device, and offers the Gogo
 * commands {@code edu:dmatest}, {@code edu:iommutest} and {@code edu:devices}.
 *
 * <p>Layers: {@link io.bigbuf.examples.edu.EduDevice} (register access; {@link
 * io.bigbuf.examples.edu.PciEduDevice} over the PCI device layer), {@link
 * io.bigbuf.examples.edu.EduDmaEngine} (programs one transfer and waits for it), {@link
 * io.bigbuf.examples.edu.DmaRoundTrip} (the contiguity proof), {@link
 * io.bigbuf.examples.edu.EduCommands} (DS component, preconditions, Gogo).
 */
package io.bigbuf.examples.edu;

/**
 * Example of a userspace PCI device driver on bigbuf: it drives QEMU's educational {@code edu}
 * device through sysfs (config space, BAR0 mapped with FFM), DMAs between bigbuf buffers and the
 * device, and offers the Gogo command {@code edu:dmatest}.
 *
 * <p>Layers: {@link io.bigbuf.examples.edu.EduDevice} (register access; {@link
 * io.bigbuf.examples.edu.SysfsEduDevice} for real hardware), {@link
 * io.bigbuf.examples.edu.EduDmaEngine} (programs one transfer and waits for it), {@link
 * io.bigbuf.examples.edu.DmaRoundTrip} (the contiguity proof), {@link
 * io.bigbuf.examples.edu.EduCommands} (DS component, preconditions, Gogo).
 */
package io.bigbuf.examples.edu;

package @driver.package@;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of {@link @driver.class@}, PID {@value @driver.class@#PID}, set by any
 * ConfigAdmin client (bigbuf's {@code bigbuf:config} handles the {@code io.bigbuf.*} PIDs only); a
 * change restarts the component with the new values. bnd generates its Metatype description
 * ({@code OSGI-INF/metatype/}) and the defaults in the component XML. Names: {@code buffer_size}
 * is the property {@code buffer.size}.
 */
@ObjectClassDefinition(id = @driver.class@.PID, name = "@driver.name@",
        description = "The DMA buffer of the @driver.name@ driver.")
public @interface @driver.class@Configuration {

    /** Size of the buffer, e.g. {@code 1M}. */
    @AttributeDefinition(name = "Buffer size", description = "Size of the DMA buffer (e.g. 4096, 64K, 1M).")
    String buffer_size() default "1M";

    /** Address lines of the device: the buffer lies below {@code 2^address_bits}; 0 for no limit. */
    @AttributeDefinition(name = "Address bits", min = "0", max = "63",
            description = "Address lines of the device (e.g. 32): the buffer lies below 2^bits; 0 for no limit.")
    int address_bits() default 32;

    /**
     * PCI function (e.g. {@code 0000:00:04.0}) the buffer is mapped for, so that it has that
     * function's device address (behind an IOMMU: an I/O virtual address); empty for none.
     */
    @AttributeDefinition(name = "PCI device", required = false,
            description = "PCI function the buffer is mapped for (e.g. 0000:00:04.0); empty for none.")
    String pci_device() default "";
}

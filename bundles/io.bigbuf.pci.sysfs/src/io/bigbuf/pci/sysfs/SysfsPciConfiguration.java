package io.bigbuf.pci.sysfs;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the sysfs PCI layer, PID {@value #PID}. */
@ObjectClassDefinition(id = SysfsPciConfiguration.PID, name = "bigbuf PCI device layer (sysfs)",
        description = "Registers a PciDevice service per PCI function listed in sysfs and keeps the services in"
                + " step with hot plug and driver binding.")
public @interface SysfsPciConfiguration {

    /** Configuration PID. */
    String PID = "io.bigbuf.pci.sysfs";

    /** Rescans faster than this would only burn CPU; the layer refuses them. */
    long MIN_RESCAN_INTERVAL_MS = 50;

    @AttributeDefinition(name = "sysfs root", description = "Where sysfs is mounted (a fake tree in tests).")
    String sysfs_root() default "/sys";

    @AttributeDefinition(name = "Rescan interval (ms)", min = "" + MIN_RESCAN_INTERVAL_MS,
            description = "How often to look for PCI functions that appeared, disappeared or changed driver."
                    + " A rescan lists one directory and reads a few small files per function.")
    long rescan_interval_ms() default 2000;
}

package io.bigbuf.kmod;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Configuration of the kernel backend, PID {@value #PID}, read by both
 * {@link io.bigbuf.kmod.osgi.DeviceWatcher} and {@link KmodAllocator}. Each method maps to a
 * property ({@code device_path} is {@code device.path}); the build generates the Metatype
 * description ({@code OSGI-INF/metatype/}) from these annotations, defaults and limits included.
 */
@ObjectClassDefinition(id = KmodConfiguration.PID, name = "bigbuf kernel module backend",
        description = "ContiguousAllocator on the bigbuf kernel module. The allocator is registered only while"
                + " the device exists and speaks this bundle's ABI version. Changing a value restarts the"
                + " backend: all its buffers are closed.")
public @interface KmodConfiguration {

    /** Configuration PID. */
    String PID = "io.bigbuf.kmod";

    /**
     * {@code osgi.condition.id} of the condition the device watcher registers while the device
     * answers with this bundle's ABI, and that the allocator component needs to be satisfied.
     */
    String DEVICE_CONDITION_ID = "bigbuf.kmod.device";

    /** Polls faster than this would only burn CPU; the watcher refuses them. */
    long MIN_POLL_INTERVAL_MS = 10;

    @AttributeDefinition(name = "Device path", description = "Character device of the bigbuf module.")
    String device_path() default "/dev/bigbuf";

    @AttributeDefinition(name = "Poll interval (ms)", min = "" + MIN_POLL_INTERVAL_MS,
            description = "How often to check whether the device appeared (insmod) or disappeared (rmmod). The"
                    + " device is only stat'ed, never held open, so rmmod is not disturbed.")
    long poll_interval_ms() default 1000;
}

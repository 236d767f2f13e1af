package io.bigbuf.kmod;

/**
 * Configuration of the kernel backend, PID {@value #PID}, read by both
 * {@link io.bigbuf.kmod.osgi.DeviceWatcher} and {@link KmodAllocator}. Each method maps to a property ({@code device_path} is
 * {@code device.path}). The Metatype description is {@code OSGI-INF/metatype/io.bigbuf.kmod.xml};
 * keep both in sync.
 */
public @interface KmodConfiguration {

    /** Configuration PID. */
    String PID = "io.bigbuf.kmod";

    /**
     * {@code osgi.condition.id} of the condition the device watcher registers while the device
     * answers with this bundle's ABI, and that the allocator component needs to be satisfied.
     */
    String DEVICE_CONDITION_ID = "bigbuf.kmod.device";

    /** The bigbuf device node. */
    String device_path() default "/dev/bigbuf";

    /** How often the watcher looks for the device appearing or disappearing, in milliseconds. */
    long poll_interval_ms() default 1000;
}

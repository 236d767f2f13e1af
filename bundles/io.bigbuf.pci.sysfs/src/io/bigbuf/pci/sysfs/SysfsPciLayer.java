package io.bigbuf.pci.sysfs;

import io.bigbuf.api.PciAddress;
import io.bigbuf.pci.PciDevice;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Registers a {@link PciDevice} service per PCI function sysfs lists, and keeps them in step:
 * every {@code rescan.interval.ms} it lists {@code bus/pci/devices} again, registers new
 * functions, unregisters vanished ones (hot unplug, {@code remove}) and updates the properties of
 * changed ones (driver bound or unbound) in place, so that a driver bundle's reference is not
 * broken by a change that does not concern it.
 *
 * <p><b>Polling.</b> sysfs sends no inotify events for devices coming and going; the kernel's
 * uevents would, but need a netlink socket per listener. A rescan is one directory listing and a
 * few small reads per function: at the default two seconds it costs nothing measurable, and a new
 * function's service appears within one interval.
 *
 * <p>When the layer stops, every function still open through it is closed (its BARs unmapped,
 * its command register restored, bus mastering off again): a stopped layer leaves no device
 * mastering the bus.
 */
@Component(service = {}, immediate = true, configurationPid = SysfsPciConfiguration.PID)
@Designate(ocd = SysfsPciConfiguration.class)
public final class SysfsPciLayer {

    private static final Logger LOG = System.getLogger(SysfsPciLayer.class.getName());
    private static final long STOP_TIMEOUT_SECONDS = 10;

    private BundleContext context;
    private SysfsPciReader reader;
    private ScheduledExecutorService executor;
    private final Set<SysfsPciFunction> open = ConcurrentHashMap.newKeySet();

    // Confined to the executor thread while it runs, then to deactivate().
    private final Map<PciAddress, Registered> registered = new HashMap<>();
    private String lastProblem;

    private record Registered(SysfsPciDevice device, ServiceRegistration<PciDevice> registration) {
    }

    @Activate
    void activate(BundleContext bundleContext, SysfsPciConfiguration config) {
        if (config.rescan_interval_ms() < SysfsPciConfiguration.MIN_RESCAN_INTERVAL_MS) {
            throw new IllegalArgumentException("invalid configuration " + SysfsPciConfiguration.PID
                    + ": rescan.interval.ms must be at least " + SysfsPciConfiguration.MIN_RESCAN_INTERVAL_MS
                    + ", got " + config.rescan_interval_ms());
        }
        context = bundleContext;
        reader = new SysfsPciReader(Path.of(config.sysfs_root()));
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bigbuf-pci-sysfs-scanner");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::rescan, 0, config.rescan_interval_ms(), TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        executor.shutdownNow();
        if (!executor.awaitTermination(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            LOG.log(Level.WARNING, "the sysfs PCI scanner did not stop within {0} s", STOP_TIMEOUT_SECONDS);
        }
        for (Registered r : registered.values()) {
            unregister(r);
        }
        registered.clear();
        for (SysfsPciFunction f : open) {
            f.close();
        }
        open.clear();
    }

    /** One scan: register, update, unregister. Never throws (the executor would stop rescanning). */
    void rescan() {
        SysfsPciReader.Scan scan;
        try {
            scan = reader.scan();
        } catch (IOException | RuntimeException e) {
            report("cannot scan PCI functions in sysfs: " + e);
            return;
        }
        // An unreadable function keeps its service as it was (if any): a transient read failure
        // must not unregister a device a driver is using.
        Set<PciAddress> keep = new HashSet<>();
        for (SysfsPciReader.Unreadable u : scan.unreadable()) {
            keep.add(u.address());
        }
        report(scan.unreadable().isEmpty() ? null : "cannot read PCI function(s) in sysfs, left as they were: "
                + scan.unreadable().stream().map(u -> u.address() + ": " + u.problem().getMessage()).toList());
        List<PciFunctionDescription> now = scan.functions();
        open.removeIf(SysfsPciFunction::isClosed);
        Set<PciAddress> seen = new HashSet<>(keep);
        for (PciFunctionDescription d : now) {
            seen.add(d.address());
            Registered old = registered.get(d.address());
            if (old != null && old.device().description().equals(d)) {
                continue;
            }
            if (old == null) {
                SysfsPciDevice device = new SysfsPciDevice(d, reader.directory(d.address()), open::add);
                registered.put(d.address(), new Registered(device,
                        context.registerService(PciDevice.class, device, d.serviceProperties())));
            } else {
                // The same service, new values: references stay bound, filters are re-evaluated.
                old.device().update(d);
                try {
                    old.registration().setProperties(d.serviceProperties());
                } catch (IllegalStateException unregistered) {
                    registered.remove(d.address());
                }
            }
        }
        registered.entrySet().removeIf(e -> {
            if (seen.contains(e.getKey())) {
                return false;
            }
            unregister(e.getValue());
            return true;
        });
    }

    /** Logs a problem once, and once that it is over (null: no problem now). */
    private void report(String problem) {
        if (problem == null) {
            if (lastProblem != null) {
                LOG.log(Level.INFO, "sysfs PCI scan works again");
            }
        } else if (!problem.equals(lastProblem)) {
            LOG.log(Level.WARNING, problem);
        }
        lastProblem = problem;
    }

    private static void unregister(Registered r) {
        try {
            r.registration().unregister();
        } catch (IllegalStateException alreadyGone) {
            // The framework is stopping.
        }
    }
}

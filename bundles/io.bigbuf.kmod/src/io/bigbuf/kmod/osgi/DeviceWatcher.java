package io.bigbuf.kmod.osgi;

import io.bigbuf.kmod.KmodAllocator;
import io.bigbuf.kmod.KmodConfiguration;
import io.bigbuf.kmod.abi.BigbufAbi;
import io.bigbuf.kmod.abi.DeviceInfo;
import io.bigbuf.kmod.abi.KmodDevice;
import io.bigbuf.kmod.abi.NativeCallException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.condition.Condition;

/**
 * Registers the OSGi {@link Condition} {@value KmodConfiguration#DEVICE_CONDITION_ID} while the
 * bigbuf device exists and speaks this bundle's ABI; {@link KmodAllocator} has it as its
 * satisfying condition, so
 * SCR registers the kernel allocator when the module is loaded ({@code insmod}) and removes it
 * when the module is unloaded ({@code rmmod}). This is the hot swap between mock and kernel
 * backend: consumers with a greedy reference follow the ranking.
 *
 * <p><b>Polling, not a WatchService.</b> Every {@code poll.interval.ms} the watcher {@code stat}s
 * the device path. That is a few microseconds, works for devtmpfs, udev-managed {@code /dev},
 * symlinks and bind mounts alike, and needs no inotify instance. The device is opened (and its
 * {@code BIGBUF_IOC_INFO} read) only when a new device node appears, never while it stays: an
 * open file pins the module, and a periodic open could make an operator's {@code rmmod} fail.
 * A node that is replaced between two polls (rmmod and insmod in quick succession) has a new
 * inode and change time and is probed again.
 */
@Component(service = {}, immediate = true, configurationPid = KmodConfiguration.PID)
public final class DeviceWatcher {

    /** Service property of the condition: the device path it stands for. */
    public static final String DEVICE_PATH_PROPERTY = "bigbuf.device.path";

    private static final Logger LOG = System.getLogger(DeviceWatcher.class.getName());
    private static final long STOP_TIMEOUT_SECONDS = 10;

    private BundleContext context;
    private Path device;
    private ScheduledExecutorService executor;

    // Confined to the executor thread while it runs, then to deactivate().
    private ServiceRegistration<Condition> registration;
    private Object probedNode;
    private String lastProblem;

    @Activate
    void activate(BundleContext bundleContext, KmodConfiguration config) {
        if (config.poll_interval_ms() < KmodConfiguration.MIN_POLL_INTERVAL_MS) {
            throw new IllegalArgumentException("invalid configuration " + KmodConfiguration.PID
                    + ": poll.interval.ms must be at least " + KmodConfiguration.MIN_POLL_INTERVAL_MS + ", got " + config.poll_interval_ms());
        }
        context = bundleContext;
        device = Path.of(config.device_path());
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bigbuf-kmod-device-watcher");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::poll, 0, config.poll_interval_ms(), TimeUnit.MILLISECONDS);
        LOG.log(Level.INFO, "watching {0} every {1} ms for the bigbuf kernel module", device, config.poll_interval_ms());
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        executor.shutdownNow();
        if (!executor.awaitTermination(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            LOG.log(Level.ERROR, "device watcher thread did not stop within {0} s", STOP_TIMEOUT_SECONDS);
        }
        withdraw(null);
    }

    private void poll() {
        try {
            pollOnce();
        } catch (RuntimeException e) {
            // Never let one bad poll end the schedule.
            problem("device watcher: " + e);
        }
    }

    private void pollOnce() {
        Object node = nodeIdentity();
        if (node == null) {
            probedNode = null;
            withdraw(device + " disappeared (bigbuf module unloaded)");
            return;
        }
        if (node.equals(probedNode)) {
            return;
        }
        withdraw(registration != null ? device + " was replaced" : null);
        DeviceInfo info;
        try (KmodDevice file = KmodDevice.open(device)) {
            info = file.info();
        } catch (NativeCallException e) {
            problem("cannot use " + device + " yet: " + e.getMessage() + "; retrying");
            return;
        }
        probedNode = node; // a definite answer: do not open this node again
        if (info.abiVersion() != BigbufAbi.ABI_VERSION) {
            problem("refusing to bind the kernel backend: " + device + " speaks bigbuf ABI version "
                    + info.abiVersion() + ", this bundle (io.bigbuf.kmod) speaks version " + BigbufAbi.ABI_VERSION
                    + "; install a matching module or bundle");
            return;
        }
        Dictionary<String, Object> properties = new Hashtable<>(Map.of(
                Condition.CONDITION_ID, KmodConfiguration.DEVICE_CONDITION_ID,
                DEVICE_PATH_PROPERTY, device.toString(),
                "bigbuf.abi.version", info.abiVersion()));
        registration = context.registerService(Condition.class, Condition.INSTANCE, properties);
        lastProblem = null;
        LOG.log(Level.INFO, "{0} is ready (ABI {1}, strategies {2}); kernel backend enabled", device,
                info.abiVersion(), info.strategyNames());
    }

    /** dev/inode/change time of the node, or null if there is none. */
    private Object nodeIdentity() {
        try {
            Map<String, Object> attributes = Files.readAttributes(device, "unix:dev,ino,rdev,ctime,mode");
            int mode = (Integer) attributes.get("mode");
            if ((mode & 0170000) != 0020000) { // S_IFMT, S_IFCHR
                problem(device + " exists but is not a character device");
                return null;
            }
            return Objects.hash(attributes.get("dev"), attributes.get("ino"), attributes.get("rdev"))
                    + ":" + attributes.get("ctime");
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | UnsupportedOperationException e) {
            problem("cannot stat " + device + ": " + e);
            return null;
        }
    }

    private void withdraw(String reason) {
        if (registration == null) {
            return;
        }
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the bundle is stopping: the framework unregistered it already
        }
        registration = null;
        if (reason != null) {
            LOG.log(Level.INFO, "{0}; kernel backend disabled", reason);
        }
    }

    /** Logs a problem once, not on every poll. */
    private void problem(String message) {
        if (!message.equals(lastProblem)) {
            LOG.log(Level.WARNING, message);
            lastProblem = message;
        }
    }
}

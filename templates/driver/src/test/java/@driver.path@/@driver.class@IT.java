package @driver.package@;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The bundle as it is built (target/*.jar) in an embedded Felix with Declarative Services and the
 * mock backend's bundle: its component activates, gets its buffer, and follows a better backend.
 *
 * <p>The framework exports the bigbuf API from this test's class path (system packages extra,
 * with the versions the API jar exports) instead of running the API bundle, so that the test and
 * the bundles share {@link ContiguousAllocator}; the driver's Import-Package must still accept
 * that version, as it must in bigbuf's runtime.
 */
class @driver.class@IT {

    private static final Path DRIVER = Path.of(System.getProperty("driver.bundle", "target/driver.jar"));
    private static final Path IT_BUNDLES = Path.of(System.getProperty("it.bundles.dir", "target/it-bundles"));
    private static final long TIMEOUT_MILLIS = 10_000;

    @TempDir
    Path storage;

    private Framework framework;
    private BundleContext context;

    @BeforeEach
    void startFramework() throws Exception {
        Map<String, String> config = Map.of(
                Constants.FRAMEWORK_STORAGE, storage.toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT,
                Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, apiExports(),
                "ds.loglevel", "warn");
        framework = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow().newFramework(config);
        framework.start();
        context = framework.getBundleContext();
        List<Bundle> bundles = new ArrayList<>();
        for (Path jar : jars()) {
            bundles.add(context.installBundle(jar.toUri().toString()));
        }
        for (Bundle bundle : bundles) {
            bundle.start();
        }
    }

    @AfterEach
    void stopFramework() throws Exception {
        if (framework != null) {
            framework.stop();
            framework.waitForStop(TIMEOUT_MILLIS);
        }
    }

    @Test
    void theComponentGetsItsBufferFromTheMockBackend() throws Exception {
        ContiguousAllocator mock = awaitService(AllocatorServiceProperties.FILTER_MOCK);

        DmaBuffer buffer = awaitDriverBuffer(mock);

        assertEquals(1L << 20, buffer.size(), "the configuration's default buffer.size, 1M");
        assertTrue(buffer.physicalAddress() + buffer.size() <= 1L << 32, "below the default 32 address bits");
        assertEquals(Bundle.ACTIVE, driverBundle().getState());
    }

    @Test
    void theComponentMovesToABetterBackendAndBack() throws Exception {
        ContiguousAllocator mock = awaitService(AllocatorServiceProperties.FILTER_MOCK);
        DmaBuffer first = awaitDriverBuffer(mock);

        // A second backend ranked like the kernel module's: DS rebinds the driver to it (greedy).
        MockAllocator better = new MockAllocator(new PhysicalMemoryModel(0, 1L << 30, 4096, 10), "better", 0);
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(Constants.SERVICE_RANKING, AllocatorServiceProperties.RANKING_KERNEL);
        properties.put(AllocatorServiceProperties.BACKEND, "better");
        ServiceRegistration<ContiguousAllocator> registration =
                context.registerService(ContiguousAllocator.class, better, properties);

        DmaBuffer moved = awaitDriverBuffer(better);
        assertTrue(first.isClosed(), "the first backend's buffer is given back");
        assertEquals(List.of(), driverBuffers(mock));

        registration.unregister();
        better.shutdown();
        assertTrue(moved.isClosed());
        awaitDriverBuffer(mock);
    }

    /** The API jar's Export-Package, as the system bundle's extra exports. */
    private static String apiExports() throws IOException {
        Path apiJar;
        try {
            apiJar = Path.of(ContiguousAllocator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        try (JarFile jar = new JarFile(apiJar.toFile())) {
            String exports = jar.getManifest().getMainAttributes().getValue(Constants.EXPORT_PACKAGE);
            assertNotNull(exports, apiJar + " exports nothing");
            return exports;
        }
    }

    /** The framework's bundles (DS and its APIs, the mock backend), then the driver. */
    private static List<Path> jars() throws IOException {
        assertTrue(Files.isRegularFile(DRIVER), "no driver bundle at " + DRIVER + "; run mvn verify");
        List<Path> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(IT_BUNDLES)) {
            files.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(jars::add);
        }
        jars.add(DRIVER);
        return jars;
    }

    private Bundle driverBundle() {
        return Stream.of(context.getBundles()).filter(b -> @driver.class@.PID.equals(b.getSymbolicName()))
                .findFirst().orElseThrow(() -> new AssertionError("the driver bundle is not installed"));
    }

    private ContiguousAllocator awaitService(String filter) throws Exception {
        ServiceTracker<ContiguousAllocator, ContiguousAllocator> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(" + Constants.OBJECTCLASS + "=" + ContiguousAllocator.class.getName() + ")"
                        + filter + ")"), null);
        tracker.open();
        ContiguousAllocator service = tracker.waitForService(TIMEOUT_MILLIS);
        assertNotNull(service, "no ContiguousAllocator " + filter);
        return service;
    }

    private static List<DmaBuffer> driverBuffers(ContiguousAllocator allocator) {
        return allocator.buffers().stream().filter(b -> @driver.class@.LABEL.equals(b.label())).toList();
    }

    /** Waits for the driver to hold exactly one open buffer of {@code allocator}. */
    private DmaBuffer awaitDriverBuffer(ContiguousAllocator allocator) throws InterruptedException {
        long deadline = System.currentTimeMillis() + TIMEOUT_MILLIS;
        List<DmaBuffer> held = driverBuffers(allocator);
        while (held.size() != 1 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
            held = driverBuffers(allocator);
        }
        Optional<DmaBuffer> only = held.size() == 1 ? Optional.of(held.get(0)) : Optional.empty();
        return only.orElseThrow(() -> new AssertionError("the driver holds " + driverBuffers(allocator).size()
                + " buffers of " + allocator.backendInfo().description() + " (one expected); bundle state "
                + driverBundle().getState()));
    }
}

package io.bigbuf.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * What an Equinox user gets from the update site: every feature's plugins, with nothing but the
 * site's own bundles to satisfy their requirements, resolve in Equinox and start their services.
 * A requirement the site does not carry (a missing JNA, SCR or Gogo, a wrong import range) leaves
 * a bundle unresolved and fails this test with Equinox's resolution report.
 */
class SiteInstallTest {

    private static final Path SITE = SiteFeatures.SITE;
    /** Frameworks the site carries for Felix users; Equinox is the framework here. */
    private static final List<String> FRAMEWORKS = List.of("org.apache.felix.framework");
    /** The interactive console would take over the test's stdin. */
    private static final String CONSOLE = "org.apache.felix.gogo.shell";
    private static final long SERVICE_TIMEOUT_MILLIS = 15_000;

    @TempDir
    Path storage;

    private Framework equinox;

    @BeforeEach
    void startEquinox() throws Exception {
        assertTrue(Files.isDirectory(SITE.resolve("plugins")), "no built site at " + SITE.toAbsolutePath());
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        // The site's HTTP service (for the web console feature) starts with the rest: loopback, a free port.
        config.put("org.osgi.service.http.port", Integer.toString(freePort()));
        config.put("org.apache.felix.http.host", "127.0.0.1");
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst().orElseThrow();
        equinox = factory.newFramework(config);
        equinox.start();
        assertEquals("org.eclipse.osgi", equinox.getSymbolicName(), "the test must run on Equinox");
    }

    @AfterEach
    void stopEquinox() throws Exception {
        if (equinox != null) {
            equinox.stop();
            equinox.waitForStop(10_000);
        }
    }

    @Test
    void everyFeatureInstallsFromTheSiteAloneAndItsBundlesResolveAndStart() throws Exception {
        Map<String, Path> featurePlugins = SiteFeatures.plugins();
        assertTrue(featurePlugins.keySet().containsAll(List.of("io.bigbuf.api", "io.bigbuf.kmod", "io.bigbuf.mock",
                "io.bigbuf.shell", "io.bigbuf.pci", "io.bigbuf.pci.sysfs", "io.bigbuf.examples.consumer", "io.bigbuf.examples.edu",
                "io.bigbuf.webconsole")),
                featurePlugins::toString);

        BundleContext context = equinox.getBundleContext();
        List<Bundle> installed = new ArrayList<>();
        try (Stream<Path> jars = Files.list(SITE.resolve("plugins"))) {
            for (Path jar : jars.sorted().toList()) {
                if (FRAMEWORKS.stream().noneMatch(f -> jar.getFileName().toString().startsWith(f + "_"))) {
                    installed.add(context.installBundle(jar.toUri().toString()));
                }
            }
        }
        equinox.adapt(FrameworkWiring.class).resolveBundles(installed);

        List<String> unresolved = new ArrayList<>();
        for (Bundle b : installed) {
            if (b.getState() == Bundle.INSTALLED) {
                unresolved.add(b.getSymbolicName() + ": " + resolutionReport(b));
            }
        }
        assertEquals(List.of(), unresolved, "bundles of the site that do not resolve from the site alone");
        for (String plugin : featurePlugins.keySet()) {
            assertTrue(installed.stream().anyMatch(b -> plugin.equals(b.getSymbolicName())),
                    "feature plugin " + plugin + " is not in the site");
        }

        for (Bundle b : installed) {
            if (!CONSOLE.equals(b.getSymbolicName()) && b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                b.start();
            }
        }
        ServiceReference<?> allocator = awaitService("(&(objectClass=io.bigbuf.api.ContiguousAllocator)(bigbuf.backend=mock))");
        assertEquals(100, allocator.getProperty(Constants.SERVICE_RANKING), "the mock registers with its ranking");
        awaitService("(osgi.command.scope=bigbuf)");
        awaitService("(osgi.command.scope=edu)");
        awaitService("(&(objectClass=jakarta.servlet.Servlet)(felix.webconsole.label=bigbuf))");
        for (Bundle b : installed) {
            if (featurePlugins.containsKey(b.getSymbolicName())) {
                assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " is not active");
            }
        }
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private ServiceReference<?> awaitService(String filter) throws Exception {
        long deadline = System.currentTimeMillis() + SERVICE_TIMEOUT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            ServiceReference<?>[] refs = equinox.getBundleContext().getServiceReferences((String) null, filter);
            if (refs != null && refs.length > 0) {
                return refs[0];
            }
            Thread.sleep(20);
        }
        fail("no service " + filter + " within " + SERVICE_TIMEOUT_MILLIS + " ms");
        return null;
    }

    /** Equinox's explanation of why a bundle did not resolve: starting it reports the missing requirement. */
    private static String resolutionReport(Bundle bundle) {
        try {
            bundle.start();
            return "resolved only when started";
        } catch (org.osgi.framework.BundleException e) {
            return e.getMessage();
        }
    }
}

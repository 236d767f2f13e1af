package io.bigbuf.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * A Felix framework started in-process from the built bundle jars in {@code target/bundles}.
 *
 * <p>In {@link #SHARED_API} mode the framework exports the bigbuf API and the OSGi service APIs
 * from the test class path (system packages extra) instead of installing their bundles, so test
 * code and bundles use the same {@code ContiguousAllocator}, {@code ServiceComponentRuntime} and
 * {@code ConfigurationAdmin} classes. {@code ApiBundleWiringIT} (in tests/) covers the real API bundle.
 */
public final class EmbeddedFelix implements AutoCloseable {

    public static final Path BUNDLES = Path.of(System.getProperty("bigbuf.bundles.dir", "target/bundles"));

    /** Packages the tests share with the framework: on the test class path, exported by the system bundle. */
    public static final List<String> SHARED_PACKAGES = List.of(
            "io.bigbuf.api", "io.bigbuf.spi", "io.bigbuf.memorymap", "io.bigbuf.pci", "io.bigbuf.pci.spi",
            "org.osgi.service.component", "org.osgi.service.component.runtime",
            "org.osgi.service.component.runtime.dto", "org.osgi.util.promise", "org.osgi.util.function",
            "org.osgi.service.cm", "org.osgi.service.metatype", "org.apache.felix.service.command");

    /**
     * {@link #SHARED_PACKAGES} as {@code org.osgi.framework.system.packages.extra}, each with the
     * version the jar on the class path exports (so no version is repeated here).
     */
    public static final String SHARED_API = sharedApi();

    private static String sharedApi() {
        Map<String, String> onClassPath = BundleManifests.exportedByClassPath(EmbeddedFelix.class.getClassLoader(),
                SHARED_PACKAGES);
        List<String> clauses = new ArrayList<>();
        for (String pkg : SHARED_PACKAGES) {
            String version = onClassPath.get(pkg);
            if (version == null) {
                throw new IllegalStateException("no jar on the class path exports " + pkg
                        + "; the test module must depend on the bundle or API jar that does");
            }
            clauses.add(pkg + ";version=" + version);
        }
        return String.join(",", clauses);
    }

    /** Every bundle of the runtime (what {@code ./bigbuf run} starts), by name, sorted: {@link #BUNDLES}. */
    public static List<String> allBundles() {
        try (Stream<Path> jars = Files.list(BUNDLES)) {
            List<String> names = jars.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".jar"))
                    .map(n -> n.substring(0, n.length() - ".jar".length()))
                    .sorted()
                    .toList();
            if (names.isEmpty()) {
                throw new IllegalStateException("no bundles in " + BUNDLES + "; run the full reactor (./mvnw verify)");
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("no runtime bundles in " + BUNDLES + "; run the full reactor (./mvnw verify)", e);
        }
    }

    /**
     * The runtime of a shared-API framework: every third-party bundle of the runtime (not
     * {@code io.bigbuf.*}) except those that only export shared packages (the class path has
     * them), sorted like the launcher starts them.
     */
    public static List<String> runtime() {
        return allBundles().stream()
                .filter(name -> !name.startsWith("io.bigbuf."))
                .filter(name -> {
                    Map<String, String> exports = BundleManifests.exportedBy(BUNDLES.resolve(name + ".jar"));
                    return exports.isEmpty() || !SHARED_PACKAGES.containsAll(exports.keySet());
                })
                .toList();
    }

    private final Framework framework;
    private EmbeddedFelix(Framework framework) {
        this.framework = framework;
    }

    /** Starts a framework sharing {@link #SHARED_API}, with {@link #runtime()} plus the given bundles. */
    public static EmbeddedFelix withSharedApi(Path storage, String... bundles) throws BundleException {
        Set<String> all = new LinkedHashSet<>(runtime());
        all.addAll(Arrays.asList(bundles));
        return start(storage, SHARED_API, List.copyOf(all));
    }

    /**
     * @param storage       empty directory for the framework cache
     * @param sharedPackages value of {@code org.osgi.framework.system.packages.extra}, or null
     * @param bundles       jar names in {@link #BUNDLES} without {@code .jar}; installed, then started
     */
    public static EmbeddedFelix start(Path storage, String sharedPackages, List<String> bundles) throws BundleException {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        if (sharedPackages != null) {
            config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, sharedPackages);
        }
        // Felix SCR logs component failures at WARN; keep the test log readable but informative.
        config.put("ds.loglevel", "warn");
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"));
        Framework framework = factory.newFramework(config);
        framework.start();
        EmbeddedFelix felix = new EmbeddedFelix(framework);
        try {
            List<Bundle> toStart = new ArrayList<>();
            for (String name : bundles) {
                toStart.add(felix.install(name));
            }
            for (Bundle b : toStart) {
                if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    b.start();
                }
            }
        } catch (BundleException | RuntimeException e) {
            felix.close();
            throw e;
        }
        return felix;
    }

    public Bundle install(String name) throws BundleException {
        Path jar = BUNDLES.resolve(name + ".jar");
        if (!Files.isRegularFile(jar)) {
            fail("bundle " + jar + " is missing; run the full reactor (./mvnw verify)");
        }
        return context().installBundle(jar.toUri().toString());
    }

    public BundleContext context() {
        return framework.getBundleContext();
    }

    /** The installed bundle with this symbolic name. */
    public Bundle bundle(String symbolicName) {
        return Arrays.stream(context().getBundles())
                .filter(b -> symbolicName.equals(b.getSymbolicName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("bundle " + symbolicName + " is not installed"));
    }

    /** Waits for a service matching the filter (may be null) and returns it. */
    public <T> T awaitService(Class<T> type, String filter) {
        return Await.until(() -> currentService(type, filter),
                type.getSimpleName() + " service " + (filter == null ? "" : filter));
    }

    /** The best matching service right now, or null (none registered, or it is being unregistered). */
    public <T> T currentService(Class<T> type, String filter) {
        return references(type, filter).stream()
                .sorted(Comparator.reverseOrder())
                .map(ref -> context().getService(ref))
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
    }

    public <T> ServiceReference<T> awaitReference(Class<T> type, String filter) {
        return Await.until(() -> references(type, filter).stream().findFirst().orElse(null),
                type.getSimpleName() + " service " + (filter == null ? "" : filter));
    }

    public <T> Collection<ServiceReference<T>> references(Class<T> type, String filter) {
        try {
            return context().getServiceReferences(type, filter);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A Gogo session of this framework's shell, without input; its output is discarded. */
    public CommandSession gogoSession() {
        return awaitService(CommandProcessor.class, null).createSession(new ByteArrayInputStream(new byte[0]),
                new ByteArrayOutputStream(), new ByteArrayOutputStream());
    }

    /** A Gogo session, returned once the bigbuf commands answer (they need a running backend). */
    public CommandSession bigbufShellSession() {
        CommandSession session = gogoSession();
        Await.isTrue(() -> {
            try {
                session.execute("bigbuf:backend");
                return true;
            } catch (Exception notYet) {
                return false;
            }
        }, "the bigbuf commands and a backend");
        return session;
    }

    public ServiceComponentRuntime scr() {
        return awaitService(ServiceComponentRuntime.class, null);
    }

    /** The single configuration of a DS component, waiting until it exists. */
    public ComponentConfigurationDTO component(String bundle, String componentName) {
        return Await.until(() -> {
            ComponentDescriptionDTO description = scr().getComponentDescriptionDTO(bundle(bundle), componentName);
            if (description == null) {
                return null;
            }
            Collection<ComponentConfigurationDTO> configs = scr().getComponentConfigurationDTOs(description);
            return configs.size() == 1 ? configs.iterator().next() : null;
        }, "component " + componentName);
    }

    /** Waits until the component's only configuration is in {@code state} and returns it. */
    public ComponentConfigurationDTO awaitComponentState(String bundle, String componentName, int state) {
        return Await.until(() -> {
            ComponentConfigurationDTO dto = component(bundle, componentName);
            return dto.state == state ? dto : null;
        }, "component " + componentName + " in state " + state);
    }

    @Override
    public void close() {
        try {
            framework.stop();
            framework.waitForStop(Await.TIMEOUT.toMillis());
        } catch (BundleException | InterruptedException e) {
            throw new AssertionError("framework did not stop", e);
        }
    }
}

package io.bigbuf.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * Starts Felix with every bundle of the runtime directory (and those of {@code --bundle}), then either hands the terminal to the
 * Gogo shell or runs the given commands and exits with their status.
 *
 * <p>Gogo's classes live inside the framework, so the launcher talks to its CommandProcessor by
 * reflection (two methods) instead of sharing the package from the class path; the runtime then
 * stays exactly what an OSGi console user gets.
 */
public final class Main {

    private static final long SERVICE_WAIT_MILLIS = 15_000;

    private Main() {
    }

    public static void main(String[] args) {
        // One line per log record (bundles log through System.Logger -> java.util.logging).
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        }
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            System.out.println(LauncherOptions.USAGE);
            return;
        }
        LauncherOptions options;
        try {
            options = LauncherOptions.parse(args, System.getenv("BIGBUF_STORAGE"), System.getenv(LogLevel.ENVIRONMENT));
        } catch (IllegalArgumentException e) {
            System.err.println("bigbuf: " + e.getMessage());
            System.err.println(LauncherOptions.USAGE);
            System.exit(2);
            return;
        }
        options.logLevel().apply();
        System.exit(run(options));
    }

    static int run(LauncherOptions options) {
        Path storage = options.storage();
        boolean temporaryStorage = storage == null;
        try {
            if (temporaryStorage) {
                storage = Files.createTempDirectory("bigbuf-felix-");
            } else {
                Files.createDirectories(storage);
            }
        } catch (IOException e) {
            System.err.println("bigbuf: cannot create the Felix storage directory: " + e.getMessage()
                    + " (set BIGBUF_STORAGE or --storage to a writable directory)");
            return 2;
        }
        Framework framework = null;
        try {
            framework = newFramework(storage, options.logLevel(), options.webPort());
            framework.start();
            List<Path> jars = new ArrayList<>(jarsIn(options.runtime().resolve("bundles")));
            jars.addAll(options.bundles());
            if (options.webPort() > 0) {
                jars.addAll(jarsIn(options.runtime().resolve("web")));
            }
            if (options.interactive()) {
                jars.addAll(jarsIn(options.runtime().resolve("console")));
            }
            startAll(framework.getBundleContext(), jars);
            if (options.webPort() > 0) {
                System.err.println("bigbuf: web console at " + webConsoleUrl(options.webPort()) + " ("
                        + webConsoleLogin(System.getProperties()) + "; bound to 127.0.0.1 only)");
            }
            if (options.interactive()) {
                // The Gogo shell reads the terminal and stops the framework on 'exit' or end of input.
                framework.waitForStop(0);
                return 0;
            }
            return runCommands(framework.getBundleContext(), options.commands());
        } catch (BundleException | IOException | RuntimeException e) {
            System.err.println("bigbuf: cannot start the OSGi runtime: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        } finally {
            stop(framework);
            if (temporaryStorage) {
                deleteRecursively(storage);
            }
        }
    }

    /**
     * The login the Felix Web Console will ask for: its framework properties (passed on from
     * {@code -Dfelix.*}) override its defaults admin/admin; a password set is never printed.
     */
    static String webConsoleLogin(java.util.Properties properties) {
        String user = properties.getProperty("felix.webconsole.username", "admin");
        String password = properties.getProperty("felix.webconsole.password") == null ? "password admin"
                : "password from felix.webconsole.password";
        return "user " + user + ", " + password;
    }

    /** The bigbuf page of the web console on {@code port}. */
    static String webConsoleUrl(int port) {
        return "http://127.0.0.1:" + port + "/system/console/bigbuf";
    }

    private static Framework newFramework(Path storage, LogLevel logLevel, int webPort) {
        Map<String, String> config = new HashMap<>();
        if (webPort > 0) {
            // Felix HTTP (Jetty 12): this port, loopback only; the web console under /system/console.
            config.put("org.osgi.service.http.port", Integer.toString(webPort));
            config.put("org.apache.felix.http.host", "127.0.0.1");
        }
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        // Every run starts from the bundles on disk: no stale cache from an earlier build.
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("ds.loglevel", System.getProperty("ds.loglevel", logLevel.dsLogLevel()));
        System.getProperties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("bigbuf.") || k.startsWith("felix.") || k.startsWith("gosh.")
                        || k.startsWith("org.osgi.framework."))
                .forEach(k -> config.put(k, System.getProperty(k)));
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"));
        return factory.newFramework(config);
    }

    private static List<Path> jarsIn(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
    }

    /** Installs all, then starts all, so that resolution sees every bundle at once. */
    private static void startAll(BundleContext context, List<Path> jars) throws BundleException {
        List<Bundle> bundles = new ArrayList<>();
        for (Path jar : jars) {
            bundles.add(context.installBundle(jar.toUri().toString()));
        }
        for (Bundle bundle : bundles) {
            if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
                continue;
            }
            try {
                bundle.start();
            } catch (BundleException e) {
                // One broken bundle (e.g. a backend whose device is missing) must not take the shell down.
                System.err.println("bigbuf: bundle " + bundle.getSymbolicName() + " did not start: " + e.getMessage());
            }
        }
    }

    private static int runCommands(BundleContext context, List<String> commands) throws InterruptedException {
        Object processor = awaitService(context, "org.apache.felix.service.command.CommandProcessor", null);
        if (processor == null) {
            System.err.println("bigbuf: the Gogo runtime did not start");
            return 2;
        }
        awaitService(context, null, "(osgi.command.scope=bigbuf)");
        awaitService(context, "io.bigbuf.api.ContiguousAllocator", null);
        PrintStream out = System.out;
        try {
            Method createSession = processor.getClass().getMethod("createSession", InputStream.class,
                    OutputStream.class, OutputStream.class);
            Object session = createSession.invoke(processor, InputStream.nullInputStream(), out, System.err);
            Method execute = session.getClass().getMethod("execute", CharSequence.class);
            execute.setAccessible(true);
            try {
                for (String command : commands) {
                    Object result;
                    try {
                        result = execute.invoke(session, command);
                    } catch (InvocationTargetException e) {
                        Throwable cause = e.getCause();
                        System.err.println("bigbuf: " + command + ": " + (cause.getMessage() == null
                                ? cause.getClass().getSimpleName() : cause.getMessage()));
                        return 1;
                    }
                    if (result != null) {
                        out.println(result);
                    }
                }
                return 0;
            } finally {
                session.getClass().getMethod("close").invoke(session);
                out.flush();
            }
        } catch (ReflectiveOperationException e) {
            System.err.println("bigbuf: unsupported Gogo runtime: " + e);
            return 2;
        }
    }

    /** The service, or null if it did not appear in time. */
    private static Object awaitService(BundleContext context, String clazz, String filter) throws InterruptedException {
        long deadline = System.currentTimeMillis() + SERVICE_WAIT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            try {
                ServiceReference<?>[] refs = context.getServiceReferences(clazz, filter);
                if (refs != null && refs.length > 0) {
                    Object service = context.getService(refs[0]);
                    if (service != null) {
                        return service;
                    }
                }
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalArgumentException(e);
            }
            Thread.sleep(20);
        }
        return null;
    }

    private static void stop(Framework framework) {
        if (framework == null) {
            return;
        }
        try {
            framework.stop();
            framework.waitForStop(10_000);
        } catch (BundleException e) {
            System.err.println("bigbuf: framework did not stop cleanly: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: a leftover temp directory is harmless.
        }
    }
}

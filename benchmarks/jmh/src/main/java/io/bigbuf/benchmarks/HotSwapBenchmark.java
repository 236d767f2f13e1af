package io.bigbuf.benchmarks;

import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.api.DmaBuffer;
import io.bigbuf.mock.MockAllocator;
import io.bigbuf.mock.model.PhysicalMemoryModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * Hot swap: how long after a backend is registered (or unregistered) the example consumer is
 * working on a buffer from the new best backend. Not JMH: each repetition is one event whose
 * latency is the figure, so this is a plain timed loop over an embedded Felix.
 *
 * <p>Felix runs the built bundles (SCR, the mock, the example consumer); the bigbuf API comes from
 * the class path (system packages extra) so that this class can register a second backend, a
 * {@link MockAllocator} ranked like the kernel backend. One repetition:
 * <ol>
 * <li>register the stand-in; wait until the consumer's buffer in the stand-in carries the next
 *     generation in its header: "register to rebound";</li>
 * <li>unregister it; wait until the consumer's buffer in the mock carries the next generation:
 *     "unregister to rebound".</li>
 * </ol>
 * Waiting is a busy poll of the backends' buffer lists (sub-microsecond resolution). The consumer's
 * INFO log line per rebind is switched off (WARNING level) so that console output is not timed.
 *
 * <p>usage: HotSwapBenchmark BUNDLE_DIR OUT_CSV WARMUP REPETITIONS
 */
public final class HotSwapBenchmark {

    private static final String CONSUMER_LABEL = "example-consumer";
    private static final long TIMEOUT_NANOS = 10_000_000_000L;
    /** Runtime bundles installed, in start order; the API is shared from the class path instead. */
    private static final List<String> BUNDLES = List.of("org.osgi.util.function", "org.osgi.util.promise",
            "org.osgi.service.component", "org.apache.felix.log", "org.apache.felix.configadmin",
            "org.apache.felix.metatype", "org.apache.felix.scr", "io.bigbuf.mock", "io.bigbuf.examples.consumer");

    private HotSwapBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: HotSwapBenchmark BUNDLE_DIR OUT_CSV WARMUP REPETITIONS");
            System.exit(2);
        }
        Path bundleDir = Path.of(args[0]);
        Path out = Path.of(args[1]);
        int warmup = Integer.parseInt(args[2]);
        int repetitions = Integer.parseInt(args[3]);
        Logger.getLogger("").setLevel(Level.WARNING);

        Path storage = Files.createTempDirectory("bigbuf-hotswap");
        Framework framework = startFramework(storage, bundleDir);
        try (PrintWriter csv = new PrintWriter(Files.newBufferedWriter(out))) {
            csv.println("repetition,register_to_rebound_us,unregister_to_rebound_us,register_call_us,unregister_call_us");
            run(framework.getBundleContext(), warmup, repetitions, csv);
        } finally {
            framework.stop();
            framework.waitForStop(10_000);
            deleteTree(storage);
        }
    }

    private static void run(BundleContext context, int warmup, int repetitions, PrintWriter csv) {
        ContiguousAllocator mock = await(() -> mockService(context), "the mock backend service");
        int generation = await(() -> generation(mock), "the consumer's first buffer in the mock");
        MockAllocator standIn = new MockAllocator(new PhysicalMemoryModel(0, 64L << 20, 4096, 10), "stand-in", 0);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_RANKING, AllocatorServiceProperties.RANKING_KERNEL);
        props.put(AllocatorServiceProperties.BACKEND, "benchmark-stand-in");
        try {
            for (int i = 0; i < warmup + repetitions; i++) {
                long t0 = System.nanoTime();
                ServiceRegistration<ContiguousAllocator> reg = context.registerService(ContiguousAllocator.class,
                        standIn, props);
                long t1 = System.nanoTime();
                int onStandIn = generation + 1;
                awaitGeneration(standIn, onStandIn);
                long t2 = System.nanoTime();
                reg.unregister();
                long t3 = System.nanoTime();
                generation = onStandIn + 1;
                awaitGeneration(mock, generation);
                long t4 = System.nanoTime();
                if (i >= warmup) {
                    csv.printf("%d,%.1f,%.1f,%.1f,%.1f%n", i - warmup, (t2 - t0) / 1e3, (t4 - t2) / 1e3,
                            (t1 - t0) / 1e3, (t3 - t2) / 1e3);
                }
            }
        } finally {
            standIn.shutdown();
        }
    }

    private static ContiguousAllocator mockService(BundleContext context) {
        try {
            return context.getServiceReferences(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_MOCK)
                    .stream().max(Comparator.naturalOrder()).map(context::getService).orElse(null);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Generation in the header of the consumer's live buffer in this allocator, or null. */
    private static Integer generation(ContiguousAllocator allocator) {
        for (DmaBuffer b : allocator.buffers()) {
            if (CONSUMER_LABEL.equals(b.label()) && !b.isClosed()) {
                try {
                    int g = b.segment().get(ValueLayout.JAVA_INT_UNALIGNED, 8);
                    return g > 0 ? g : null;
                } catch (IllegalStateException closedMeanwhile) {
                    return null;
                }
            }
        }
        return null;
    }

    private static void awaitGeneration(ContiguousAllocator allocator, int wanted) {
        await(() -> {
            Integer g = generation(allocator);
            return g != null && g >= wanted ? g : null;
        }, "generation " + wanted + " of the consumer's buffer in " + allocator.backendInfo().description());
    }

    private static <T> T await(Supplier<T> probe, String what) {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        T value;
        while ((value = probe.get()) == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            Thread.onSpinWait();
        }
        return value;
    }

    private static Framework startFramework(Path storage, Path bundleDir) throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, "io.bigbuf.api;version=1.0.0");
        config.put("ds.loglevel", "warn");
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"));
        Framework framework = factory.newFramework(config);
        framework.start();
        List<Bundle> installed = new ArrayList<>();
        for (String name : BUNDLES) {
            installed.add(framework.getBundleContext().installBundle(bundleDir.resolve(name + ".jar").toUri().toString()));
        }
        for (Bundle b : installed) {
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                b.start();
            }
        }
        return framework;
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

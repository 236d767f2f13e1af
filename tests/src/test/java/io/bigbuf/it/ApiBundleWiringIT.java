package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.testkit.Await;
import io.bigbuf.testkit.EmbeddedFelix;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/**
 * The whole runtime as {@code ./bigbuf run} starts it, real bundles only, nothing shared from the
 * class path: the manifests must be enough. Checks that io.bigbuf.api exports version 1.2.0, the
 * bigbuf bundles are wired to it, and the DS components come up (service registered, consumer
 * using it, commands registered).
 */
class ApiBundleWiringIT {

    @TempDir
    Path storage;

    @Test
    void bundlesResolveAgainstTheApiBundleAndComponentsStart() throws Exception {
        try (EmbeddedFelix felix = EmbeddedFelix.start(storage, null, EmbeddedFelix.allBundles())) {
            for (Bundle b : felix.context().getBundles()) {
                assertEquals(Bundle.ACTIVE, b.getState(), b.getSymbolicName() + " is not active");
            }
            Bundle api = felix.bundle("io.bigbuf.api");
            for (String consumer : List.of("io.bigbuf.mock", "io.bigbuf.shell", "io.bigbuf.examples.consumer")) {
                BundleWire wire = felix.bundle(consumer).adapt(BundleWiring.class).getRequiredWires("osgi.wiring.package")
                        .stream()
                        .filter(w -> "io.bigbuf.api".equals(w.getCapability().getAttributes().get("osgi.wiring.package")))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError(consumer + " is not wired to io.bigbuf.api"));
                assertEquals(api, wire.getProvider().getBundle());
                assertEquals(new Version(1, 5, 0), wire.getCapability().getAttributes().get("version"));
            }

            // getAllServiceReferences: the test class path has its own io.bigbuf.api, which Felix would
            // (rightly) consider incompatible with the bundle's and filter out.
            ServiceReference<?> allocator = Await.until(() -> {
                try {
                    ServiceReference<?>[] refs = felix.context().getAllServiceReferences("io.bigbuf.api.ContiguousAllocator", null);
                    return refs == null ? null : refs[0];
                } catch (org.osgi.framework.InvalidSyntaxException e) {
                    throw new AssertionError(e);
                }
            }, "the allocator service");
            assertEquals("mock", allocator.getProperty("bigbuf.backend"));
            Await.isTrue(() -> allocator.getUsingBundles() != null && Arrays.asList(allocator.getUsingBundles())
                    .contains(felix.bundle("io.bigbuf.examples.consumer")), "the consumer to use the allocator");
            // The consumer's working buffer names the consumer's bundle, through the API bundle's own classes.
            Object service = felix.context().getService(allocator);
            Class<?> buffer = api.loadClass("io.bigbuf.api.DmaBuffer");
            Method buffers = api.loadClass("io.bigbuf.api.ContiguousAllocator").getMethod("buffers");
            Object working = Await.until(() -> {
                try {
                    for (Object b : (List<?>) buffers.invoke(service)) {
                        if ("example-consumer".equals(buffer.getMethod("label").invoke(b))) {
                            return b;
                        }
                    }
                    return null;
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }, "the consumer's working buffer");
            Bundle consumer = felix.bundle("io.bigbuf.examples.consumer");
            assertEquals(Optional.of("io.bigbuf.examples.consumer " + consumer.getVersion() + " [" + consumer.getBundleId() + "]"),
                    ((Optional<?>) buffer.getMethod("owner").invoke(working)).map(Object::toString));
            ServiceReference<?>[] commands = felix.context().getAllServiceReferences(null, "(osgi.command.scope=bigbuf)");
            assertNotNull(commands, "bigbuf commands are registered");
            List<String> functions = Arrays.stream(commands)
                    .map(ref -> ref.getProperty("osgi.command.function"))
                    .flatMap(f -> f instanceof String[] many ? Arrays.stream(many) : java.util.stream.Stream.of((String) f))
                    .toList();
            assertTrue(functions.containsAll(List.of("alloc", "free", "list", "stats", "backend", "config")), functions.toString());
        }
    }
}

package io.bigbuf.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.testkit.EmbeddedFelix;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Version;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * What has to be written twice because no tool can derive it, checked against the one source:
 * the Eclipse features against the runtime the launcher assembles (launcher/pom.xml), and the JVM
 * flags of the Maven build against scripts/java-env, which every script uses.
 */
class SingleSourceTest {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final List<String> FEATURES = List.of("io.bigbuf.feature", "io.bigbuf.examples.feature");

    @Test
    void theFeaturesShipExactlyTheBigbufBundlesOfTheRuntime() throws Exception {
        Set<String> inFeatures = new TreeSet<>();
        for (String feature : FEATURES) {
            NodeList plugins = featureXml(feature).getElementsByTagName("plugin");
            for (int i = 0; i < plugins.getLength(); i++) {
                inFeatures.add(((Element) plugins.item(i)).getAttribute("id"));
            }
        }
        Set<String> inRuntime = new TreeSet<>(runtimeBundles().keySet());
        inRuntime.removeIf(name -> !name.startsWith("io.bigbuf."));
        assertEquals(inRuntime, inFeatures, "features/*/feature.xml <plugin>s vs the runtime (launcher/pom.xml)");
    }

    @Test
    void whatTheFeatureRequiresIsInTheRuntimeInAVersionItAccepts() throws Exception {
        Map<String, Version> runtime = runtimeBundles();
        NodeList imports = featureXml("io.bigbuf.feature").getElementsByTagName("import");
        assertTrue(imports.getLength() > 0, "io.bigbuf.feature requires its runtime bundles");
        for (int i = 0; i < imports.getLength(); i++) {
            Element required = (Element) imports.item(i);
            String plugin = required.getAttribute("plugin");
            Version atLeast = Version.parseVersion(required.getAttribute("version"));
            assertEquals("greaterOrEqual", required.getAttribute("match"), plugin);
            assertTrue(runtime.containsKey(plugin), plugin + " is required by the feature but not in the runtime");
            assertTrue(runtime.get(plugin).compareTo(atLeast) >= 0,
                    plugin + " " + runtime.get(plugin) + " in the runtime is below the feature's " + atLeast);
        }
    }

    @Test
    void theBuildRunsTestsWithTheJvmFlagsOfScriptsJavaEnv() throws Exception {
        Process p = new ProcessBuilder("bash", REPO.resolve("scripts/java-env").toString(), "flags")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        List<String> flags = out.lines().filter(l -> !l.isBlank()).toList();
        assertTrue(!flags.isEmpty(), "scripts/java-env names no flags");
        List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> missing = new ArrayList<>(flags);
        missing.removeAll(jvm);
        assertEquals(List.of(), missing, "flags of scripts/java-env missing from the test JVM (bigbuf.jvm.flags in"
                + " pom.xml): " + jvm);
    }

    private static Element featureXml(String feature) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(REPO.resolve("features").resolve(feature).resolve("feature.xml").toFile()).getDocumentElement();
    }

    /** Bundle-SymbolicName to Bundle-Version of every jar the runtime starts. */
    private static Map<String, Version> runtimeBundles() throws IOException {
        Map<String, Version> bundles = new TreeMap<>();
        for (String name : EmbeddedFelix.allBundles()) {
            try (JarFile jar = new JarFile(EmbeddedFelix.BUNDLES.resolve(name + ".jar").toFile())) {
                var attributes = jar.getManifest().getMainAttributes();
                String symbolicName = attributes.getValue("Bundle-SymbolicName").split(";")[0].trim();
                bundles.put(symbolicName, Version.parseVersion(attributes.getValue("Bundle-Version")));
            }
        }
        assertTrue(Files.isDirectory(EmbeddedFelix.BUNDLES));
        return bundles;
    }
}

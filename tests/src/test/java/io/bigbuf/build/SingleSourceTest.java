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
 * the Eclipse features of the update site (its category.xml) against the runtime the launcher
 * assembles with its web console (launcher/pom.xml), and the JVM
 * flags of the Maven build against scripts/java-env, which every script uses.
 */
class SingleSourceTest {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    /** What {@code ./bigbuf run --web} adds (the launcher's provided-scope dependencies). */
    private static final Path WEB_BUNDLES = REPO.resolve("launcher/target/runtime/web");

    @Test
    void theFeaturesShipExactlyTheBigbufBundlesOfTheRuntime() throws Exception {
        Set<String> inFeatures = new TreeSet<>();
        for (String feature : features()) {
            NodeList plugins = featureXml(feature).getElementsByTagName("plugin");
            for (int i = 0; i < plugins.getLength(); i++) {
                inFeatures.add(((Element) plugins.item(i)).getAttribute("id"));
            }
        }
        Set<String> inRuntime = new TreeSet<>(runtimeBundles().keySet());
        inRuntime.addAll(webBundles().keySet());
        inRuntime.removeIf(name -> !name.startsWith("io.bigbuf."));
        assertEquals(inRuntime, inFeatures, "features/*/feature.xml <plugin>s of the site's features vs the runtime"
                + " with its web console (launcher/pom.xml)");
    }

    @Test
    void whatTheFeaturesRequireIsInTheRuntimeInAVersionTheyAccept() throws Exception {
        Map<String, Version> runtime = runtimeBundles();
        runtime.putAll(webBundles());
        int checked = 0;
        for (String feature : features()) {
            NodeList imports = featureXml(feature).getElementsByTagName("import");
            for (int i = 0; i < imports.getLength(); i++) {
                Element required = (Element) imports.item(i);
                String plugin = required.getAttribute("plugin");
                if (plugin.isEmpty()) {
                    continue; // a feature requiring another feature of the site
                }
                Version atLeast = Version.parseVersion(required.getAttribute("version"));
                assertEquals("greaterOrEqual", required.getAttribute("match"), feature + ": " + plugin);
                assertTrue(runtime.containsKey(plugin), plugin + " is required by " + feature + " but not in the runtime");
                assertTrue(runtime.get(plugin).compareTo(atLeast) >= 0, plugin + " " + runtime.get(plugin)
                        + " in the runtime is below " + feature + "'s " + atLeast);
                checked++;
            }
        }
        assertTrue(checked > 0, "the features require their runtime bundles");
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

    /** The features of the update site, as its category.xml lists them. */
    private static List<String> features() throws Exception {
        NodeList features = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(REPO.resolve("features/io.bigbuf.site/category.xml").toFile()).getDocumentElement()
                .getElementsByTagName("feature");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < features.getLength(); i++) {
            ids.add(((Element) features.item(i)).getAttribute("id"));
        }
        assertTrue(ids.contains("io.bigbuf.feature"), "category.xml lists " + ids);
        return ids;
    }

    /** Bundle-SymbolicName to Bundle-Version of every jar {@code --web} adds. */
    private static Map<String, Version> webBundles() throws IOException {
        assertTrue(Files.isDirectory(WEB_BUNDLES), "no " + WEB_BUNDLES + " (the launcher builds it)");
        Map<String, Version> bundles = new TreeMap<>();
        try (var jars = Files.list(WEB_BUNDLES)) {
            for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).toList()) {
                putBundle(bundles, jar);
            }
        }
        return bundles;
    }

    private static void putBundle(Map<String, Version> bundles, Path jarFile) throws IOException {
        try (JarFile jar = new JarFile(jarFile.toFile())) {
            var attributes = jar.getManifest().getMainAttributes();
            String symbolicName = attributes.getValue("Bundle-SymbolicName").split(";")[0].trim();
            bundles.put(symbolicName, Version.parseVersion(attributes.getValue("Bundle-Version")));
        }
    }

    private static Element featureXml(String feature) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(REPO.resolve("features").resolve(feature).resolve("feature.xml").toFile()).getDocumentElement();
    }

    /** Bundle-SymbolicName to Bundle-Version of every jar the runtime starts. */
    private static Map<String, Version> runtimeBundles() throws IOException {
        Map<String, Version> bundles = new TreeMap<>();
        for (String name : EmbeddedFelix.allBundles()) {
            putBundle(bundles, EmbeddedFelix.BUNDLES.resolve(name + ".jar"));
        }
        assertTrue(Files.isDirectory(EmbeddedFelix.BUNDLES));
        return bundles;
    }
}

package io.bigbuf.site;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The built update site and what its features ship: the bigbuf bundles, i.e. the SDK. */
final class SiteFeatures {

    static final Path SITE = Path.of(System.getProperty("bigbuf.site.dir", "../io.bigbuf.site/target/repository"));
    /** The site's features as its category.xml lists them, the one list of them. */
    static final List<String> FEATURES = categoryFeatures();

    private SiteFeatures() {
    }

    private static List<String> categoryFeatures() {
        try {
            NodeList features = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(Path.of("../io.bigbuf.site/category.xml").toFile()).getDocumentElement()
                    .getElementsByTagName("feature");
            List<String> ids = new java.util.ArrayList<>();
            for (int i = 0; i < features.getLength(); i++) {
                ids.add(((Element) features.item(i)).getAttribute("id"));
            }
            return List.copyOf(ids);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the site's category.xml", e);
        }
    }

    /** Plugin id to jar for every plugin of every feature, read from the site's feature jars. */
    static Map<String, Path> plugins() throws Exception {
        assertTrue(Files.isDirectory(SITE.resolve("plugins")), "no built site at " + SITE.toAbsolutePath());
        Map<String, Path> plugins = new LinkedHashMap<>();
        for (String feature : FEATURES) {
            Path jar = only(SITE.resolve("features"), feature + "_");
            try (JarFile featureJar = new JarFile(jar.toFile());
                    InputStream xml = featureJar.getInputStream(featureJar.getEntry("feature.xml"))) {
                NodeList entries = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml)
                        .getElementsByTagName("plugin");
                assertFalse(entries.getLength() == 0, feature + " lists no plugins");
                for (int i = 0; i < entries.getLength(); i++) {
                    Element plugin = (Element) entries.item(i);
                    String id = plugin.getAttribute("id");
                    Path pluginJar = SITE.resolve("plugins").resolve(id + "_" + plugin.getAttribute("version") + ".jar");
                    assertTrue(Files.isRegularFile(pluginJar), feature + " needs " + pluginJar.getFileName()
                            + ", which the site does not carry");
                    plugins.put(id, pluginJar);
                }
            }
        }
        return plugins;
    }

    static Path only(Path dir, String prefix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> matches = files.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
            if (matches.size() != 1) {
                fail("expected exactly one " + prefix + "*.jar in " + dir + ", found " + matches);
            }
            return matches.get(0);
        }
    }
}

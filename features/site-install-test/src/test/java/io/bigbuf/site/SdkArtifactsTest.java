package io.bigbuf.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * What a project outside this reactor consumes: for every bundle the site's features ship (the
 * SDK), the update site carries its source bundle, and the file-system Maven repository
 * (sdk/target/maven-repository) holds, under groupId io.bigbuf and the bundle's symbolic name as
 * artifactId, one version with the jar, a consumer pom with its dependencies, the sources jar and
 * the javadoc jar, named as Maven resolves them.
 */
class SdkArtifactsTest {

    private static final Path MAVEN = Path.of(System.getProperty("bigbuf.sdk.repository.dir",
            "../../sdk/target/maven-repository"));
    private static final String GROUP_ID = "io.bigbuf";
    private static final String API = "io.bigbuf.api";

    @Test
    void theSiteCarriesTheSourceBundleOfEveryBundle() throws Exception {
        String content = siteContentXml();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Path> plugin : SiteFeatures.plugins().entrySet()) {
            String id = plugin.getKey();
            String version = manifest(plugin.getValue()).getValue(Constants.BUNDLE_VERSION);
            Path source = SiteFeatures.SITE.resolve("plugins").resolve(id + ".source_" + version + ".jar");
            if (!Files.isRegularFile(source)) {
                missing.add(source.getFileName().toString());
                continue;
            }
            assertSourceBundleOf(id, version, source);
            assertTrue(content.contains("id='" + id + ".source'") || content.contains("id=\"" + id + ".source\""),
                    "the site's p2 metadata (content.jar) has no unit " + id + ".source");
        }
        assertEquals(List.of(), missing, "source bundles missing from " + SiteFeatures.SITE);
    }

    @Test
    void theMavenRepositoryHasEveryBundleWithPomSourcesAndJavadoc() throws Exception {
        assertTrue(Files.isDirectory(MAVEN), "no SDK Maven repository at " + MAVEN.toAbsolutePath());
        for (Map.Entry<String, Path> plugin : SiteFeatures.plugins().entrySet()) {
            String id = plugin.getKey();
            Attributes siteManifest = manifest(plugin.getValue());
            Version bundleVersion = Version.parseVersion(siteManifest.getValue(Constants.BUNDLE_VERSION));
            Path artifactDir = MAVEN.resolve(GROUP_ID.replace('.', '/')).resolve(id);
            assertTrue(Files.isDirectory(artifactDir), id + " is not in the SDK Maven repository (" + artifactDir + ")");
            List<Path> versions;
            try (var dirs = Files.list(artifactDir)) {
                versions = dirs.filter(Files::isDirectory).toList();
            }
            assertEquals(1, versions.size(), id + ": exactly one version expected in " + artifactDir + ": " + versions);
            String version = versions.get(0).getFileName().toString();
            assertEquals(bundleVersion.getMajor() + "." + bundleVersion.getMinor() + "." + bundleVersion.getMicro(),
                    version.replace("-SNAPSHOT", ""), id + ": Maven version vs Bundle-Version " + bundleVersion);

            Map<String, Path> files = files(artifactDir.resolve(version), id, version);
            Path jar = files.get("jar");
            Path pom = files.get("pom");
            Path sources = files.get("sources.jar");
            Path javadoc = files.get("javadoc.jar");
            assertEquals(List.of(), missingKinds(files, "jar", "pom", "sources.jar", "javadoc.jar"),
                    id + ": artifacts missing from the SDK Maven repository, have " + files.keySet());

            assertEquals(siteManifest.getValue(Constants.BUNDLE_SYMBOLICNAME),
                    manifest(jar).getValue(Constants.BUNDLE_SYMBOLICNAME), id + ": the Maven jar is another bundle");
            assertEquals(siteManifest.getValue(Constants.BUNDLE_VERSION), manifest(jar).getValue(Constants.BUNDLE_VERSION),
                    id + ": the Maven jar and the site's plugin come from different builds");
            assertConsumerPom(id, version, pom);
            assertSourceBundleOf(id, siteManifest.getValue(Constants.BUNDLE_VERSION), sources);
            try (JarFile docs = new JarFile(javadoc.toFile())) {
                assertNotNull(docs.getEntry("index.html"), id + ": javadoc jar without index.html");
                if (id.equals(API)) {
                    for (String page : List.of("io/bigbuf/api/ContiguousAllocator.html", "io/bigbuf/api/DmaBuffer.html",
                            "io/bigbuf/spi/AllocatorSupport.html")) {
                        assertNotNull(docs.getEntry(page), id + ": javadoc jar without " + page);
                    }
                }
            }
        }
    }

    /** A standalone pom: no parent to look for, the coordinates consumers use, the API as dependency. */
    private static void assertConsumerPom(String id, String version, Path pom) throws Exception {
        Element project = xml(pom).getDocumentElement();
        assertEquals(0, project.getElementsByTagName("parent").getLength(), id + ": the pom needs a parent: " + pom);
        assertEquals(GROUP_ID, child(project, "groupId"), id + ": groupId");
        assertEquals(id, child(project, "artifactId"), id + ": artifactId");
        assertEquals(version, child(project, "version"), id + ": version");
        if (!id.equals(API)) {
            List<String> dependencies = new ArrayList<>();
            NodeList deps = project.getElementsByTagName("dependency");
            for (int i = 0; i < deps.getLength(); i++) {
                Element dep = (Element) deps.item(i);
                dependencies.add(child(dep, "groupId") + ":" + child(dep, "artifactId"));
            }
            assertTrue(dependencies.contains(GROUP_ID + ":" + API), id + ": the pom does not depend on the API: "
                    + dependencies);
        }
    }

    private static void assertSourceBundleOf(String id, String version, Path jar) throws Exception {
        String header = manifest(jar).getValue("Eclipse-SourceBundle");
        assertNotNull(header, jar.getFileName() + " is no Eclipse source bundle");
        assertTrue(header.startsWith(id + ";version=\"" + version + "\""), jar.getFileName() + ": " + header);
        try (JarFile sources = new JarFile(jar.toFile())) {
            assertTrue(sources.stream().anyMatch(e -> e.getName().endsWith(".java")), jar.getFileName() + " has no .java");
        }
    }

    /**
     * The files of one version directory by kind ("jar", "pom", "sources.jar", ...), resolved as
     * Maven does: through the snapshot's metadata if there is one (a deployed snapshot), else by
     * name ({@code id-1.2.0-SNAPSHOT.jar}, {@code id-1.2.0-SNAPSHOT-sources.jar}).
     */
    private static Map<String, Path> files(Path versionDir, String id, String version) throws Exception {
        Map<String, Path> files = new HashMap<>();
        if (!Files.isRegularFile(versionDir.resolve("maven-metadata.xml"))) {
            for (String kind : List.of("jar", "pom", "sources.jar", "javadoc.jar")) {
                Path file = versionDir.resolve(id + "-" + version + (kind.contains(".") ? "-" + kind : "." + kind));
                if (Files.isRegularFile(file)) {
                    files.put(kind, file);
                }
            }
            return files;
        }
        NodeList entries = xml(versionDir.resolve("maven-metadata.xml")).getElementsByTagName("snapshotVersion");
        for (int i = 0; i < entries.getLength(); i++) {
            Element entry = (Element) entries.item(i);
            String classifier = child(entry, "classifier");
            String extension = child(entry, "extension");
            String name = id + "-" + child(entry, "value") + (classifier.isEmpty() ? "" : "-" + classifier) + "." + extension;
            Path file = versionDir.resolve(name);
            assertTrue(Files.isRegularFile(file), "maven-metadata.xml of " + id + " lists " + name + ", which is absent");
            files.put(classifier.isEmpty() ? extension : classifier + "." + extension, file);
        }
        return files;
    }

    private static List<String> missingKinds(Map<String, Path> files, String... kinds) {
        return List.of(kinds).stream().filter(k -> !files.containsKey(k)).toList();
    }

    private static String siteContentXml() throws Exception {
        Path contentJar = SiteFeatures.SITE.resolve("content.jar");
        assertTrue(Files.isRegularFile(contentJar), "no content.jar in " + SiteFeatures.SITE);
        try (JarFile jar = new JarFile(contentJar.toFile());
                InputStream xml = jar.getInputStream(jar.getEntry("content.xml"))) {
            return new String(xml.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static Attributes manifest(Path jar) throws Exception {
        try (JarFile file = new JarFile(jar.toFile())) {
            assertNotNull(file.getManifest(), jar + " has no manifest");
            return file.getManifest().getMainAttributes();
        }
    }

    private static Document xml(Path file) throws Exception {
        assertTrue(Files.isRegularFile(file), "missing " + file);
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    /** Text of the direct child element {@code name}, "" if there is none. */
    private static String child(Element parent, String name) {
        for (var node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent().trim();
            }
        }
        return "";
    }
}

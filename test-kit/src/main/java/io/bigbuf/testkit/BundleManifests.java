package io.bigbuf.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * What bundles export, read from their manifests, so that no test repeats a package version:
 * the versions are those of the jars the build put on the class path or into the runtime.
 */
final class BundleManifests {

    private BundleManifests() {
    }

    /**
     * Package to version for the given packages, as the jars on the class path export them.
     *
     * @throws IllegalStateException two jars export one of them in different versions
     */
    static Map<String, String> exportedByClassPath(ClassLoader loader, Collection<String> wanted) {
        Map<String, String> versions = new HashMap<>();
        Map<String, URL> from = new HashMap<>();
        try {
            for (URL url : Collections.list(loader.getResources(JarFile.MANIFEST_NAME))) {
                try (InputStream in = url.openStream()) {
                    exports(new Manifest(in)).forEach((pkg, version) -> {
                        if (!wanted.contains(pkg)) {
                            return;
                        }
                        String earlier = versions.putIfAbsent(pkg, version);
                        if (earlier != null && !earlier.equals(version)) {
                            throw new IllegalStateException("package " + pkg + " is on the class path twice, as "
                                    + earlier + " (" + from.get(pkg) + ") and " + version + " (" + url + ")");
                        }
                        from.putIfAbsent(pkg, url);
                    });
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return versions;
    }

    /** Package to version for every {@code Export-Package} of a bundle jar. */
    static Map<String, String> exportedBy(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            return manifest == null ? Map.of() : exports(manifest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> exports(Manifest manifest) {
        String header = manifest.getMainAttributes().getValue("Export-Package");
        Map<String, String> exports = new HashMap<>();
        if (header == null) {
            return exports;
        }
        for (String clause : split(header, ',')) {
            List<String> packages = new ArrayList<>();
            String version = "0.0.0";
            for (String part : split(clause, ';')) {
                int eq = part.indexOf('=');
                if (eq < 0) {
                    packages.add(part.trim());
                } else if (part.substring(0, eq).trim().equals("version")) {
                    version = part.substring(eq + 1).trim().replace("\"", "");
                }
            }
            for (String pkg : packages) {
                exports.put(pkg, version);
            }
        }
        return exports;
    }

    /** Splits an OSGi header at {@code separator}s outside quoted strings. */
    private static List<String> split(String header, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        boolean quoted = false;
        for (char c : header.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == separator && !quoted) {
                parts.add(part.toString());
                part.setLength(0);
            } else {
                part.append(c);
            }
        }
        parts.add(part.toString());
        return parts;
    }
}

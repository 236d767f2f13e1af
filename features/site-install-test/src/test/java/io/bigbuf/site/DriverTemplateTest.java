package io.bigbuf.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

/**
 * {@code ./bigbuf new-driver} as a driver developer uses it, against the installed artifacts
 * only: generates a driver project into a temporary directory, builds it offline with its own
 * Maven wrapper, outside this reactor, with the io.bigbuf artifacts from the SDK's file-system
 * repository (sdk/target/maven-repository) and plugins and third-party jars from the local
 * repository (both read-only "tail" repositories of a fresh local repository, SDK first, so that
 * nothing an earlier {@code ./mvnw install} left in ~/.m2 stands in for this build's SDK), checks
 * that its unit tests and its embedded-Felix IT ran and passed, then runs the built bundle in
 * this repository's runtime ({@code ./bigbuf run --bundle}) and finds its DMA buffer there.
 */
class DriverTemplateTest {

    private static final Path REPO = Path.of(System.getProperty("bigbuf.repo.dir", "../..")).toAbsolutePath().normalize();
    private static final Path SDK = Path.of(System.getProperty("bigbuf.sdk.repository.dir",
            "../../sdk/target/maven-repository")).toAbsolutePath().normalize();
    private static final Path LOCAL = Path.of(System.getProperty("bigbuf.local.repository",
            System.getProperty("user.home") + "/.m2/repository"));
    private static final String NAME = "org.example.pump";
    private static final int TAIL_LINES = 80;

    @TempDir
    Path dir;

    private record Run(int exit, String output) {
        /** The last lines, for a failure message. */
        String tail() {
            List<String> lines = output.lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
        }
    }

    private Run run(Path workDir, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "run-", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("BIGBUF_LOG");
        builder.environment().remove("BIGBUF_JAVA_OPTS");
        Process p = builder.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Run(-1, Files.readString(log, StandardCharsets.UTF_8) + "\n(killed after " + timeoutSeconds + " s)");
        }
        return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    @Test
    void aGeneratedDriverBuildsOfflineAgainstTheSdkAndRunsInTheRuntime() throws Exception {
        assertTrue(Files.isDirectory(SDK.resolve("io/bigbuf/io.bigbuf.api")), "no SDK repository at " + SDK);
        Path project = dir.resolve("pump");

        Run generated = run(dir, 120, REPO.resolve("bigbuf").toString(), "new-driver", NAME, "--dir", project.toString());
        assertEquals(0, generated.exit(), generated.output());
        assertTrue(Files.isRegularFile(project.resolve("src/main/java/org/example/pump/PumpDriver.java")),
                generated.output());

        Path fresh = dir.resolve("m2");
        Run build = run(project, 600, project.resolve("mvnw").toString(), "-B", "-o", "verify",
                "-Dmaven.repo.local=" + fresh, "-Dmaven.repo.local.tail=" + SDK + "," + LOCAL);
        assertEquals(0, build.exit(), "the generated driver's offline build failed; its output's tail:\n" + build.tail());

        int unit = testsPassed(project.resolve("target/surefire-reports"), build);
        int it = testsPassed(project.resolve("target/failsafe-reports"), build);
        assertTrue(unit > 0 && it > 0, unit + " unit tests, " + it + " ITs\n" + build.tail());
        for (String artifact : List.of("io.bigbuf.api", "io.bigbuf.mock")) {
            assertTrue(testClassPath(project).contains(SDK.resolve("io/bigbuf/" + artifact).toString()),
                    artifact + " not from the SDK repository " + SDK + ": " + testClassPath(project));
        }
        assertFalse(Files.exists(fresh.resolve("io/bigbuf")), "io.bigbuf artifacts fetched from elsewhere: " + fresh);

        Path jar = project.resolve("target/" + NAME + "-0.1.0-SNAPSHOT.jar");
        Run runtime = run(dir, 120, REPO.resolve("bigbuf").toString(), "run", "--no-build", "--bundle", jar.toString(),
                "-c", "bigbuf:list");
        assertEquals(0, runtime.exit(), runtime.output());
        // Owned by the driver's bundle (its symbolic name is NAME too), labelled NAME.
        Matcher buffer = Pattern.compile("^\\s*\\d+\\s+1 MiB\\s+0x([0-9a-f]+)\\s+0x([0-9a-f]+)\\s+" + Pattern.quote(NAME)
                + " \\S+ \\[\\d+\\]\\s+" + Pattern.quote(NAME) + "$", Pattern.MULTILINE).matcher(runtime.output());
        assertTrue(buffer.find(), "no 1 MiB buffer of " + NAME + " labelled so in bigbuf:list:\n" + runtime.output());
        assertTrue(Long.parseUnsignedLong(buffer.group(2), 16) < 1L << 32,
                "the driver's buffer lies above its default 32-bit limit:\n" + runtime.output());
    }

    @Test
    void badNamesAndExistingDirectoriesAreRefusedInOneLine() throws Exception {
        Run bad = run(dir, 120, REPO.resolve("bigbuf").toString(), "new-driver", "My-Driver", "--dir",
                dir.resolve("x").toString());
        assertEquals(2, bad.exit(), bad.output());
        assertEquals(1, bad.output().lines().count(), bad.output());
        assertTrue(bad.output().startsWith("bigbuf: new-driver: 'My-Driver' is not a valid driver name"), bad.output());
        assertFalse(Files.exists(dir.resolve("x")));

        Path existing = Files.createDirectory(dir.resolve("taken"));
        Run taken = run(dir, 120, REPO.resolve("bigbuf").toString(), "new-driver", NAME, "--dir", existing.toString());
        assertEquals(2, taken.exit(), taken.output());
        assertEquals("bigbuf: new-driver: " + existing + " already exists; choose another --dir or remove it",
                taken.output().strip());
        try (Stream<Path> left = Files.list(existing)) {
            assertEquals(0, left.count(), "the existing directory was written to");
        }
    }

    /** Tests that ran and passed, from the Surefire/Failsafe XML reports; fails on any failure. */
    private static int testsPassed(Path reports, Run build) throws Exception {
        assertTrue(Files.isDirectory(reports), "no " + reports + "\n" + build.tail());
        List<Path> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(reports)) {
            list.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).forEach(files::add);
        }
        int passed = 0;
        for (Path file : files) {
            Element suite = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile())
                    .getDocumentElement();
            int tests = Integer.parseInt(suite.getAttribute("tests"));
            int bad = Integer.parseInt(suite.getAttribute("failures")) + Integer.parseInt(suite.getAttribute("errors"));
            int skipped = Integer.parseInt(suite.getAttribute("skipped"));
            assertEquals(0, bad + skipped, file.getFileName() + ": failed or skipped tests\n" + build.tail());
            passed += tests;
        }
        return passed;
    }

    /** The class path the generated project's unit tests ran with (Surefire records it). */
    private static String testClassPath(Path project) throws IOException {
        try (Stream<Path> list = Files.list(project.resolve("target/surefire-reports"))) {
            Path report = list.filter(p -> p.getFileName().toString().startsWith("TEST-")).findFirst().orElseThrow();
            Matcher m = Pattern.compile("name=\"surefire.test.class.path\" value=\"([^\"]*)\"")
                    .matcher(Files.readString(report, StandardCharsets.UTF_8));
            return m.find() ? m.group(1) : "";
        }
    }
}

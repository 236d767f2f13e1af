package io.bigbuf.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --bundle JAR}: a bundle of one's own (a driver) started with the runtime's. That the
 * launcher really installs and starts it is checked end to end by DriverTemplateTest
 * (features/site-install-test), which runs a generated driver bundle with {@code ./bigbuf run}.
 */
class LauncherOptionsTest {

    @TempDir
    Path dir;

    private String runtime;

    @BeforeEach
    void runtime() throws Exception {
        Files.createDirectories(dir.resolve("runtime/bundles"));
        runtime = dir.resolve("runtime").toString();
    }

    @Test
    void extraBundlesAreAbsoluteJarPathsInTheirOrder() throws Exception {
        Path a = Files.createFile(dir.resolve("a.jar"));
        Path b = Files.createFile(dir.resolve("b.jar"));
        LauncherOptions options = LauncherOptions.parse(new String[] {"--runtime", runtime, "--bundle", b.toString(),
            "-b", a.toString(), "-c", "lb"}, null, null);
        assertEquals(List.of(b, a), options.bundles());
        assertEquals(List.of("lb"), options.commands());
    }

    @Test
    void noExtraBundlesByDefault() {
        assertEquals(List.of(), LauncherOptions.parse(new String[] {"--runtime", runtime}, null, null).bundles());
    }

    @Test
    void aMissingOrNonJarBundleIsOneClearLine() throws Exception {
        String missing = dir.resolve("nope.jar").toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LauncherOptions.parse(new String[] {"--runtime", runtime, "--bundle", missing}, null, null));
        assertEquals("--bundle " + missing + ": no such jar file", e.getMessage());
        String text = Files.createFile(dir.resolve("notes.txt")).toString();
        assertThrows(IllegalArgumentException.class,
                () -> LauncherOptions.parse(new String[] {"--runtime", runtime, "--bundle", text}, null, null));
        assertThrows(IllegalArgumentException.class,
                () -> LauncherOptions.parse(new String[] {"--runtime", runtime, "--bundle"}, null, null));
    }

    @Test
    void webIsOffByDefaultOnWithAPortAndNeedsTheWebDirectory() throws Exception {
        assertEquals(-1, LauncherOptions.parse(new String[] {"--runtime", runtime}, null, null).webPort());
        Exception noWebDir = assertThrows(IllegalArgumentException.class,
                () -> LauncherOptions.parse(new String[] {"--runtime", runtime, "--web"}, null, null));
        assertEquals("--web: " + runtime + " has no web/ directory (the web console's bundles)", noWebDir.getMessage());
        Files.createDirectories(dir.resolve("runtime/web"));
        assertEquals(LauncherOptions.DEFAULT_WEB_PORT,
                LauncherOptions.parse(new String[] {"--web", "--runtime", runtime}, null, null).webPort());
        assertEquals(9090, LauncherOptions.parse(new String[] {"--runtime", runtime, "--web=9090"}, null, null).webPort());
        for (String bad : List.of("--web=0", "--web=65536", "--web=http", "--web=")) {
            Exception e = assertThrows(IllegalArgumentException.class,
                    () -> LauncherOptions.parse(new String[] {"--runtime", runtime, bad}, null, null));
            assertEquals(bad + ": not a TCP port (1..65535)", e.getMessage());
        }
        assertEquals("http://127.0.0.1:9090/system/console/bigbuf", Main.webConsoleUrl(9090));
    }

    @Test
    void theWebConsoleLoginLineFollowsTheConsolesFrameworkPropertiesAndNeverPrintsAPassword() {
        java.util.Properties none = new java.util.Properties();
        assertEquals("user admin, password admin", Main.webConsoleLogin(none));
        java.util.Properties set = new java.util.Properties();
        set.setProperty("felix.webconsole.username", "ops");
        set.setProperty("felix.webconsole.password", "s3cret");
        assertEquals("user ops, password from felix.webconsole.password", Main.webConsoleLogin(set));
    }
}

package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./bigbuf run -c} as a user runs it: by default stderr stays empty (warnings and errors
 * only), {@code --verbose} and {@code BIGBUF_LOG} bring the runtime's INFO lines back.
 */
class RuntimeLoggingIT {

    private static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final String STATS = "bigbuf:stats";

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run bigbuf(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(REPO.resolve("bigbuf").toString(), "run", "--no-build"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(REPO.toFile())
                .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        builder.environment().remove("BIGBUF_LOG");
        builder.environment().remove("BIGBUF_JAVA_OPTS");
        builder.environment().putAll(env);
        Process p = builder.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the runtime to finish");
        return new Run(p.exitValue(), Files.readString(dir.resolve("out"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
    }

    @Test
    void quietByDefault() throws Exception {
        Run run = bigbuf(Map.of(), "-c", STATS);
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("backend           mock"), run.out());
        assertEquals("", run.err(), "nothing on stderr by default");
    }

    @Test
    void verboseShowsWhatTheRuntimeDoes() throws Exception {
        Run run = bigbuf(Map.of(), "--verbose", "-c", STATS);
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.err().contains("INFO: working buffer #1 (1 MiB)"), run.err());
        assertTrue(run.out().contains("backend           mock"), run.out());
    }

    @Test
    void theEnvironmentVariableSetsTheLevel() throws Exception {
        Run info = bigbuf(Map.of("BIGBUF_LOG", "info"), "-c", STATS);
        assertEquals(0, info.exit(), info.err());
        assertTrue(info.err().contains("INFO: working buffer #1 (1 MiB)"), info.err());
        Run warn = bigbuf(Map.of("BIGBUF_LOG", "warn"), "-c", STATS);
        assertEquals("", warn.err());
        Run bad = bigbuf(Map.of("BIGBUF_LOG", "loud"), "-c", STATS);
        assertEquals(2, bad.exit());
        assertTrue(bad.err().startsWith("bigbuf: BIGBUF_LOG='loud' is not a log level; use debug, info or warn\n"),
                bad.err());
    }
}

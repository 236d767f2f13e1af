package io.bigbuf.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime is quiet unless asked: BIGBUF_LOG and --verbose. */
class LogLevelTest {

    @TempDir
    Path runtime;

    @Test
    void warningsOnlyByDefault() {
        assertEquals(LogLevel.WARN, LogLevel.of(null, false));
        assertEquals(LogLevel.WARN, LogLevel.of("  ", false));
        assertEquals("warn", LogLevel.WARN.dsLogLevel());
    }

    @Test
    void theEnvironmentVariableNamesTheLevelInAnyCase() {
        assertEquals(LogLevel.DEBUG, LogLevel.of("debug", false));
        assertEquals(LogLevel.INFO, LogLevel.of("INFO", false));
        assertEquals(LogLevel.WARN, LogLevel.of(" Warn ", false));
        assertEquals("debug", LogLevel.DEBUG.dsLogLevel());
    }

    @Test
    void verboseRaisesToInfoButNeverLowers() {
        assertEquals(LogLevel.INFO, LogLevel.of(null, true));
        assertEquals(LogLevel.INFO, LogLevel.of("warn", true));
        assertEquals(LogLevel.DEBUG, LogLevel.of("debug", true));
    }

    @Test
    void aBadValueIsOneClearLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LogLevel.of("loud", false));
        assertEquals("BIGBUF_LOG='loud' is not a log level; use debug, info or warn", e.getMessage());
    }

    @Test
    void theOptionsCarryTheLevel() throws Exception {
        Files.createDirectories(runtime.resolve("bundles"));
        String dir = runtime.toString();
        assertEquals(LogLevel.WARN, LauncherOptions.parse(new String[] {"--runtime", dir}, null, null).logLevel());
        assertEquals(LogLevel.INFO, LauncherOptions.parse(new String[] {"--runtime", dir, "--verbose"}, null, null)
                .logLevel());
        assertEquals(LogLevel.INFO, LauncherOptions.parse(new String[] {"-v", "--runtime", dir, "-c", "x"}, null, null)
                .logLevel());
        assertEquals(LogLevel.DEBUG, LauncherOptions.parse(new String[] {"--runtime", dir}, null, "debug").logLevel());
        assertThrows(IllegalArgumentException.class,
                () -> LauncherOptions.parse(new String[] {"--runtime", dir}, null, "chatty"));
    }

    @Test
    void applyingSetsTheRootLoggerAndItsHandlers() {
        Logger root = Logger.getLogger("");
        Level before = root.getLevel();
        Handler[] handlers = root.getHandlers();
        Level[] handlerLevels = new Level[handlers.length];
        for (int i = 0; i < handlers.length; i++) {
            handlerLevels[i] = handlers[i].getLevel();
        }
        try {
            Logger bundleLogger = Logger.getLogger("io.bigbuf.examples.consumer.WorkingBufferConsumer");
            LogLevel.WARN.apply();
            assertFalse(bundleLogger.isLoggable(Level.INFO), "INFO is dropped by default");
            assertTrue(bundleLogger.isLoggable(Level.WARNING));
            LogLevel.DEBUG.apply();
            assertTrue(bundleLogger.isLoggable(Level.FINE));
            for (Handler handler : root.getHandlers()) {
                assertEquals(Level.FINE, handler.getLevel(), "the console handler lets debug records through too");
            }
        } finally {
            root.setLevel(before);
            for (int i = 0; i < handlers.length; i++) {
                handlers[i].setLevel(handlerLevels[i]);
            }
        }
    }
}

package io.bigbuf.launcher;

import java.util.Locale;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How much the runtime logs to stderr. The bundles log through {@link System.Logger}, which the
 * JDK routes to java.util.logging; the launcher sets its root logger (and the root's console
 * handler) to this level. Quiet by default: warnings and errors only, so that nothing but the
 * commands' output reaches the {@code g!} prompt or a {@code -c} run.
 */
enum LogLevel {

    /** Warnings and errors: the default. */
    WARN(Level.WARNING, "warn"),
    /** Also what the runtime does: backends starting and stopping, buffers the examples take. */
    INFO(Level.INFO, "warn"),
    /** Also details for debugging, Declarative Services' included. */
    DEBUG(Level.FINE, "debug");

    /** The environment variable that sets it. */
    static final String ENVIRONMENT = "BIGBUF_LOG";

    private final Level julLevel;
    private final String dsLogLevel;

    LogLevel(Level julLevel, String dsLogLevel) {
        this.julLevel = julLevel;
        this.dsLogLevel = dsLogLevel;
    }

    /**
     * The level for {@value #ENVIRONMENT} (null or blank: not set) and {@code --verbose}, which
     * raises it to at least {@link #INFO}.
     *
     * @throws IllegalArgumentException the variable names no level
     */
    static LogLevel of(String environment, boolean verbose) {
        LogLevel level = WARN;
        if (environment != null && !environment.isBlank()) {
            try {
                level = valueOf(environment.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(ENVIRONMENT + "='" + environment + "' is not a log level;"
                        + " use debug, info or warn");
            }
        }
        return verbose && level.compareTo(INFO) < 0 ? INFO : level;
    }

    /** The java.util.logging level of this level. */
    Level julLevel() {
        return julLevel;
    }

    /** The Felix SCR {@code ds.loglevel} that goes with it (SCR's info is about its own internals). */
    String dsLogLevel() {
        return dsLogLevel;
    }

    /** Sets the root logger and its handlers to this level, for the whole JVM. */
    void apply() {
        Logger root = Logger.getLogger("");
        root.setLevel(julLevel);
        for (Handler handler : root.getHandlers()) {
            handler.setLevel(julLevel);
        }
    }
}

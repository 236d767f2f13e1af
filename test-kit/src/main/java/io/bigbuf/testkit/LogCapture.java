package io.bigbuf.testkit;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects what one java.util.logging logger publishes, from {@link #of} until {@link #close()}.
 * The capture holds the logger strongly: java.util.logging keeps loggers only weakly, and a
 * collected logger would lose the handler.
 */
public final class LogCapture implements AutoCloseable {

    private final Logger logger;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private LogCapture(String loggerName) {
        logger = Logger.getLogger(loggerName);
        logger.addHandler(handler);
    }

    /** Starts capturing the records of the logger named {@code loggerName}. */
    public static LogCapture of(String loggerName) {
        return new LogCapture(loggerName);
    }

    public Logger logger() {
        return logger;
    }

    /** The records published so far, oldest first (a live, thread-safe view). */
    public List<LogRecord> records() {
        return records;
    }

    public void clear() {
        records.clear();
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}

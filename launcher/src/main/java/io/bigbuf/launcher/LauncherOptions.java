package io.bigbuf.launcher;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command line of the launcher.
 *
 * <pre>
 * java -jar bigbuf-launcher.jar [--runtime DIR] [--storage DIR] [--bundle JAR]... [--web[=PORT]] [--verbose] [-c COMMANDS]...
 * </pre>
 *
 * @param runtime  directory with {@code bundles/} (always installed) and {@code console/}
 *                 (the interactive Gogo shell)
 * @param storage  Felix cache directory, null for a fresh temporary one that is deleted on exit
 * @param bundles  bundle jars to install and start besides the runtime's (your own driver bundle)
 * @param commands Gogo statements to run non-interactively; empty for the interactive prompt
 * @param logLevel what the runtime logs to stderr: {@code BIGBUF_LOG}, raised by {@code --verbose}
 * @param webPort  port of the web console on 127.0.0.1 ({@code --web}), or -1 without it
 */
record LauncherOptions(Path runtime, Path storage, List<Path> bundles, List<String> commands, LogLevel logLevel,
        int webPort) {

    /** The web console's port when {@code --web} names none. */
    static final int DEFAULT_WEB_PORT = 8080;

    static final String USAGE = """
            usage: bigbuf-launcher [--runtime DIR] [--storage DIR] [--bundle JAR]... [--web[=PORT]] [--verbose] [-c 'CMD; CMD']...
              --runtime DIR   runtime directory (default: the directory of the launcher jar)
              --storage DIR   Felix cache, must be writable (default: $BIGBUF_STORAGE, else a temp dir)
              -b, --bundle JAR
                              also install and start this bundle (e.g. your driver's target/*.jar);
                              repeatable
              --web[=PORT]    also start the Apache Felix Web Console on http://127.0.0.1:PORT
                              (default 8080) with the bigbuf page /system/console/bigbuf
              -v, --verbose   log what the runtime does (INFO); default: warnings and errors only,
                              or $BIGBUF_LOG (debug, info or warn)
              -c, --command   run Gogo commands (separated by ';' or repeated -c) and exit;
                              exit status 1 on the first failing command
            Without -c an interactive Gogo prompt starts; 'exit' or Ctrl-D leaves it.""";

    boolean interactive() {
        return commands.isEmpty();
    }

    /** @throws IllegalArgumentException unknown or incomplete option, or a bad {@code BIGBUF_LOG} */
    static LauncherOptions parse(String[] args, String storageFromEnvironment, String logFromEnvironment) {
        Path runtime = null;
        Path storage = storageFromEnvironment == null || storageFromEnvironment.isBlank()
                ? null : Path.of(storageFromEnvironment);
        List<String> commands = new ArrayList<>();
        List<Path> bundles = new ArrayList<>();
        boolean verbose = false;
        int webPort = -1;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--runtime" -> runtime = Path.of(value(args, ++i, arg));
                case "--storage" -> storage = Path.of(value(args, ++i, arg));
                case "-b", "--bundle" -> bundles.add(bundle(value(args, ++i, arg)));
                case "-c", "--command" -> commands.addAll(CommandSplitter.split(value(args, ++i, arg)));
                case "-v", "--verbose" -> verbose = true;
                case "--web" -> webPort = DEFAULT_WEB_PORT;
                default -> {
                    if (!arg.startsWith("--web=")) {
                        throw new IllegalArgumentException("unknown option '" + arg + "'");
                    }
                    webPort = port(arg.substring("--web=".length()));
                }
            }
        }
        LogLevel logLevel = LogLevel.of(logFromEnvironment, verbose);
        if (runtime == null) {
            runtime = launcherDirectory();
        }
        if (!Files.isDirectory(runtime.resolve("bundles"))) {
            throw new IllegalArgumentException(runtime + " is not a bigbuf runtime (no bundles/ directory);"
                    + " build it with ./mvnw package or pass --runtime");
        }
        if (webPort > 0 && !Files.isDirectory(runtime.resolve("web"))) {
            throw new IllegalArgumentException("--web: " + runtime + " has no web/ directory (the web console's bundles)");
        }
        return new LauncherOptions(runtime, storage, List.copyOf(bundles), List.copyOf(commands), logLevel, webPort);
    }

    /** An existing jar file, as an absolute path (the framework gets it as a file: URL). */
    private static Path bundle(String value) {
        Path jar = Path.of(value).toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar) || !jar.getFileName().toString().endsWith(".jar")) {
            throw new IllegalArgumentException("--bundle " + value + ": no such jar file");
        }
        return jar;
    }

    private static int port(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("--web=" + value + ": not a TCP port (1..65535)");
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }

    private static Path launcherDirectory() {
        try {
            return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the launcher jar", e);
        }
    }
}

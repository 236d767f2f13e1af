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
 * java -jar bigbuf-launcher.jar [--runtime DIR] [--storage DIR] [-c COMMANDS]...
 * </pre>
 *
 * @param runtime  directory with {@code bundles/} (always installed) and {@code console/}
 *                 (the interactive Gogo shell)
 * @param storage  Felix cache directory, null for a fresh temporary one that is deleted on exit
 * @param commands Gogo statements to run non-interactively; empty for the interactive prompt
 */
record LauncherOptions(Path runtime, Path storage, List<String> commands) {

    static final String USAGE = """
            usage: bigbuf-launcher [--runtime DIR] [--storage DIR] [-c 'CMD; CMD']...
              --runtime DIR   runtime directory (default: the directory of the launcher jar)
              --storage DIR   Felix cache, must be writable (default: $BIGBUF_STORAGE, else a temp dir)
              -c, --command   run Gogo commands (separated by ';' or repeated -c) and exit;
                              exit status 1 on the first failing command
            Without -c an interactive Gogo prompt starts; 'exit' or Ctrl-D leaves it.""";

    boolean interactive() {
        return commands.isEmpty();
    }

    /** @throws IllegalArgumentException unknown or incomplete option */
    static LauncherOptions parse(String[] args, String storageFromEnvironment) {
        Path runtime = null;
        Path storage = storageFromEnvironment == null || storageFromEnvironment.isBlank()
                ? null : Path.of(storageFromEnvironment);
        List<String> commands = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--runtime" -> runtime = Path.of(value(args, ++i, arg));
                case "--storage" -> storage = Path.of(value(args, ++i, arg));
                case "-c", "--command" -> commands.addAll(CommandSplitter.split(value(args, ++i, arg)));
                default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
            }
        }
        if (runtime == null) {
            runtime = launcherDirectory();
        }
        if (!Files.isDirectory(runtime.resolve("bundles"))) {
            throw new IllegalArgumentException(runtime + " is not a bigbuf runtime (no bundles/ directory);"
                    + " build it with ./mvnw package or pass --runtime");
        }
        return new LauncherOptions(runtime, storage, List.copyOf(commands));
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

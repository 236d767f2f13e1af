package io.bigbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bigbuf.api.AllocatorServiceProperties;
import io.bigbuf.api.ContiguousAllocator;
import io.bigbuf.testkit.Await;
import io.bigbuf.testkit.EmbeddedFelix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The guest side of the end-to-end tests: loading and unloading the module, its statistics from
 * sysfs (read independently of the Java backend), {@code /proc/self/pagemap}. Everything here
 * needs root in a test guest; kmod/vm/run-e2e passes the module and the C reader as system
 * properties.
 */
final class E2eGuest {

    static final Path KO = Path.of(required("bigbuf.e2e.ko"));
    static final Path READER = Path.of(required("bigbuf.e2e.reader"));
    static final Path DEVICE = Path.of("/dev/bigbuf");
    static final Path STATS = Path.of("/sys/class/misc/bigbuf/stats");
    static final long PAGE = 4096;
    /** Bound for everything the watcher and SCR do after insmod/rmmod (poll interval 1 s, TCG is slow). */
    static final Duration REBIND_TIMEOUT = Duration.ofSeconds(30);

    private E2eGuest() {
    }

    /** Module-wide counters from /sys/class/misc/bigbuf/stats. */
    record ModuleStats(long bytesHeld, long buffers, long allocations, long failures, long frees) {
        static ModuleStats read() {
            return new ModuleStats(stat("bytes_held"), stat("buffers"), stat("allocations"), stat("failures"),
                    stat("frees"));
        }

        private static long stat(String name) {
            try {
                return Long.parseLong(Files.readString(STATS.resolve(name)).trim());
            } catch (IOException e) {
                throw new AssertionError("cannot read " + STATS.resolve(name) + " (module loaded?)", e);
            }
        }
    }

    /** Result of a command. */
    record Result(int status, String output) {
    }

    static boolean loaded() {
        return Files.isDirectory(Path.of("/sys/module/bigbuf"));
    }

    /** Loads the module and waits for its device node. */
    static void insmod() {
        Result r = run("insmod", KO.toString());
        assertEquals(0, r.status(), () -> "insmod " + KO + ": " + r.output());
        awaitTrue(() -> Files.exists(DEVICE), DEVICE + " after insmod");
    }

    static Result rmmod() {
        return run("rmmod", "bigbuf");
    }

    /** Unloads the module, which must succeed: nothing may pin it once the framework is gone. */
    static void assertUnloadsAfterTheFramework() {
        Result r = rmmod();
        assertEquals(0, r.status(), () -> "rmmod after the framework stopped: " + r.output());
    }

    static void ensureLoaded() {
        if (!loaded()) {
            insmod();
        }
    }

    static void ensureUnloaded() {
        if (loaded()) {
            Result r = rmmod();
            assertEquals(0, r.status(), () -> "rmmod bigbuf: " + r.output());
        }
    }

    static Result run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", command));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Page frame numbers behind {@code [address, address + length)} of this process, from
     * /proc/self/pagemap (bits 0-54 PFN, bit 63 present; root sees real PFNs). -1 for a page that
     * is not present.
     */
    static List<Long> pageFrames(long address, long length) {
        assertEquals(0, address % PAGE, "mapping not page aligned");
        int pages = (int) ((length + PAGE - 1) / PAGE);
        ByteBuffer entries = ByteBuffer.allocate(pages * 8).order(ByteOrder.nativeOrder());
        try (FileChannel pagemap = FileChannel.open(Path.of("/proc/self/pagemap"), StandardOpenOption.READ)) {
            long position = address / PAGE * 8;
            while (entries.hasRemaining()) {
                int n = pagemap.read(entries, position + entries.position());
                assertTrue(n > 0, "short read from /proc/self/pagemap");
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/self/pagemap", e);
        }
        entries.flip();
        List<Long> frames = new ArrayList<>(pages);
        for (int i = 0; i < pages; i++) {
            long entry = entries.getLong();
            frames.add(entry < 0 ? entry & ((1L << 55) - 1) : -1);
        }
        return frames;
    }

    /** The test pattern: word i of a buffer holds {@code i * golden ^ seed} (the C reader computes the same). */
    static long pattern(long wordIndex, long seed) {
        return wordIndex * 0x9E3779B97F4A7C15L ^ seed;
    }

    /** Waits (as long as a rebind may take under TCG) for the kernel backend's service in {@code felix}. */
    static ContiguousAllocator awaitKmodAllocator(EmbeddedFelix felix, String what) {
        return await(() -> felix.references(ContiguousAllocator.class, AllocatorServiceProperties.FILTER_KMOD)
                .stream().findFirst().map(r -> felix.context().getService(r)).orElse(null), what);
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
        Await.isTrue(REBIND_TIMEOUT, condition, what);
    }

    static <T> T await(java.util.function.Supplier<T> probe, String what) {
        return Await.until(REBIND_TIMEOUT, probe, what);
    }

    /** A line of the test's own narrative, e.g. the hot-swap sequence, visible in the run's output. */
    static void log(String format, Object... args) {
        System.out.println("[e2e] " + String.format(format, args));
        System.out.flush();
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " not set; run the end-to-end tests"
                    + " with kmod/vm/run-e2e");
        }
        return value;
    }
}
